/**
 * The body of `POST /api/execute` (the Content Generator seed's request), parsed into a typed
 * `ExecuteRequest`.
 *
 * Liberal where the seed's own cURL example is: `structure`, `bySection`, `byPriority` and
 * `contentMetadata` may be `{}`, `granulatorJobId` may be absent (standalone use), `action`
 * defaults to "generate", `null` counts as absent, and keys this service does not use
 * (`resourceEstimates`, `standardParameters.topic`, …) are accepted. Strict where a wrong value
 * would silently change the result: structure type, word total, ranges, URLs.
 *
 * Error codes are the seed's: MISSING_REQUIRED_FIELD for an absent required field,
 * INVALID_STRUCTURE_TYPE, MISSING_GRANULATOR_DATA when neither `structure` nor
 * `structureReference` is given, and INVALID_STRUCTURE ("Input structure is malformed") for any
 * other malformed part of `input` or `config`, always with the `field` that is wrong. Fields
 * inside `input` are named without the `input.` prefix, as in the seed's own example
 * (`"field": "wordCountEstimates"`); fields of `config` keep theirs (`config.temperature`).
 */
import * as z from 'zod';
import { isRetired, liveModels, priceTable } from '#platform/gemini/pricing.ts';
import { MAX_NESTING, nestedDeeperThan } from '#platform/http.ts';
import { languageCode, languageName } from '#platform/language.ts';
import { isObject } from './output-fields.ts';

export const STRUCTURE_TYPES = [
  'course',
  'quiz',
  'novel',
  'workflow',
  'knowledge_map',
  'learning_path',
] as const;
export type StructureType = (typeof STRUCTURE_TYPES)[number];

export const APPROACHES = ['hierarchical', 'sequential', 'parallel'] as const;
export type Approach = (typeof APPROACHES)[number];

/** Above this the job would run for hours and cost more than any client of the seed asked for. */
export const MAX_TOTAL_WORDS = 200_000;

export const CONTENT_ERROR_CODES = [
  'MISSING_REQUIRED_FIELD',
  'INVALID_STRUCTURE_TYPE',
  'INVALID_STRUCTURE',
  'MISSING_GRANULATOR_DATA',
] as const;
export type ContentErrorCode = (typeof CONTENT_ERROR_CODES)[number];

/** A request the service cannot run; all four codes are 400 in the seed's table. */
export class ContentRequestError extends Error {
  readonly code: ContentErrorCode;
  readonly field: string | undefined;
  readonly suggestion: string;
  readonly status: number;
  constructor(code: ContentErrorCode, message: string, suggestion: string, field?: string) {
    super(message);
    this.name = 'ContentRequestError';
    this.code = code;
    this.field = field;
    this.suggestion = suggestion;
    this.status = 400;
  }

  /** The `metadata.details` of the seed's error envelope. */
  details(): { code: ContentErrorCode; field?: string; suggestion: string } {
    return { code: this.code, ...(this.field ? { field: this.field } : {}), suggestion: this.suggestion };
  }
}

export interface StructureReference {
  /** `url` is read by this service (HTTPS, e.g. a presigned S3 URL); the others name storage it cannot read. */
  type: 'kv' | 'r2' | 's3' | 'url';
  location: string;
}

/** An explicit edge from `generationStrategy.dependencies`, between section ids of the plan. */
export interface SectionDependency {
  section: string;
  dependsOn: string[];
}

export interface WordCountEstimates {
  total: number;
  /** Words per part of the content (`lessonContent`, `examples`, `overview`, …); may be empty. */
  bySection: Record<string, number>;
  /** Words per priority class (`high`, `medium`, `low`); may be empty. */
  byPriority: Record<string, number>;
}

export interface StandardParameters {
  granularityLevel?: number;
  targetAudience?: string;
  language?: string;
  tone?: string;
  style?: string;
}

export interface GenerationStrategy {
  approach?: Approach;
  parallelizable?: boolean;
  dependencies: SectionDependency[];
  batchSize?: number;
  maxConcurrent?: number;
}

export interface ContentSpecs {
  contentTypes: string[];
  requiredSections: string[];
  optionalSections: string[];
}

export interface QualityRequirements {
  minQualityScore?: number;
  readabilityTarget?: number;
  coherenceTarget?: number;
  completenessTarget?: number;
  validationRequired: boolean;
}

export interface ContentMetadata {
  standardParameters: StandardParameters;
  generationStrategy: GenerationStrategy;
  contentSpecs: ContentSpecs;
  qualityRequirements: QualityRequirements;
}

export interface GenerationConfig {
  aiProvider?: string;
  aiModel?: string;
  temperature?: number;
  maxTokens?: number;
  systemPrompt?: string;
  enableCaching?: boolean;
  qualityValidation?: boolean;
  progressCallbackUrl?: string;
  callbackHeaders?: Record<string, string>;
  callbackRetries?: number;
  /** Not in the seed: what the request would do and cost, without starting it. */
  dryRun?: boolean;
  /** Not in the seed: the most the job may spend, in US dollars. */
  maxCostUsd?: number;
}

export interface ExecuteRequest {
  action: 'generate';
  input: {
    granulatorJobId?: number | string;
    topic: string;
    structureType: StructureType;
    /** The granulator's structure; `{}` asks this service to outline it first. */
    structure?: Record<string, unknown>;
    structureReference?: StructureReference;
    wordCountEstimates: WordCountEstimates;
    contentMetadata: ContentMetadata;
  };
  config: GenerationConfig;
  /** What was accepted but will not be honoured as asked (e.g. another AI provider). */
  notes: string[];
}

// Each message is the phrase after "<field> must be", so errors and suggestions read alike.
const text = (max: number) =>
  z
    .string({ error: 'a string' })
    .trim()
    .min(1, 'a non-empty string')
    .max(max, `a string of at most ${max} characters`);
const intIn = (min: number, max: number) => {
  const phrase = `a whole number from ${min} to ${max}`;
  return z.number({ error: phrase }).int(phrase).min(min, phrase).max(max, phrase);
};
const numIn = (min: number, max: number) => {
  const phrase = `a number from ${min} to ${max}`;
  return z.number({ error: phrase }).min(min, phrase).max(max, phrase);
};
const bool = z.boolean({ error: 'true or false' });
const texts = (maxItems: number) =>
  z.array(text(200), { error: 'a list of strings' }).max(maxItems, `a list of at most ${maxItems} strings`);
const wordMap = z.record(
  z.string(),
  z
    .number({ error: 'a map of names to word counts' })
    .min(0, 'a map of names to word counts of 0 or more')
    .max(MAX_TOTAL_WORDS, `a map of names to word counts of at most ${MAX_TOTAL_WORDS}`),
  { error: 'an object mapping names to word counts' },
);
const object = <T extends z.ZodRawShape>(shape: T) => z.object(shape, { error: 'an object' });

const wordCountSchema = object({
  total: z
    .number({ error: `a positive whole number of words (at most ${MAX_TOTAL_WORDS})` })
    .int(`a positive whole number of words (at most ${MAX_TOTAL_WORDS})`)
    .min(1, `a positive whole number of words (at most ${MAX_TOTAL_WORDS})`)
    .max(MAX_TOTAL_WORDS, `at most ${MAX_TOTAL_WORDS} words; split larger content into several jobs`),
  bySection: wordMap.optional(),
  byPriority: wordMap.optional(),
});

const metadataSchema = object({
  standardParameters: object({
    granularityLevel: intIn(1, 5).optional(),
    targetAudience: text(300).optional(),
    // ISO 639-1, as the Granulator writes it ("en", workers/bitware_content_granulator/src/
    // services/granulator.ts in jhaladik/ai-cto-modular-app).
    language: languageCode.optional(),
    tone: text(200).optional(),
    style: text(200).optional(),
  }).optional(),
  generationStrategy: object({
    approach: z.enum(APPROACHES, { error: `one of ${APPROACHES.join(', ')}` }).optional(),
    parallelizable: bool.optional(),
    dependencies: z
      .array(z.unknown(), { error: 'a list' })
      .max(500, 'a list of at most 500 entries')
      .optional(),
    batchSize: intIn(1, 100).optional(),
    maxConcurrent: intIn(1, 100).optional(),
  }).optional(),
  contentSpecs: object({
    contentTypes: texts(50).optional(),
    requiredSections: texts(50).optional(),
    optionalSections: texts(50).optional(),
  }).optional(),
  qualityRequirements: object({
    minQualityScore: numIn(0, 100).optional(),
    readabilityTarget: numIn(0, 100).optional(),
    coherenceTarget: numIn(0, 100).optional(),
    completenessTarget: numIn(0, 100).optional(),
    validationRequired: bool.optional(),
  }).optional(),
});

const configSchema = object({
  aiProvider: text(100).optional(),
  aiModel: text(200).optional(),
  temperature: numIn(0, 2).optional(),
  maxTokens: intIn(1, 65_536).optional(),
  systemPrompt: text(20_000).optional(),
  enableCaching: bool.optional(),
  qualityValidation: bool.optional(),
  progressCallbackUrl: z
    .url({ protocol: /^https?$/, error: 'an http or https URL' })
    .max(2000, 'a URL of at most 2000 characters')
    .optional(),
  callbackHeaders: z
    .record(z.string().max(200), z.string({ error: 'a map of header names to string values' }).max(4000), {
      error: 'an object mapping header names to string values',
    })
    .optional(),
  callbackRetries: intIn(0, 10).optional(),
  /** Not in the seed: answer what the request would cost and do, without starting it. */
  dryRun: bool.optional(),
  /** Not in the seed: the most the job may spend, in US dollars. */
  maxCostUsd: numIn(0.000001, 100_000).optional(),
});

const referenceSchema = object({
  type: z.enum(['kv', 'r2', 's3', 'url'], { error: 'one of kv, r2, s3, url' }),
  location: text(1024),
});

const granulatorJobIdSchema = z.union([z.number().int().min(0), text(200)], {
  error: 'a job id (a whole number or a string)',
});

/**
 * The parts of an execute request that zod validates, for the OpenAPI document
 * (api/content-openapi.ts); `parseExecuteRequest` checks the rest field by field.
 */
export const executeRequestParts = {
  wordCountSchema,
  metadataSchema,
  configSchema,
  referenceSchema,
  granulatorJobIdSchema,
};

/** The refusal of a request nested more than MAX_NESTING levels deep. */
export function nestedTooDeep(): ContentRequestError {
  return new ContentRequestError(
    'INVALID_STRUCTURE',
    `The request is nested more than ${MAX_NESTING} levels deep`,
    'Send the structure as its lists of items (modules of lessons, steps, chapters...), not nested deeper',
    'body',
  );
}

/** Parses the request body; throws `ContentRequestError` naming the field to fix. */
export function parseExecuteRequest(body: unknown): ExecuteRequest {
  if (nestedDeeperThan(body, MAX_NESTING)) throw nestedTooDeep();
  const root = withoutNulls(body);
  if (!isObject(root)) {
    throw invalid('body', 'a JSON object with "action", "input" and optional "config"');
  }
  const notes: string[] = [];
  if (root.action !== undefined && root.action !== 'generate') {
    throw invalid('action', '"generate" (the only action /api/execute performs)');
  }
  const input = root.input;
  if (input === undefined)
    throw missing('input', 'Include "input" with topic, structureType, structure and wordCountEstimates');
  if (!isObject(input)) throw invalid('input', 'an object');

  if (input.topic === undefined) throw missing('topic', 'Include input.topic, e.g. "Python Basics"');
  const topic = field('topic', text(500), input.topic);

  const structureType = parseStructureType(input.structureType);

  const { structure, structureReference } = parseStructureSource(input);

  if (input.wordCountEstimates === undefined) {
    throw missing('wordCountEstimates', 'Include wordCountEstimates in your request');
  }
  if (isObject(input.wordCountEstimates) && input.wordCountEstimates.total === undefined) {
    throw missing(
      'wordCountEstimates.total',
      'Include wordCountEstimates.total, the number of words to generate, e.g. 15000',
    );
  }
  const words = field('wordCountEstimates', wordCountSchema, input.wordCountEstimates);

  const granulatorJobId =
    input.granulatorJobId === undefined
      ? undefined
      : field('granulatorJobId', granulatorJobIdSchema, input.granulatorJobId);

  const meta = field('contentMetadata', metadataSchema, input.contentMetadata ?? {});
  const config = field('config', configSchema, root.config ?? {});
  refuseRetiredModel(config.aiModel);

  const provider = config.aiProvider?.toLowerCase();
  if (provider !== undefined && provider !== 'gemini' && provider !== 'google') {
    notes.push(
      `config.aiProvider "${config.aiProvider}" is not available here; this service generates with Google Gemini.`,
    );
  }
  const declaredType = (
    input.contentMetadata as { standardParameters?: { structureType?: unknown } } | undefined
  )?.standardParameters?.structureType;
  if (typeof declaredType === 'string' && declaredType !== structureType) {
    notes.push(
      `contentMetadata.standardParameters.structureType "${declaredType}" differs from input.structureType; "${structureType}" is used.`,
    );
  }
  const dependencies = parseDependencies(meta.generationStrategy?.dependencies ?? [], notes);

  return {
    action: 'generate',
    input: {
      ...(granulatorJobId !== undefined ? { granulatorJobId } : {}),
      topic,
      structureType,
      ...(structure ? { structure } : {}),
      ...(structureReference ? { structureReference } : {}),
      wordCountEstimates: {
        total: words.total,
        bySection: words.bySection ?? {},
        byPriority: words.byPriority ?? {},
      },
      contentMetadata: {
        standardParameters: { ...meta.standardParameters },
        generationStrategy: { ...meta.generationStrategy, dependencies },
        contentSpecs: {
          contentTypes: meta.contentSpecs?.contentTypes ?? [],
          requiredSections: meta.contentSpecs?.requiredSections ?? [],
          optionalSections: meta.contentSpecs?.optionalSections ?? [],
        },
        qualityRequirements: {
          ...meta.qualityRequirements,
          validationRequired: meta.qualityRequirements?.validationRequired ?? false,
        },
      },
    },
    config,
    notes,
  };
}

/** A value as an error message quotes it: short, whatever was sent. */
function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

function parseStructureType(value: unknown): StructureType {
  if (value === undefined) {
    throw missing('structureType', `Include input.structureType, one of ${STRUCTURE_TYPES.join(', ')}`);
  }
  // "Course" or "knowledge-map" are the same request; anything else is not a type we build.
  const normalized =
    typeof value === 'string'
      ? value
          .trim()
          .toLowerCase()
          .replace(/[-\s]+/g, '_')
      : value;
  if (!(STRUCTURE_TYPES as readonly unknown[]).includes(normalized)) {
    throw new ContentRequestError(
      'INVALID_STRUCTURE_TYPE',
      `Structure type ${shown(value)} is not supported`,
      `Set input.structureType to one of ${STRUCTURE_TYPES.join(', ')}`,
      'structureType',
    );
  }
  return normalized as StructureType;
}

function parseStructureSource(input: Record<string, unknown>): {
  structure?: Record<string, unknown>;
  structureReference?: StructureReference;
} {
  if (input.structure === undefined && input.structureReference === undefined) {
    throw new ContentRequestError(
      'MISSING_GRANULATOR_DATA',
      'Neither input.structure nor input.structureReference was given',
      'Include the granulator output as input.structure (or {} to let this service outline it), ' +
        'or point input.structureReference to where it is stored',
      'structure',
    );
  }
  const structure = input.structure;
  if (structure !== undefined && !isObject(structure)) {
    throw new ContentRequestError(
      'INVALID_STRUCTURE',
      'input.structure must be an object',
      'Send input.structure as the granulator output object, e.g. {"modules": [...]} for a course, or {}',
      'structure',
    );
  }
  const structureReference =
    input.structureReference === undefined
      ? undefined
      : field('structureReference', referenceSchema, input.structureReference);
  // The seed's full example sends both, `structure: {}` beside a reference: the reference is
  // where the granulator's output is, and an empty structure must not ask for an outline instead.
  const keep = structure !== undefined && !(structureReference && Object.keys(structure).length === 0);
  return {
    ...(keep ? { structure } : {}),
    ...(structureReference ? { structureReference } : {}),
  };
}

/**
 * The seed shows `dependencies: []` without saying what an entry is. Entries of the form
 * `{ section, dependsOn }` (section ids of the plan) are honoured; anything else is noted and
 * ignored rather than guessed at.
 */
function parseDependencies(entries: unknown[], notes: string[]): SectionDependency[] {
  const result: SectionDependency[] = [];
  let ignored = 0;
  for (const entry of entries) {
    if (isObject(entry) && typeof entry.section === 'string') {
      const on = typeof entry.dependsOn === 'string' ? [entry.dependsOn] : entry.dependsOn;
      if (Array.isArray(on) && on.every((d) => typeof d === 'string')) {
        result.push({ section: entry.section, dependsOn: on as string[] });
        continue;
      }
    }
    ignored += 1;
  }
  if (ignored > 0) {
    notes.push(
      `${ignored} generationStrategy.dependencies entries were ignored; write each as {"section": "module_2", "dependsOn": ["module_1_summary"]}.`,
    );
  }
  return result;
}

/** Generation parameters with the defaults this service applies when the request leaves them out. */
export interface ContentParameters {
  topic: string;
  audience: string;
  /** The language as given (e.g. "en"), and its English name for prompts. */
  language: string;
  languageName: string;
  tone: string;
  style: string;
  granularityLevel: number;
  approach: Approach;
}

export const PARAMETER_DEFAULTS = {
  audience: 'general learners',
  language: 'en',
  tone: 'clear, friendly and encouraging',
  style: 'practical and example-driven',
  granularityLevel: 3,
} as const;

export function contentParameters(request: ExecuteRequest): ContentParameters {
  const p = request.input.contentMetadata.standardParameters;
  const strategy = request.input.contentMetadata.generationStrategy;
  const language = p.language ?? PARAMETER_DEFAULTS.language;
  return {
    topic: request.input.topic,
    audience: p.targetAudience ?? PARAMETER_DEFAULTS.audience,
    language,
    languageName: languageName(language),
    tone: p.tone ?? PARAMETER_DEFAULTS.tone,
    style: p.style ?? PARAMETER_DEFAULTS.style,
    granularityLevel: p.granularityLevel ?? PARAMETER_DEFAULTS.granularityLevel,
    // A client that says its content is not parallelizable but names no approach wants order kept.
    approach: strategy.approach ?? (strategy.parallelizable === false ? 'sequential' : 'hierarchical'),
  };
}

/**
 * A Gemini model past its shutdown date answers every call with 404
 * (https://ai.google.dev/gemini-api/docs/deprecations: a shut-down model "is completely turned
 * off, and the endpoint is no longer available"); asking for one is refused with the live ones.
 * Other unknown names still fall back to the default (`chooseModel`), as the seed's clients send
 * other providers' model names.
 */
function refuseRetiredModel(aiModel: string | undefined, at = Date.now()): void {
  const name = aiModel?.trim().replace(/^models\//, '');
  if (!name || !isRetired(name, at)) return;
  const live = liveModels(at).join(', ');
  throw new ContentRequestError(
    'INVALID_STRUCTURE',
    `config.aiModel ${name} was shut down on ${priceTable.models[name]?.retires_on}; the live models are ${live}`,
    `Send config.aiModel as one of ${live}, or leave it out for the default`,
    'config.aiModel',
  );
}

function field<T>(path: string, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = [path, ...(issue?.path ?? []).map(String)].join('.');
  // zod reports a missing key as a type error; the seed has a code of its own for it.
  if (issue?.code === 'invalid_type' && valueAt(value, issue.path) === undefined) {
    throw missing(where, `Include ${where}: it must be ${issue.message}`);
  }
  throw invalid(where, issue?.message ?? 'valid');
}

function valueAt(value: unknown, path: PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (!isObject(current) && !Array.isArray(current)) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function missing(fieldName: string, suggestion: string): ContentRequestError {
  return new ContentRequestError(
    'MISSING_REQUIRED_FIELD',
    `Missing required field: ${fieldName}`,
    suggestion,
    fieldName,
  );
}

function invalid(fieldName: string, expected: string): ContentRequestError {
  return new ContentRequestError(
    'INVALID_STRUCTURE',
    `${fieldName} must be ${expected}`,
    `Send ${fieldName} as ${expected}`,
    fieldName,
  );
}

/** JSON clients send `null` for "not set"; treating it as absent keeps the checks above simple. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutNulls(v)]),
  );
}
