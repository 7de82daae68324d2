/**
 * What the job service needs of content jobs to start, list and end them (see KindBasics):
 * their own job list, and what a job's end sets off (usage counters, its slot, the completion
 * webhook). The Content Generator API hands these to the job service; the kind adds generation.
 */

import { type KindBasics, kindsOf } from '#jobs/kind.ts';
import { contentJobEnded } from './job-events.ts';

export const contentBasics: KindBasics = {
  types: ['content'],
  list: 'content',
  title: (job) => `the ${job.parameters.structure_type ?? 'content'} on "${job.parameters.topic ?? ''}"`,
  ended: contentJobEnded,
};

/** The kinds the Content Generator API works with, so whatever ends a job there ends it as a content job. */
export const contentKinds = kindsOf(contentBasics);
