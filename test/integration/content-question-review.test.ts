/**
 * A course's module-assessment questions in review, against real local DynamoDB: recorded
 * pending when their section is kept, an edit held to the section's gate (its other questions
 * included for the near-duplicate check), and `review=` of the course content keeping one state,
 * each question as last edited under the content's own field names (`answer`).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { SectionSpec } from '#content/sections.ts';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';

type ContentReview = typeof import('#content/question-review.ts');
type ReviewService = typeof import('#review/review-service.ts');

let aws: LocalAws;
let contentReview: ContentReview;
let service: ReviewService;
/** Who decides: a key's name and id, as the review API passes them. */
const REVIEWER = { name: 'reviewer', keyId: 'reviewer-key-id' };

beforeAll(async () => {
  aws = await startLocalAws();
  contentReview = await import('#content/question-review.ts');
  service = await import('#review/review-service.ts');
});

afterAll(async () => {
  await aws?.stop();
});

const spec = (id: string, kind: SectionSpec['kind'], group: number): SectionSpec => ({
  id,
  kind,
  title: `Module ${group + 1}`,
  path: id,
  targetWords: 500,
  wordsByPart: {},
  dependsOn: [],
  stage: 1,
  group,
  contentId: id,
  questionCount: 2,
});

const plan = [
  spec('module_1_introduction', 'module_introduction', 0),
  spec('module_1_assessment', 'module_assessment', 0),
  spec('module_2_introduction', 'module_introduction', 1),
  spec('module_2_assessment', 'module_assessment', 1),
];

const assessment = (m: number) => ({
  instructions: 'Answer each question.',
  questions: [
    {
      question: `Which command lists the files of a folder in module ${m}?`,
      type: 'multiple_choice',
      options: ['ls', 'cd', 'rm', 'mv'],
      answer: 'ls',
      explanation: 'ls lists the files.',
    },
    {
      question: `What does the pwd command print in module ${m}?`,
      type: 'multiple_choice',
      options: ['The working folder', 'The user name', 'The date', 'The host name'],
      answer: 'The working folder',
      explanation: 'pwd prints the working folder.',
    },
  ],
});

/** The course content as assemble.ts writes it (only what review= reads). */
const course = () => ({
  courseContent: {
    modules: [0, 1].map((m) => ({
      id: `module_${m + 1}`,
      title: `Module ${m + 1}`,
      assessment: {
        instructions: 'Answer each question.',
        questions: assessment(m + 1).questions.map(({ question, type, options, answer, explanation }) => ({
          question,
          type,
          options,
          answer,
          explanation,
        })),
      },
    })),
  },
  metadata: { totalWords: 100 },
});

describe("a course's assessment questions in review", () => {
  it('are recorded pending, edited through the section gate, and filtered in the course content by state', async () => {
    const owner = `owner-${randomUUID()}`;
    const jobId = `content-${Math.floor(Math.random() * 1e9) + 1}`;
    for (const section of [plan[1], plan[3]] as SectionSpec[]) {
      const m = section.group === 0 ? 1 : 2;
      await contentReview.recordSectionQuestions(owner, jobId, plan, section, assessment(m), 'Shell basics');
    }
    const id = (section: string, i: number) => contentReview.contentQuestionId(jobId, section, i);

    // Nearly the other question of its section: refused, as the section's own check would.
    const first = id('module_1_assessment', 0);
    await assert.rejects(
      service.patchQuestion(owner, REVIEWER, first, {
        question: 'What does the pwd command print in module 1?',
      }),
      (error: Error & { reasons?: string[] }) => (error.reasons ?? []).some((r) => /nearly repeats/.test(r)),
    );
    // A passing edit (options, answer, explanation) with a decision: the next version.
    const edited = await service.patchQuestion(owner, REVIEWER, first, {
      options: ['ls', 'cd', 'rm', 'cat'],
      correct_answer: 'ls',
      explanation: 'ls lists the files of a folder.',
      review: 'approved',
    });
    assert.equal(edited.version, 2);
    await service.reviewMany(owner, REVIEWER, { ids: [id('module_2_assessment', 1)], review: 'approved' });
    await service.reviewMany(owner, REVIEWER, { ids: [id('module_2_assessment', 0)], review: 'rejected' });

    const approved = await contentReview.contentInState(owner, jobId, plan, course(), 'approved');
    const [one, two] = approved.courseContent.modules;
    assert.deepEqual(one?.assessment.questions, [
      {
        question: 'Which command lists the files of a folder in module 1?',
        type: 'multiple_choice',
        options: ['ls', 'cd', 'rm', 'cat'],
        answer: 'ls',
        explanation: 'ls lists the files of a folder.',
      },
    ]);
    assert.deepEqual(
      two?.assessment.questions.map((q) => q.question),
      ['What does the pwd command print in module 2?'],
    );
    const pending = await contentReview.contentInState(owner, jobId, plan, course(), 'pending');
    assert.deepEqual(
      pending.courseContent.modules.map((m) => m.assessment.questions.length),
      [1, 0],
    );
    assert.equal(pending.courseContent.modules[0]?.assessment.instructions, 'Answer each question.');
  });
});
