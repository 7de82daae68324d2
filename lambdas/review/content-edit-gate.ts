/**
 * The edit gate of a content job's questions (review type `content`: lambdas/content/
 * question-review.ts records them). An edit is held to the checks the question passed when its
 * section was generated (content/output-checks.ts): the same per-question checks
 * (jobs/text-questions.ts, with the rules of its section's kind) and, for the near-duplicate
 * check, the other questions of its section, as the section's own check compares them.
 *
 * While a content job with quality checks runs, a quality round may write a weak section again,
 * and its questions over their records (content/kind.ts, content/question-review.ts): a decision
 * or an edit made then could be replaced by a new, pending question. `stillBeingWritten` names
 * such questions, and the review API refuses them until the job has ended.
 */

import { isTerminal } from '#jobs/job.ts';
import * as jobs from '#jobs/job-store.ts';
import * as results from '#jobs/results-store.ts';
import type { NearDuplicateIndex } from '#jobs/similarity.ts';
import {
  ASSESSMENT_RULES,
  checkTextQuestion,
  QUIZ_CATEGORY_RULES,
  TEXT_QUESTION_TYPES,
  type TextQuestionType,
} from '#jobs/text-questions.ts';
import { generationSettings } from '#platform/config.ts';
import { s3Keys } from '#platform/keys.ts';
import type { PatchQuestionBody } from './review-schemas.ts';
import { listReviews, type QuestionContent, type ReviewRecord } from './review-store.ts';

/** The edited fields (review-service.ts `EditFields`, named here so that module can import this one). */
type Edit = Pick<PatchQuestionBody, 'question' | 'options' | 'correct_answer' | 'explanation'>;

/** The question as edited, or the reasons the gate refuses it (review-service.ts `EditGate`). */
export function contentEditGate(
  current: QuestionContent,
  edit: Edit,
  bank: NearDuplicateIndex,
): { question: QuestionContent } | { reasons: string[] } {
  const reasons: string[] = [];
  const type = (TEXT_QUESTION_TYPES as readonly string[]).includes(String(current.question_type))
    ? (current.question_type as TextQuestionType)
    : 'multiple_choice';
  if (edit.options?.some((o) => typeof o !== 'string')) {
    return { reasons: ['options: must be strings, as the question lists them'] };
  }
  const question = (edit.question ?? current.question).trim();
  const explanation = (edit.explanation ?? current.explanation).trim();
  const options = (edit.options ?? (current.options as string[] | undefined) ?? []) as string[];
  const answer = edit.correct_answer ?? String(current.correct_answer ?? '');
  if (!question) reasons.push('question: must not be empty');
  if (!explanation) reasons.push('explanation: must not be empty');
  if (edit.options && type === 'true_false' && options.join('|') !== 'True|False') {
    reasons.push('options: a true/false question’s options are always ["True", "False"]');
  }
  if (edit.options && type === 'short_answer' && options.length > 0) {
    reasons.push('options: a short-answer question has none; edit correct_answer, the expected answer');
  }
  const rules = current.section_kind === 'quiz_category' ? QUIZ_CATEGORY_RULES : ASSESSMENT_RULES;
  const checked = checkTextQuestion(
    { type, options, answer, explanation },
    rules,
    generationSettings().gate,
    'question',
    'correct_answer',
  );
  reasons.push(...checked.problems.map((p) => p.reason));
  const near = bank.nearest(question, generationSettings().gate.nearDuplicateThreshold);
  if (near) {
    reasons.push(
      `question: nearly repeats "${near.text.slice(0, 80)}" of the same section; ask something else`,
    );
  }
  if (reasons.length > 0) return { reasons };
  return {
    question: { ...current, question, options: checked.options, correct_answer: checked.answer, explanation },
  };
}

/** The texts of the other questions of a content question's section, for its near-duplicate check. */
export async function sectionSiblings(owner: string, record: ReviewRecord): Promise<string[]> {
  const texts: string[] = [];
  let after: string | undefined;
  do {
    const page = await listReviews(owner, { job_id: record.job_id }, 200, after);
    for (const other of page.records) {
      if (other.chunk_key === record.chunk_key && other.id !== record.id) texts.push(other.question.question);
    }
    after = page.nextAfter;
  } while (after);
  return texts;
}

/** The part of a stored content request (content/request.ts `ExecuteRequest`) read here. */
interface QualityChecked {
  input?: {
    contentMetadata?: { qualityRequirements?: { validationRequired?: boolean; minQualityScore?: number } };
  };
}

/**
 * Why the content questions among `records` may not be decided or edited yet, if any of them
 * may be: their content job is still running with quality checks on (`validationRequired` and
 * a `minQualityScore`, which is when content/kind.ts runs quality rounds). Other questions, and
 * every question once its job has ended, are final.
 */
export async function stillBeingWritten(owner: string, records: ReviewRecord[]): Promise<string | undefined> {
  const byJob = new Map<string, string[]>();
  for (const record of records) {
    if (record.type !== 'content') continue;
    byJob.set(record.job_id, [...(byJob.get(record.job_id) ?? []), record.id]);
  }
  for (const [jobId, ids] of byJob) {
    const job = await jobs.getJob(jobId);
    if (!job || job.owner !== owner || isTerminal(job.status)) continue;
    const request = await results.getJson<QualityChecked>(s3Keys.contentRequest(owner, jobId));
    const quality = request?.input?.contentMetadata?.qualityRequirements;
    if (!quality?.validationRequired || quality.minQualityScore === undefined) continue;
    const which = ids.length === 1 ? `Question ${ids[0]} is` : `Questions ${ids.join(', ')} are`;
    return `${which} of content job ${jobId}, which is still ${job.status} with quality checks on: a quality round may write its section again, with new questions. Review ${ids.length === 1 ? 'it' : 'them'} once the job has finished`;
  }
  return undefined;
}
