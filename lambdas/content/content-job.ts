/**
 * Content jobs in the pipeline. Plan: read the request, ask the model for an outline when the
 * structure is empty, plan the sections in dependency stages. Worker: generate one section
 * from the text of the sections it depends on, measured against its word target and extended
 * or tightened within a bound. Assemble: the seed's content structure, summary and quality.
 *
 * S3 (see platform/keys.ts): content/<owner>/<job>/request.json, plan.json,
 * sections/<section>.json, content.json.
 */

import {
  ChunkGenerationFailed,
  type GenerateChunkInput,
  type GeneratedChunk,
  modelCaller,
} from '#jobs/chunk-common.ts';
import type { JobRecord, TokenUsage } from '#jobs/job.ts';
import type { ChunkQuality } from '#jobs/quality-report.ts';
import type { QualityCheck } from '#jobs/questions.ts';
import { addUsage, zeroUsage } from '#jobs/repair-loop.ts';
import * as results from '#jobs/results-store.ts';
import type { GenerationSettings } from '#platform/config.ts';
import { callModelWithRetries } from '#platform/gemini/gemini-client.ts';
import { callCost } from '#platform/gemini/pricing.ts';
import { refusalOf } from '#platform/gemini/refusals.ts';
import { s3Keys } from '#platform/keys.ts';
import { logger } from '#platform/powertools.ts';
import { assembleContent, summarizeSections } from './assemble.ts';
import { sectionChunkKey, sectionIdOf } from './chunk-keys.ts';
import {
  proseOf,
  type QualityMetrics,
  qualityMetrics,
  revisionPrompt,
  topicKeywords,
  wordsOf,
  wordTargetCheck,
} from './measure.ts';
import { chooseModel } from './model-choice.ts';
import {
  needsOutline,
  outlineCallTuning,
  outlinePrompt,
  outlineSchema,
  structureFromOutline,
} from './outline.ts';
import { checkSectionAnswer } from './output-checks.ts';
import { planSections, stagesOf } from './plan.ts';
import { missingDependencies } from './prompt-context.ts';
import { defaultTemplateFor } from './prompt-templates.ts';
import {
  PROMPT_VERSION,
  sectionPrompt,
  generationSettings as sectionTuning,
  systemInstructionFor,
  temperatureNote,
} from './prompts.ts';
import { recordSectionQuestions } from './question-review.ts';
import { ContentRequestError, type ExecuteRequest } from './request.ts';
import { sectionSchema } from './response-schemas.ts';
import { SectionCalls } from './section-calls.ts';
import { balanceSectionKeys, isQuestionSection } from './section-keys.ts';
import type { SectionSpec } from './sections.ts';
import { customTemplate, recordTemplateUse } from './templates.ts';

export { CONTENT_CHUNK_PREFIX, sectionChunkKey, sectionIdOf } from './chunk-keys.ts';

/** Model calls per section: the first answer plus revisions for shape or length. */
export const MAX_CALLS_PER_SECTION = 3;

export interface ContentPlan {
  model: string;
  structure: unknown;
  sections: SectionSpec[];
  notes: string[];
  /** Sections to generate again although they have an output (weak for the quality threshold). */
  redo?: string[];
}

/** Rounds of regenerating the weakest sections before a job fails its quality threshold. */
export const MAX_QUALITY_ROUNDS = 2;

export interface SectionFile {
  section_id: string;
  title: string;
  output: unknown;
  words: number;
  target_words: number;
  calls: number;
  usage: TokenUsage;
  generated_at: string;
}

export async function loadRequest(owner: string, jobId: string): Promise<ExecuteRequest> {
  const request = await results.getJson<ExecuteRequest>(s3Keys.contentRequest(owner, jobId));
  if (!request) throw new Error(`The request of content job ${jobId} is missing`);
  return request;
}

/** Outlines with the model when needed; the returned usage and costUsd are what the outline cost. */
async function structureFor(
  request: ExecuteRequest,
  apiKey: string,
  settings: GenerationSettings,
  model: string,
  deadline: number,
): Promise<{ structure: unknown; usage: TokenUsage; costUsd: number }> {
  const usage = zeroUsage();
  let costUsd = 0;
  if (!needsOutline(request)) return { structure: request.input.structure, usage, costUsd };
  let problems: string[] = [];
  let maxTokensStops = 0;
  for (let call = 1; call <= MAX_CALLS_PER_SECTION; call++) {
    const prompt = problems.length
      ? `${outlinePrompt(request)}\n\nYour previous outline had these problems; fix them: ${problems.join('; ')}`
      : outlinePrompt(request);
    const at = Date.now();
    const answer = await callModelWithRetries(
      {
        apiKey,
        model,
        systemInstruction: systemInstructionFor(request),
        prompt,
        responseSchema: outlineSchema(request),
        timeoutMs: settings.geminiTimeoutSeconds * 1000,
        ...outlineCallTuning(settings.thinking, model, call, maxTokensStops),
      },
      {
        maxAttempts: 5,
        baseDelayMs: 1000,
        maxDelayMs: 30_000,
        requestsPerMinute: settings.requestsPerMinute,
        deadline,
      },
    );
    addUsage(usage, answer.usage);
    costUsd += callCost(model, answer, { at });
    const refusal = refusalOf(answer);
    if (refusal) {
      // Asked again the same way, Gemini refuses again; the request's own topic is what it refused.
      throw new ContentRequestError(
        'INVALID_STRUCTURE',
        `No outline: ${refusal.message}`,
        'Send the structure of the content with the request, or rephrase its topic',
        'structure',
      );
    }
    if (answer.finishReason === 'MAX_TOKENS') {
      maxTokensStops += 1;
      problems = ['the answer stopped early (finishReason MAX_TOKENS)'];
      continue;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.text);
    } catch {
      problems = ['the answer was not valid JSON'];
      continue;
    }
    const outline = structureFromOutline(request, parsed);
    if (outline.ok) return { structure: outline.structure, usage, costUsd };
    problems = outline.problems;
  }
  throw new ContentRequestError(
    'INVALID_STRUCTURE',
    `No usable outline after ${MAX_CALLS_PER_SECTION} tries: ${problems.join('; ')}`,
    'Send the structure of the content with the request',
    'structure',
  );
}

export interface PlannedContent {
  chunks: string[];
  stages: string[][];
  total: number;
  skipped: number;
  usage: TokenUsage;
  /** USD of the outline call(s), each priced when it was made. */
  costUsd: number;
  model: string;
}

/**
 * Plans a content job. A retry keeps the plan it made before and skips the sections that
 * already have an output, so only the failed ones run again.
 */
export async function planContent(
  job: JobRecord,
  apiKey: string | undefined,
  settings: GenerationSettings,
  deadline: number,
): Promise<PlannedContent> {
  const request = await loadRequest(job.owner, job.job_id);
  const model = chooseModel(request.config, settings.model).model;
  let plan = await results.getJson<ContentPlan>(s3Keys.contentPlan(job.owner, job.job_id));
  let usage = zeroUsage();
  let costUsd = 0;
  if (!plan) {
    if (needsOutline(request) && !apiKey) throw new Error('GEMINI_API_KEY not configured');
    const outlined = await structureFor(request, apiKey ?? '', settings, model, deadline);
    usage = outlined.usage;
    costUsd = outlined.costUsd;
    const notes = [...request.notes];
    const choice = chooseModel(request.config, settings.model);
    if (choice.note) notes.push(choice.note);
    const unsent = temperatureNote(request, model);
    if (unsent) notes.push(unsent);
    plan = {
      model,
      structure: outlined.structure,
      sections: planSections(request, outlined.structure),
      notes,
    };
    await results.putJson(s3Keys.contentPlan(job.owner, job.job_id), plan);
  }
  const existing = await Promise.all(
    plan.sections.map((s) => results.sizeOf(s3Keys.contentSection(job.owner, job.job_id, s.id))),
  );
  const redo = new Set(plan.redo ?? []);
  const done = new Set(
    plan.sections.filter((s, i) => existing[i] !== undefined && !redo.has(s.id)).map((s) => s.id),
  );
  if (redo.size > 0) {
    // The redo list is consumed by this plan: the sections it names are about to be generated.
    const { redo: _consumed, ...rest } = plan;
    await results.putJson(s3Keys.contentPlan(job.owner, job.job_id), rest);
  }
  const stages = stagesOf(plan.sections)
    .map((stage) => stage.filter((s) => !done.has(s.id)).map((s) => sectionChunkKey(s.id)))
    .filter((stage) => stage.length > 0);
  return {
    chunks: stages.flat(),
    stages,
    total: plan.sections.length,
    skipped: done.size,
    usage,
    costUsd,
    model,
  };
}

const planCache = new Map<string, { request: ExecuteRequest; plan: ContentPlan }>();

async function jobContext(owner: string, jobId: string) {
  const cacheKey = `${owner}/${jobId}`;
  let context = planCache.get(cacheKey);
  if (!context) {
    const plan = await results.getJson<ContentPlan>(s3Keys.contentPlan(owner, jobId));
    if (!plan) throw new Error(`The section plan of content job ${jobId} is missing`);
    context = { request: await loadRequest(owner, jobId), plan };
    // A warm worker serves many sections of the same job; keep a few plans, not all.
    if (planCache.size > 20) planCache.clear();
    planCache.set(cacheKey, context);
  }
  return context;
}

export async function sectionTitle(
  owner: string,
  jobId: string,
  chunkKey: string,
): Promise<string | undefined> {
  const { plan } = await jobContext(owner, jobId);
  return plan.sections.find((s) => s.id === sectionIdOf(chunkKey))?.title;
}

/** Closer to the target is better; a valid answer always beats none. */
function distance(words: number, target: number): number {
  return Math.abs(Math.log(Math.max(words, 1) / Math.max(target, 1)));
}

export async function generateContentSection(
  input: GenerateChunkInput,
): Promise<GeneratedChunk & { words: number }> {
  const { request, plan } = await jobContext(input.owner, input.jobId);
  const section = plan.sections.find((s) => s.id === sectionIdOf(input.chunkKey));
  if (!section)
    throw new ChunkGenerationFailed(`Section ${input.chunkKey} is not in the job's plan`, zeroUsage());
  const outputs = new Map<string, unknown>();
  await Promise.all(
    section.dependsOn.map(async (id) => {
      const file = await results.getJson<SectionFile>(s3Keys.contentSection(input.owner, input.jobId, id));
      if (file) outputs.set(id, file.output);
    }),
  );
  const missing = missingDependencies(section, outputs);
  if (missing.length > 0) {
    throw new ChunkGenerationFailed(
      `SECTION_DEPENDENCY_ERROR: ${section.id} needs ${missing.join(', ')}, which were not generated`,
      zeroUsage(),
    );
  }
  // The owner's own version of this kind's template, when they saved one, replaces the default.
  const templateName = defaultTemplateFor(section.kind).name;
  const custom = await customTemplate(input.owner, templateName);
  const started = Date.now();
  const ask = modelCaller(input, systemInstructionFor(request, custom), PROMPT_VERSION, {
    model: plan.model,
  });
  const promptFor = () => sectionPrompt(request, plan.sections, section, outputs, custom?.template);
  const calls = new SectionCalls(ask, plan.model, MAX_CALLS_PER_SECTION);
  let best: { output: unknown; words: number; call: number } | undefined;
  /** Answers the checks refused, and the checks behind them (for the job's quality report). */
  let rejectedAnswers = 0;
  const byCheck: Partial<Record<QualityCheck, number>> = {};
  let prompt = promptFor();
  let problems: string[] = [];
  while (calls.more) {
    const called = await calls.call(prompt, sectionSchema(section, plan.sections), (call, maxTokensStops) =>
      sectionTuning(request, section, plan.model, input.settings.thinking, call, maxTokensStops),
    );
    if ('refusal' in called) {
      problems = [called.refusal];
      continue;
    }
    const checked = checkSectionAnswer(section, called.answer);
    if (!checked.ok) {
      problems = checked.problems;
      rejectedAnswers += 1;
      for (const check of new Set(checked.checks)) {
        byCheck[check] = (byCheck[check] ?? 0) + 1;
      }
      prompt = `${promptFor()}\n\nYour previous answer was rejected: ${problems.join('; ')}`;
      continue;
    }
    const words = wordsOf(checked.output);
    if (!best || distance(words, section.targetWords) < distance(best.words, section.targetWords)) {
      best = { output: checked.output, words, call: calls.calls };
    }
    const check = wordTargetCheck(section.targetWords, words);
    if (check.ok) break;
    logger.info('Section off its word target; revising', {
      section: section.id,
      words,
      target: section.targetWords,
    });
    prompt = revisionPrompt(section, checked.output, check);
  }
  const { usage, costUsd } = calls;
  if (!best) {
    throw new ChunkGenerationFailed(
      calls.refused
        ? `${calls.refused}, for section ${section.id} (after ${calls.calls} model calls; not asked again, the same request would be refused again)`
        : `No usable answer for section ${section.id} after ${calls.calls} model calls: ${problems.join('; ')}`,
      usage,
      undefined,
      costUsd,
    );
  }
  // A question section's keys move to where the job's round-robin puts them (section-keys.ts),
  // and its questions start pending review; recorded before the section is kept, as a quiz
  // chunk's are (quiz-bank/quiz-chunk.ts).
  let output = best.output;
  let quality: ChunkQuality | undefined;
  if (isQuestionSection(section)) {
    const balanced = balanceSectionKeys(section, plan.sections, best.output);
    output = balanced.output;
    const kept = (output as { questions: unknown[] }).questions.length;
    quality = {
      requested: section.questionCount ?? kept,
      passed_first_time: best.call === 1 ? kept : 0,
      repaired: best.call === 1 ? 0 : kept,
      missing: Math.max(0, (section.questionCount ?? kept) - kept),
      rejected: rejectedAnswers,
      by_check: byCheck,
      key_cues: balanced.keyCues,
    };
    await recordSectionQuestions(
      input.owner,
      input.jobId,
      plan.sections,
      section,
      output,
      request.input.topic,
    );
  }
  const s3Key = s3Keys.contentSection(input.owner, input.jobId, section.id);
  const file: SectionFile = {
    section_id: section.id,
    title: section.title,
    output,
    words: best.words,
    target_words: section.targetWords,
    calls: calls.calls,
    usage,
    generated_at: new Date().toISOString(),
  };
  await results.putJson(s3Key, file);
  await recordTemplateUse(input.owner, templateName, Date.now() - started);
  return {
    questions: best.words,
    words: best.words,
    s3Key,
    usage,
    costUsd,
    ...(quality ? { quality } : {}),
  };
}

export interface AssembledContent {
  key: string;
  size: number;
  totalWords: number;
  quality: QualityMetrics;
  /** The sections furthest from their word target or off the topic, weakest first. */
  weakSections: string[];
  /** The templates the sections were generated with, for their quality statistics. */
  templates: string[];
}

/** The seed's content, summary and quality metrics, from whatever sections were generated. */
export async function assembleContentJob(job: JobRecord): Promise<AssembledContent> {
  const { request, plan } = await jobContext(job.owner, job.job_id);
  const outputs = new Map<string, unknown>();
  const files = await Promise.all(
    plan.sections.map((s) =>
      results.getJson<SectionFile>(s3Keys.contentSection(job.owner, job.job_id, s.id)),
    ),
  );
  for (const file of files) if (file) outputs.set(file.section_id, file.output);
  const content = assembleContent(request, plan.sections, outputs);
  const summary = summarizeSections(plan.sections, outputs);
  const quality = qualityMetrics(outputs, plan.sections, request);
  const key = s3Keys.contentResult(job.owner, job.job_id);
  const size = await results.putJson(key, {
    content,
    summary,
    qualityMetrics: quality,
    notes: plan.notes,
    model: plan.model,
    generatedAt: new Date().toISOString(),
  });
  const templates = plan.sections.map((section) => defaultTemplateFor(section.kind).name);
  return {
    key,
    size,
    totalWords: summary.totalWords,
    quality,
    templates,
    weakSections: weakSections(request, files),
  };
}

/**
 * The sections worth generating again for quality: those under 0.8 of their word target or
 * not mentioning the topic, weakest first, at most a third of the sections (at least one), so
 * a regeneration round stays a fraction of the job.
 */
export function weakSections(request: ExecuteRequest, files: (SectionFile | undefined)[]): string[] {
  const keywords = topicKeywords(request.input.topic);
  const scored = files
    .filter((file): file is SectionFile => file !== undefined)
    .map((file) => {
      const ratio = file.words / Math.max(1, file.target_words);
      const text = proseOf(file.output).join(' ').toLowerCase();
      const onTopic = keywords.length === 0 || keywords.some((k) => text.includes(k));
      return { id: file.section_id, score: Math.min(1, ratio / 0.8) + (onTopic ? 0 : -1) };
    })
    .filter((s) => s.score < 1)
    .sort((a, b) => a.score - b.score || a.id.localeCompare(b.id));
  return scored.slice(0, Math.max(1, Math.ceil(files.length / 3))).map((s) => s.id);
}

/** Marks sections to be generated again by the next "Plan chunks". */
export async function requeueSections(job: JobRecord, sectionIds: string[]): Promise<void> {
  const plan = await results.getJson<ContentPlan>(s3Keys.contentPlan(job.owner, job.job_id));
  if (!plan) throw new Error(`The section plan of content job ${job.job_id} is missing`);
  await results.putJson(s3Keys.contentPlan(job.owner, job.job_id), { ...plan, redo: sectionIds });
  planCache.delete(`${job.owner}/${job.job_id}`);
}
