/**
 * What the assessments API does with a finished assessment job: read its questions (for an
 * export), save them as an assessment of the owner's, edit and delete that copy. Another
 * owner's job or assessment does not exist for them.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { JobRecord, JobStatus } from '#jobs/job.ts';
import * as service from '#jobs/job-service.ts';
import * as jobStore from '#jobs/job-store.ts';
import * as results from '#jobs/results-store.ts';
import {
  DomainError,
  InvalidRequest,
  JobNotFound,
  JobStateConflict,
  ResultNotFound,
} from '#platform/errors.ts';
import { s3Keys } from '#platform/keys.ts';
import type { AssessmentQuestion } from './assessment.ts';
import type { OpenQuestion } from './open-questions.ts';
import * as saved from './saved-store.ts';

/** The seed's statuses: RQ's names for our job states. */
export const SEED_STATUS: Record<JobStatus, string> = {
  pending: 'queued',
  running: 'started',
  completed: 'finished',
  failed: 'failed',
  cancelled: 'canceled',
};

export class AssessmentNotFound extends DomainError {
  constructor(id: string) {
    super(`Assessment not found: ${id}`, 404);
  }
}

const uuid = z.uuid();

/** The owner's job by id; job ids are UUIDs, so anything else names none. */
export async function ownersJob(owner: string, jobId: string): Promise<JobRecord | undefined> {
  const job = uuid.safeParse(jobId).success ? await jobStore.getJob(jobId) : undefined;
  return job?.owner === owner ? job : undefined;
}

/** `job` when it is a finished assessment; `action` ("exported", "saved") says what it is for. */
function finishedAssessment(job: JobRecord, action: string): JobRecord {
  if (job.job_type !== 'assessment') throw new InvalidRequest(`Job ${job.job_id} is not an assessment job`);
  if (job.status !== 'completed') {
    throw new JobStateConflict(
      `Job ${job.job_id} is ${SEED_STATUS[job.status]}; only a finished assessment can be ${action}`,
    );
  }
  return job;
}

const generatedQuestions = (owner: string, jobId: string) =>
  results.getJson<{ mcqs: AssessmentQuestion[]; subjective_questions?: OpenQuestion[] }>(
    s3Keys.assessmentResult(owner, jobId),
  );

/** A finished assessment job's title and questions, to export them. */
export async function jobQuestions(owner: string, jobId: string) {
  const found = await ownersJob(owner, jobId);
  if (!found) throw new JobNotFound(jobId);
  const job = finishedAssessment(await service.reconcile(found), 'exported');
  const result = await generatedQuestions(owner, jobId);
  if (!result) throw new ResultNotFound(`The questions of job ${jobId} are no longer kept`);
  return {
    title: job.parameters.title ?? job.parameters.query ?? 'Assessment',
    mcqs: result.mcqs,
    subjective_questions: result.subjective_questions ?? [],
  };
}

export interface AssessmentEdits {
  title?: string | undefined;
  mcqs?: AssessmentQuestion[] | undefined;
  subjective_questions?: OpenQuestion[] | undefined;
}

/** An assessment keeps at least one question, of either type. */
function checkNotEmpty(assessment: saved.SavedAssessment): void {
  if (assessment.mcqs.length + (assessment.subjective_questions?.length ?? 0) === 0) {
    throw new InvalidRequest(
      'The assessment would hold no questions; keep at least one in mcqs or subjective_questions',
    );
  }
}

/** Saves a finished assessment job's questions (or edited ones) as a new assessment. */
export async function saveAssessment(
  owner: string,
  jobId: string,
  edits: AssessmentEdits,
): Promise<saved.SavedAssessment> {
  const found = await ownersJob(owner, jobId);
  if (!found) throw new JobNotFound(jobId);
  const job = finishedAssessment(found, 'saved');
  const generated = await generatedQuestions(owner, job.job_id);
  // Open questions only when the job or the edits have them: the seed's saved body is unchanged.
  const open = edits.subjective_questions ?? generated?.subjective_questions;
  const now = new Date().toISOString();
  const assessment: saved.SavedAssessment = {
    assessment_id: randomUUID(),
    owner,
    title: edits.title ?? job.parameters.title ?? job.parameters.query ?? 'Assessment',
    query: job.parameters.query ?? null,
    document_id: job.parameters.document_id ?? null,
    job_id: job.job_id,
    mcqs: edits.mcqs ?? generated?.mcqs ?? [],
    ...(open ? { subjective_questions: open } : {}),
    created_at: now,
    updated_at: now,
  };
  checkNotEmpty(assessment);
  await saved.putAssessment(assessment);
  return assessment;
}

/** Assessment ids are UUIDs: anything else names no assessment. */
function assessmentId(id: string): string {
  if (!uuid.safeParse(id).success) throw new AssessmentNotFound(id);
  return id;
}

export async function ownedAssessment(owner: string, id: string): Promise<saved.SavedAssessment> {
  const found = await saved.getAssessment(owner, assessmentId(id));
  if (!found) throw new AssessmentNotFound(id);
  return found;
}

export async function editAssessment(
  current: saved.SavedAssessment,
  edits: AssessmentEdits,
): Promise<saved.SavedAssessment> {
  const updated: saved.SavedAssessment = {
    ...current,
    ...(edits.title !== undefined ? { title: edits.title } : {}),
    ...(edits.mcqs !== undefined ? { mcqs: edits.mcqs } : {}),
    ...(edits.subjective_questions !== undefined ? { subjective_questions: edits.subjective_questions } : {}),
    updated_at: new Date().toISOString(),
  };
  checkNotEmpty(updated);
  await saved.putAssessment(updated);
  return updated;
}

export async function deleteAssessment(owner: string, id: string): Promise<void> {
  if (!(await saved.deleteAssessment(owner, assessmentId(id)))) throw new AssessmentNotFound(id);
}
