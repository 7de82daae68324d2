/**
 * Regenerating one reviewed content question (a quiz category's or a module assessment's) as a
 * job kind (`content_question_regeneration`, started by `POST /questions/{id}/regenerate`): one
 * chunk of one question of the old one's type, for its section, asked with the content job's
 * request (topic, audience, tone, language), the section's place and brief and the text it builds
 * on, the old question and the reviewer's instructions (regenerate-prompt.ts). The answer passes
 * the checks a section's questions pass (output-checks.ts with jobs/text-questions.ts: the
 * section kind's option rules, the answer one of the options, no letters, no clearly longest
 * key), and the near-duplicate check against the section's other questions (the old one among
 * them), as an edit of one is held (review/content-edit-gate.ts). A multiple-choice key goes
 * where the old one's stood (section-keys.ts `keysFrom`), so the job's key balance holds.
 *
 * Keeping the replacement in the old question's place (same job, section, order and content id,
 * so `GET /api/jobs/{id}/content?review=` shows it there: question-review.ts `contentInState`)
 * and rejecting the old one are review/replacement.ts's, as for quiz banks and assessments. The
 * content job's files are not rewritten: unfiltered, its content stays as generated.
 *
 * The original Content Generator regenerates nothing smaller than a failed job: its only route
 * for it is `POST /api/jobs/{id}/retry` (jhaladik/ai-cto-modular-app at ea89ec8,
 * workers/bitware_content_generator/src/index.ts and API_DOCUMENTATION.md "Retry Failed Job"),
 * which works here as it is. One question at a time, with a reviewer's instructions, is the
 * review API's own route, so no client's shape binds it.
 */
import { randomUUID } from 'node:crypto';
import {
  ChunkGenerationFailed,
  type GenerateChunkInput,
  MAX_CALLS_PER_CHUNK,
  modelCaller,
  questionCallTuning,
} from '#jobs/chunk-common.ts';
import { isTerminal } from '#jobs/job.ts';
import * as jobs from '#jobs/job-store.ts';
import type { JobKind } from '#jobs/kind.ts';
import type { QualityCheck, Rejection } from '#jobs/questions.ts';
import { zeroUsage } from '#jobs/repair-loop.ts';
import * as results from '#jobs/results-store.ts';
import { NearDuplicateIndex } from '#jobs/similarity.ts';
import { s3Keys } from '#platform/keys.ts';
import { sectionSiblings } from '#review/content-edit-gate.ts';
import { contentRegenerationBasics } from '#review/regenerate-basics.ts';
import { type ReplacementFile, regenerationKind, replacementFile } from '#review/replacement.ts';
import type { QuestionContent, ReviewRecord } from '#review/review-store.ts';
import type { ContentPlan, SectionFile } from './content-job.ts';
import { checkSectionAnswer } from './output-checks.ts';
import { systemInstructionFor } from './prompts.ts';
import { CONTENT_QUESTION, replacementQuestion } from './question-review.ts';
import { CONTENT_REGENERATION_PROMPT_VERSION, contentRegenerationPrompt } from './regenerate-prompt.ts';
import type { ExecuteRequest } from './request.ts';
import { sectionQuestionsSchema } from './response-schemas.ts';
import { SectionCalls } from './section-calls.ts';
import { keysFrom } from './section-keys.ts';
import { QUESTION_TYPES, type QuestionType, type SectionSpec } from './sections.ts';

const CONTENT = { types: [CONTENT_QUESTION] as const, name: "a content job's question" };

/** The content job's request and plan, and the question's section, or why it cannot be regenerated. */
async function sectionOf(owner: string, old: ReviewRecord) {
  const fail = (why: string) =>
    new ChunkGenerationFailed(
      `${why}; edit question ${old.id} with PATCH /questions/${old.id} instead`,
      zeroUsage(),
    );
  const job = await jobs.getJob(old.job_id);
  if (!job || job.owner !== owner) {
    throw fail(`The content job ${old.job_id} of question ${old.id} no longer exists (jobs expire)`);
  }
  // A running job may write the section again (a quality round), over its questions' records.
  if (!isTerminal(job.status)) {
    throw new ChunkGenerationFailed(
      `The content job ${old.job_id} of question ${old.id} is still ${job.status}; regenerate the question once it has finished`,
      zeroUsage(),
    );
  }
  const [request, plan] = await Promise.all([
    results.getJson<ExecuteRequest>(s3Keys.contentRequest(owner, old.job_id)),
    results.getJson<ContentPlan>(s3Keys.contentPlan(owner, old.job_id)),
  ]);
  if (!request || !plan) throw fail(`The request or plan of content job ${old.job_id} is gone`);
  const section = plan.sections.find((s) => s.id === old.question.section_id);
  if (!section) throw fail(`Section ${String(old.question.section_id)} is not in the content job's plan`);
  return { request, plan, section };
}

/** The section asking for the old question alone: one question, of its type and listed topic. */
export function oneQuestionOf(section: SectionSpec, old: QuestionContent): SectionSpec {
  const type = (QUESTION_TYPES as readonly string[]).includes(String(old.question_type))
    ? (old.question_type as QuestionType)
    : 'multiple_choice';
  const topic = typeof old.question_topic === 'string' ? old.question_topic : undefined;
  return {
    ...section,
    questionCount: 1,
    // A section whose structure listed its questions asks for this one as listed; otherwise for
    // one multiple-choice question, as the section asked for all of its own.
    questions: section.questions ? [{ type, ...(topic !== undefined ? { topic } : {}) }] : undefined,
  };
}

async function generateReplacement(input: GenerateChunkInput, old: ReviewRecord): Promise<ReplacementFile> {
  const { request, plan, section } = await sectionOf(input.owner, old);
  const one = oneQuestionOf(section, old.question);
  const outputs = new Map<string, unknown>();
  await Promise.all(
    section.dependsOn.map(async (id) => {
      const file = await results.getJson<SectionFile>(s3Keys.contentSection(input.owner, old.job_id, id));
      if (file) outputs.set(id, file.output);
    }),
  );
  const previous = {
    question: old.question.question,
    question_type: String(old.question.question_type ?? 'multiple_choice'),
    options: Array.isArray(old.question.options) ? (old.question.options as string[]) : [],
    correct_answer: String(old.question.correct_answer ?? ''),
  };
  // The section's other questions, as last edited (replacements included), and the old one.
  const avoid = [...(await sectionSiblings(input.owner, old)), previous.question];
  const bank = new NearDuplicateIndex(avoid);
  const threshold = input.settings.gate.nearDuplicateThreshold;
  const ask = modelCaller(input, systemInstructionFor(request), CONTENT_REGENERATION_PROMPT_VERSION, {
    model: plan.model,
  });
  const calls = new SectionCalls(ask, plan.model, MAX_CALLS_PER_CHUNK);
  const rejected: Rejection[] = [];
  const byCheck: Partial<Record<QualityCheck, number>> = {};
  let problems: string[] = [];
  let kept: { output: unknown; call: number } | undefined;
  while (!kept && calls.more) {
    const prompt = contentRegenerationPrompt({
      request,
      plan: plan.sections,
      section: one,
      outputs,
      old: previous,
      instructions: input.job?.parameters.instructions,
      avoid,
      problems,
    });
    const called = await calls.call(prompt, sectionQuestionsSchema(one), (call, maxTokensStops) =>
      questionCallTuning(input.settings, plan.model, call, { need: 1, maxTokensStops }),
    );
    if ('refusal' in called) {
      problems = [called.refusal];
      continue;
    }
    const checked = checkSectionAnswer(one, called.answer, { questionsOnly: true });
    let checks: QualityCheck[];
    if (checked.ok) {
      const text = (checked.output as { questions: { question: string }[] }).questions[0]?.question ?? '';
      const near = bank.nearest(text, threshold);
      if (!near) {
        kept = { output: checked.output, call: calls.calls };
        break;
      }
      problems = [
        `questions[0] nearly repeats "${near.text.slice(0, 80)}" of the same section; ask something else`,
      ];
      checks = ['near_duplicate'];
    } else {
      ({ problems, checks } = checked);
    }
    rejected.push({ index: 0, question: '', reasons: problems, checks });
    for (const check of new Set(checks)) byCheck[check] = (byCheck[check] ?? 0) + 1;
  }
  const { usage, costUsd } = calls;
  if (!kept) {
    const why = calls.refused
      ? `${calls.refused} (not asked again, the same request would be refused again)`
      : problems.join('; ');
    throw new ChunkGenerationFailed(
      `No usable replacement of question ${old.id} after ${calls.calls} model calls: ${why}`,
      usage,
      undefined,
      costUsd,
    );
  }
  // The key where the old one's stood: question 0 of a round-robin starting there.
  const oldKey = previous.options.indexOf(previous.correct_answer);
  const { output, keyCues } = keysFrom(Math.max(0, oldKey), kept.output);
  await input.settleCost?.(costUsd);
  const question = replacementQuestion(old.question, one, output, randomUUID());
  return replacementFile(input, {
    question,
    model: plan.model,
    promptVersion: CONTENT_REGENERATION_PROMPT_VERSION,
    calls: calls.calls,
    rejected,
    quality: {
      requested: 1,
      passed_first_time: kept.call === 1 ? 1 : 0,
      repaired: kept.call === 1 ? 0 : 1,
      missing: 0,
      rejected: rejected.length,
      by_check: byCheck,
      key_cues: keyCues,
    },
    usage,
    costUsd,
  });
}

export const contentQuestionRegeneration: JobKind = regenerationKind(contentRegenerationBasics, {
  replaceable: CONTENT,
  // Under the regeneration job, as a content job's section files are under theirs.
  s3Key: (input) => s3Keys.contentSection(input.owner, input.jobId, input.chunkKey),
  generate: generateReplacement,
});
