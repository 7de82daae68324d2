/**
 * Configuration, the one registry of it: every variable a function reads, by name (`ENV`), with
 * its default (`DEFAULTS`). Every Lambda function, the local stack and the CDK constructs agree
 * on these names; `lib/` sets them, `local/` sets them to local endpoints, and the handlers read
 * them only through this module.
 *
 * Each variable is read from the environment once per cold start, when it is first needed: Lambda
 * fixes a function's environment for the life of its execution environment, so reading it again
 * on every call would only re-parse the same text. A required variable that is missing fails the
 * first call that needs it, with the variable's name. The first use rather than module load: the
 * CDK app and the unit tests load these modules without a function's environment.
 */

import { isThinkingLevel, THINKING_LEVELS, type ThinkingLevel } from './gemini/model-capabilities.ts';
import { isRetired, liveModels, priceTable } from './gemini/pricing.ts';

export const ENV = {
  tableName: 'TABLE_NAME',
  bucketName: 'BUCKET_NAME',
  chunkQueueUrl: 'CHUNK_QUEUE_URL',
  stateMachineArn: 'STATE_MACHINE_ARN',
  geminiModel: 'GEMINI_MODEL',
  /** Plain API key (local mode, or a user who prefers an environment variable). */
  geminiApiKey: 'GEMINI_API_KEY',
  /** Secrets Manager secret holding the key (deployed mode). */
  geminiApiKeySecretArn: 'GEMINI_API_KEY_SECRET_ARN',
  /** Another Gemini-compatible endpoint, e.g. the local simulator. */
  geminiBaseUrl: 'GEMINI_BASE_URL',
  llmMaxConcurrency: 'LLM_MAX_CONCURRENCY',
  llmRequestsPerMinute: 'LLM_REQUESTS_PER_MINUTE',
  questionsPerCareerLevel: 'QUESTIONS_PER_CAREER_LEVEL',
  questionsPerSoftSkillsJob: 'QUESTIONS_PER_SOFT_SKILLS_JOB',
  syncWaitSeconds: 'SYNC_WAIT_SECONDS',
  jobRetentionDays: 'JOB_RETENTION_DAYS',
  chunkMaxReceives: 'CHUNK_MAX_RECEIVES',
  nearDuplicateThreshold: 'NEAR_DUPLICATE_THRESHOLD',
  batchPollSeconds: 'BATCH_POLL_SECONDS',
  batchPollMaxSeconds: 'BATCH_POLL_MAX_SECONDS',
  batchWindowSeconds: 'BATCH_WINDOW_SECONDS',
  allowAllNoneOfAbove: 'ALLOW_ALL_NONE_OF_ABOVE',
  resultInlineMaxBytes: 'RESULT_INLINE_MAX_BYTES',
  /**
   * Exports up to this size are answered in the response, larger ones through S3. Not a
   * deployment setting: it defaults to (and is capped at) what a Lambda response can carry;
   * tests lower it to reach the S3 path.
   */
  exportInlineMaxBytes: 'EXPORT_INLINE_MAX_BYTES',
  geminiTimeoutSeconds: 'GEMINI_TIMEOUT_SECONDS',
  /** How long a job may go without an update before its execution is checked. */
  jobReconcileAfterSeconds: 'JOB_RECONCILE_AFTER_SECONDS',
  /** Queue of document ingestion requests (`{ owner, document_id }`). */
  documentQueueUrl: 'DOCUMENT_QUEUE_URL',
  geminiEmbeddingModel: 'GEMINI_EMBEDDING_MODEL',
  embeddingDimensions: 'EMBEDDING_DIMENSIONS',
  embeddingRequestsPerMinute: 'EMBEDDING_REQUESTS_PER_MINUTE',
  /** Largest document accepted, through a presigned upload. */
  documentMaxBytes: 'DOCUMENT_MAX_BYTES',
  /** Largest document accepted in the request body itself. */
  inlineUploadMaxBytes: 'INLINE_UPLOAD_MAX_BYTES',
  /** An ingestion that has not finished after this long is failed. */
  ingestTimeoutSeconds: 'INGEST_TIMEOUT_SECONDS',
  assessmentTimeoutSeconds: 'ASSESSMENT_TIMEOUT_SECONDS',
  assessmentRetentionHours: 'ASSESSMENT_RETENTION_HOURS',
  /** Content API requests per minute allowed per API key. */
  contentRequestsPerMinute: 'CONTENT_REQUESTS_PER_MINUTE',
  /** Content generation jobs one API key may have pending or running at once. */
  contentMaxConcurrentJobs: 'CONTENT_MAX_CONCURRENT_JOBS',
  /** Generated content under this many bytes is answered inline, from this size on by reference. */
  contentInlineMaxBytes: 'CONTENT_INLINE_MAX_BYTES',
  /** How long one webhook delivery attempt may take. */
  webhookTimeoutSeconds: 'WEBHOOK_TIMEOUT_SECONDS',
  /** Service secret every owner's webhook secret is derived from (local mode). Required to send webhooks. */
  webhookSigningSecret: 'WEBHOOK_SIGNING_SECRET',
  /** Secrets Manager secret holding it (deployed mode). */
  webhookSigningSecretArn: 'WEBHOOK_SIGNING_SECRET_ARN',
  /** `true` lets callbacks reach loopback and private addresses: local stack and tests only. */
  webhookAllowPrivateTargets: 'WEBHOOK_ALLOW_PRIVATE_TARGETS',
  /** Gemini thinking level (MINIMAL, LOW, MEDIUM, HIGH) per kind of work; see `THINKING_DEFAULTS`. */
  questionsThinkingLevel: 'QUESTIONS_THINKING_LEVEL',
  sectionsThinkingLevel: 'SECTIONS_THINKING_LEVEL',
  outlineThinkingLevel: 'OUTLINE_THINKING_LEVEL',
  repairThinkingLevel: 'REPAIR_THINKING_LEVEL',
  /** The function's region (Lambda sets it): where API Gateway's control plane is asked for key names. */
  awsRegion: 'AWS_REGION',
  /**
   * The SDK's endpoint settings, read here for the one AWS call made without an SDK client
   * (key-names.ts): the service-specific one for API Gateway, then the global one.
   */
  apiGatewayEndpoint: 'AWS_ENDPOINT_URL_API_GATEWAY',
  awsEndpoint: 'AWS_ENDPOINT_URL',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

const read = new Map<EnvName, string | undefined>();
let settings: GenerationSettings | undefined;

function raw(name: EnvName): string | undefined {
  if (!read.has(name)) {
    const value = process.env[name]?.trim();
    read.set(name, value === '' ? undefined : value);
  }
  return read.get(name);
}

/**
 * Forgets what was read, as a new cold start would. Only for code that runs the functions in its
 * own process and changes their environment as a redeployment would: the local stack when it
 * starts or stops, and tests that change a setting between cases.
 */
export function resetConfig(): void {
  read.clear();
  settings = undefined;
}

export function requireEnv(name: EnvName): string {
  const value = raw(name);
  if (value === undefined) throw new Error(`Missing required environment variable ${name}`);
  return value;
}

export function optionalEnv(name: EnvName): string | undefined {
  return raw(name);
}

export function intEnv(name: EnvName, fallback: number, min = 0): number {
  const value = raw(name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) {
    throw new Error(`Environment variable ${name} must be an integer >= ${min}, got "${value}"`);
  }
  return parsed;
}

/** A positive number, fractions allowed. */
export function positiveEnv(name: EnvName, fallback: number): number {
  const value = raw(name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    throw new Error(`Environment variable ${name} must be a positive number, got "${value}"`);
  }
  return parsed;
}

/**
 * The thinking level of each kind of work that calls the model. Thoughts are billed as output
 * and share the answer's `maxOutputTokens`, so each kind thinks as much as its work needs:
 * - questions (quiz-bank and assessment chunks): MEDIUM. Each question needs one right answer
 *   and distractors that are wrong but plausible, at a difficulty and Bloom level: reasoning the
 *   quality gate cannot check and a replacement call costs more than the thoughts;
 * - sections (content prose): LOW. Readable text of a given length on an outline needs little
 *   reasoning, and sections are the bulk of a course's output;
 * - outline (the one call that structures a course without a structure): MEDIUM. Every section
 *   depends on it, and it is one call per job;
 * - repair (a replacement or revision call after rejected answers): MEDIUM. The earlier answer
 *   missed, and the call carries the reasons it must address.
 * The levels are those of `gemini-3.8-flash` (which refuses MINIMAL); `lib/settings.ts` checks
 * them against the configured model.
 */
export const THINKING_DEFAULTS = {
  questions: 'MEDIUM',
  sections: 'LOW',
  outline: 'MEDIUM',
  repair: 'MEDIUM',
} as const satisfies Record<string, ThinkingLevel>;

export type WorkKind = keyof typeof THINKING_DEFAULTS;

/** Settings with their defaults; the deployed defaults live in `lib/settings.ts` and match these. */
export const DEFAULTS = {
  geminiModel: 'gemini-3.8-flash',
  llmMaxConcurrency: 10,
  llmRequestsPerMinute: 300,
  questionsPerCareerLevel: 25,
  questionsPerSoftSkillsJob: 50,
  syncWaitSeconds: 25,
  jobRetentionDays: 90,
  chunkMaxReceives: 5,
  resultInlineMaxBytes: 1_000_000,
  geminiTimeoutSeconds: 120,
  jobReconcileAfterSeconds: 15,
  geminiEmbeddingModel: 'gemini-embedding-001',
  embeddingDimensions: 768,
  embeddingRequestsPerMinute: 1500,
  documentMaxBytes: 100 * 1024 * 1024,
  inlineUploadMaxBytes: 4 * 1024 * 1024,
  ingestTimeoutSeconds: 900,
  assessmentTimeoutSeconds: 600,
  assessmentRetentionHours: 24,
  contentRequestsPerMinute: 100,
  contentMaxConcurrentJobs: 10,
  contentInlineMaxBytes: 25 * 1024,
  webhookTimeoutSeconds: 10,
  nearDuplicateThreshold: 0.7,
  allowAllNoneOfAbove: false,
  batchPollSeconds: 60,
  /** Looks at a batch back off from batchPollSeconds, doubling, to this. */
  batchPollMaxSeconds: 900,
  /**
   * How long a job may spend in batch rounds from its first submission. Gemini's target
   * turnaround for a batch is 24 hours (https://ai.google.dev/gemini-api/docs/batch-api); this
   * leaves the first round its day and the repair rounds another.
   */
  batchWindowSeconds: 48 * 3600,
} as const;

export interface GenerationSettings {
  model: string;
  maxConcurrency: number;
  requestsPerMinute: number;
  questionsPerCareerLevel: number;
  questionsPerSoftSkillsJob: number;
  geminiTimeoutSeconds: number;
  chunkMaxReceives: number;
  /** The quality gate's near-duplicate threshold and "all/none of the above" rule. */
  gate: { nearDuplicateThreshold: number; allowAllNoneOfAbove: boolean };
  /** How long batch mode first waits between looks at a Gemini batch; it doubles from there. */
  batchPollSeconds: number;
  /** The longest wait between two looks at a batch. */
  batchPollMaxSeconds: number;
  /** How long a job may spend in batch rounds before its open chunks fail. */
  batchWindowSeconds: number;
  /** The thinking level each kind of work asks for. */
  thinking: Record<WorkKind, ThinkingLevel>;
}

function fractionEnv(name: EnvName, fallback: number): number {
  const value = raw(name);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!(parsed > 0 && parsed <= 1)) {
    throw new Error(`Environment variable ${name} must be a number in (0, 1], got "${value}"`);
  }
  return parsed;
}

function thinkingEnv(name: EnvName, fallback: ThinkingLevel): ThinkingLevel {
  const value = raw(name);
  if (value === undefined) return fallback;
  if (!isThinkingLevel(value)) {
    throw new Error(
      `Environment variable ${name} must be one of ${THINKING_LEVELS.join(', ')}, got "${value}"`,
    );
  }
  return value;
}

function boolEnv(name: EnvName, fallback: boolean): boolean {
  const value = raw(name);
  if (value === undefined) return fallback;
  if (value !== 'true' && value !== 'false') {
    throw new Error(`Environment variable ${name} must be true or false, got "${value}"`);
  }
  return value === 'true';
}

/**
 * GEMINI_MODEL, refused once past its shutdown date: every call would answer 404 (synth refuses
 * it too, see lib/settings.ts; this catches a stack deployed before the date).
 */
function liveModel(model: string): string {
  if (!isRetired(model, Date.now())) return model;
  throw new Error(
    `Environment variable ${ENV.geminiModel} names ${model}, shut down on ${priceTable.models[model]?.retires_on}; set it to one of the live models: ${liveModels(Date.now()).join(', ')}`,
  );
}

/** Frozen: every caller of the process shares the one object. */
export function generationSettings(): GenerationSettings {
  settings ??= frozen({
    model: liveModel(optionalEnv(ENV.geminiModel) ?? DEFAULTS.geminiModel),
    maxConcurrency: intEnv(ENV.llmMaxConcurrency, DEFAULTS.llmMaxConcurrency, 1),
    requestsPerMinute: intEnv(ENV.llmRequestsPerMinute, DEFAULTS.llmRequestsPerMinute, 1),
    questionsPerCareerLevel: intEnv(ENV.questionsPerCareerLevel, DEFAULTS.questionsPerCareerLevel, 1),
    questionsPerSoftSkillsJob: intEnv(ENV.questionsPerSoftSkillsJob, DEFAULTS.questionsPerSoftSkillsJob, 1),
    geminiTimeoutSeconds: intEnv(ENV.geminiTimeoutSeconds, DEFAULTS.geminiTimeoutSeconds, 1),
    chunkMaxReceives: intEnv(ENV.chunkMaxReceives, DEFAULTS.chunkMaxReceives, 1),
    batchPollSeconds: intEnv(ENV.batchPollSeconds, DEFAULTS.batchPollSeconds, 1),
    batchPollMaxSeconds: intEnv(ENV.batchPollMaxSeconds, DEFAULTS.batchPollMaxSeconds, 1),
    batchWindowSeconds: intEnv(ENV.batchWindowSeconds, DEFAULTS.batchWindowSeconds, 1),
    gate: {
      nearDuplicateThreshold: fractionEnv(ENV.nearDuplicateThreshold, DEFAULTS.nearDuplicateThreshold),
      allowAllNoneOfAbove: boolEnv(ENV.allowAllNoneOfAbove, DEFAULTS.allowAllNoneOfAbove),
    },
    thinking: {
      questions: thinkingEnv(ENV.questionsThinkingLevel, THINKING_DEFAULTS.questions),
      sections: thinkingEnv(ENV.sectionsThinkingLevel, THINKING_DEFAULTS.sections),
      outline: thinkingEnv(ENV.outlineThinkingLevel, THINKING_DEFAULTS.outline),
      repair: thinkingEnv(ENV.repairThinkingLevel, THINKING_DEFAULTS.repair),
    },
  });
  return settings;
}

function frozen(value: GenerationSettings): GenerationSettings {
  Object.freeze(value.gate);
  Object.freeze(value.thinking);
  return Object.freeze(value);
}
