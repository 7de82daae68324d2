/**
 * Deployment settings: typed, read from CDK context (`cdk synth -c llmMaxConcurrency=20`, or the
 * `context` block of cdk.json), validated before anything is built so a bad value fails synth
 * with a message that names the setting instead of a CloudFormation error twenty minutes later.
 *
 * The defaults the handlers share come from `lambdas/platform/config.ts` DEFAULTS, so a deployed
 * stack and a function started without those variables behave the same.
 */
import type { Construct } from 'constructs';
import { BATCH_HISTORY_EVENT_BUDGET, worstCaseBatchEvents } from '#contract/batch-loop.ts';
import { DEFAULTS, ENV } from '#platform/config.ts';

export const QUOTA_PERIODS = ['DAY', 'WEEK', 'MONTH'] as const;
export type QuotaPeriod = (typeof QUOTA_PERIODS)[number];

export interface Settings {
  geminiModel: string;
  /** Concurrent Gemini calls: the worker's SQS event source MaximumConcurrency. */
  llmMaxConcurrency: number;
  llmRequestsPerMinute: number;
  /** Concurrent iterations of the "Generate chunks" Map (inline Map: at most 40). */
  mapMaxConcurrency: number;
  questionsPerCareerLevel: number;
  questionsPerSoftSkillsJob: number;
  apiThrottleRateLimit: number;
  apiThrottleBurstLimit: number;
  apiQuotaLimit: number;
  apiQuotaPeriod: QuotaPeriod;
  jobRetentionDays: number;
  rawResponseRetentionDays: number;
  /** How long a "Generate chunk" iteration waits for its task token, queue time included. */
  chunkTimeoutSeconds: number;
  /** Receives of a chunk message before SQS moves it to the dead-letter queue. */
  chunkMaxReceives: number;
  workerTimeoutSeconds: number;
  /** How long a synchronous generate call waits for its job before answering. */
  syncWaitSeconds: number;
  resultInlineMaxBytes: number;
  geminiTimeoutSeconds: number;
  jobReconcileAfterSeconds: number;
  tableDeletionProtection: boolean;
  geminiEmbeddingModel: string;
  /** Length of each passage vector (gemini-embedding-001's outputDimensionality). */
  embeddingDimensions: number;
  embeddingRequestsPerMinute: number;
  /** Largest document accepted through a presigned upload. */
  documentMaxBytes: number;
  /** Largest document accepted in the request body of `POST /documents`. */
  inlineUploadMaxBytes: number;
  /** The ingest function's timeout; an ingestion still running after this long has failed. */
  ingestTimeoutSeconds: number;
  /** Concurrent ingestions: the document queue's event source MaximumConcurrency. */
  ingestMaxConcurrency: number;
  /** An assessment job not finished after this long fails. */
  assessmentTimeoutSeconds: number;
  /** How long assessment jobs and their results stay readable (DynamoDB TTL). */
  assessmentRetentionHours: number;
  /** Content API requests per minute per API key (the seed's X-RateLimit-Limit). */
  contentRequestsPerMinute: number;
  /** Content generation jobs one API key may have pending or running at once. */
  contentMaxConcurrentJobs: number;
  /** Similarity (Jaccard of 5-character shingles) at or above which two questions of a bank are one. */
  nearDuplicateThreshold: number;
  /** Whether "all/none of the above" options pass the quality gate. */
  allowAllNoneOfAbove: boolean;
  /** First wait between looks at a batch-mode job's Gemini batch; the waits double from it. */
  batchPollSeconds: number;
  /** Longest wait between two looks at a batch. */
  batchPollMaxSeconds: number;
  /** How long a job may spend in batch rounds; then its open chunks fail and the job finishes. */
  batchWindowSeconds: number;
  /** The state machine's TimeoutSeconds: an execution still running after this ends TIMED_OUT. */
  executionTimeoutSeconds: number;
  /** Generated content under this many bytes is answered inline, larger by S3 reference. */
  contentInlineMaxBytes: number;
  /** How long one webhook delivery attempt may take before it counts as failed. */
  webhookTimeoutSeconds: number;
}

/**
 * A request reaches the API function as one JSON event, and Lambda refuses a synchronous event
 * over 6,291,456 bytes. An uploaded file arrives in it base64-encoded (4 bytes per 3), next to
 * the headers twice (`headers` and `multiValueHeaders`), the request context and, for a form
 * upload, the multipart framing. 4 MiB of file makes 5,592,408 bytes of base64, which leaves
 * about 700 KB for the rest; 4.5 MiB would leave nothing. Larger files take the presigned upload.
 */
export const LAMBDA_SYNC_PAYLOAD_MAX_BYTES = 6_291_456;
export const MAX_INLINE_UPLOAD_BYTES = 4 * 1024 * 1024;
/** A presigned upload is one PutObject, which S3 caps at 5 GiB. */
const MAX_DOCUMENT_BYTES = 5 * 1024 ** 3;

export const SETTING_DEFAULTS: Readonly<Settings> = {
  geminiModel: DEFAULTS.geminiModel,
  llmMaxConcurrency: DEFAULTS.llmMaxConcurrency,
  llmRequestsPerMinute: DEFAULTS.llmRequestsPerMinute,
  mapMaxConcurrency: 40,
  questionsPerCareerLevel: DEFAULTS.questionsPerCareerLevel,
  questionsPerSoftSkillsJob: DEFAULTS.questionsPerSoftSkillsJob,
  apiThrottleRateLimit: 50,
  apiThrottleBurstLimit: 100,
  apiQuotaLimit: 100_000,
  apiQuotaPeriod: 'DAY',
  jobRetentionDays: DEFAULTS.jobRetentionDays,
  rawResponseRetentionDays: 30,
  chunkTimeoutSeconds: 7200,
  chunkMaxReceives: DEFAULTS.chunkMaxReceives,
  workerTimeoutSeconds: 600,
  syncWaitSeconds: DEFAULTS.syncWaitSeconds,
  resultInlineMaxBytes: DEFAULTS.resultInlineMaxBytes,
  geminiTimeoutSeconds: DEFAULTS.geminiTimeoutSeconds,
  jobReconcileAfterSeconds: DEFAULTS.jobReconcileAfterSeconds,
  tableDeletionProtection: false,
  geminiEmbeddingModel: DEFAULTS.geminiEmbeddingModel,
  embeddingDimensions: DEFAULTS.embeddingDimensions,
  embeddingRequestsPerMinute: DEFAULTS.embeddingRequestsPerMinute,
  documentMaxBytes: DEFAULTS.documentMaxBytes,
  inlineUploadMaxBytes: MAX_INLINE_UPLOAD_BYTES,
  ingestTimeoutSeconds: DEFAULTS.ingestTimeoutSeconds,
  ingestMaxConcurrency: 2,
  assessmentTimeoutSeconds: DEFAULTS.assessmentTimeoutSeconds,
  assessmentRetentionHours: DEFAULTS.assessmentRetentionHours,
  contentRequestsPerMinute: DEFAULTS.contentRequestsPerMinute,
  contentMaxConcurrentJobs: DEFAULTS.contentMaxConcurrentJobs,
  contentInlineMaxBytes: DEFAULTS.contentInlineMaxBytes,
  webhookTimeoutSeconds: DEFAULTS.webhookTimeoutSeconds,
  nearDuplicateThreshold: DEFAULTS.nearDuplicateThreshold,
  allowAllNoneOfAbove: DEFAULTS.allowAllNoneOfAbove,
  batchPollSeconds: DEFAULTS.batchPollSeconds,
  batchPollMaxSeconds: DEFAULTS.batchPollMaxSeconds,
  batchWindowSeconds: DEFAULTS.batchWindowSeconds,
  // A week: the batch window (2 days) fits with room, and so does a full bank of interactive
  // chunks whose every chunk waits out its whole chunkTimeoutSeconds (230 chunks, 40 at a time:
  // 6 × 2 h). A job still running then has stalled; its job fails rather than its slot staying held.
  executionTimeoutSeconds: 7 * 24 * 3600,
};

export const SETTING_NAMES = Object.keys(SETTING_DEFAULTS) as (keyof Settings)[];

/** SQS keeps a message at most 14 days; a chunk cannot wait longer than its message lives. */
const MAX_MESSAGE_RETENTION_SECONDS = 14 * 24 * 3600;
/** Lambda's longest timeout. */
const MAX_LAMBDA_TIMEOUT_SECONDS = 900;
/** Room for the envelope, summary and metrics next to inline content in a 6 MB Lambda response. */
const CONTENT_INLINE_LIMIT_BYTES = 5_000_000;
/** Two attempts of this length and a back-off still fit in a 60 s pipeline function. */
const MAX_WEBHOOK_TIMEOUT_SECONDS = 25;
/**
 * A Standard execution runs at most a year ("Maximum execution time",
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
 */
const MAX_EXECUTION_SECONDS = 365 * 24 * 3600;
/**
 * Time an execution spends outside its batch window or its longest stage: planning, the last
 * look at a batch and taking in its answers ("Run batch round" has 900 s), assembling and
 * finalizing (300 s each), with their retries.
 */
const EXECUTION_OVERHEAD_SECONDS = 3600;

type Check = (s: Settings) => string | undefined;

const intIn =
  (name: keyof Settings, min: number, max: number, why = ''): Check =>
  (s) => {
    const value = s[name];
    return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
      ? undefined
      : `${name} must be an integer from ${min} to ${max}${why}, got ${JSON.stringify(value)}`;
  };

const modelId =
  (name: 'geminiModel' | 'geminiEmbeddingModel', example: string): Check =>
  (s) =>
    typeof s[name] === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s[name])
      ? undefined
      : `${name} must be a model id such as "${example}", got ${JSON.stringify(s[name])}`;

const CHECKS: Check[] = [
  modelId('geminiModel', 'gemini-2.5-flash'),
  intIn('llmMaxConcurrency', 2, 1000, ' (the SQS event source MaximumConcurrency range)'),
  intIn('llmRequestsPerMinute', 1, 1_000_000),
  intIn('mapMaxConcurrency', 1, 40, ' (an inline Map runs at most 40 iterations at once)'),
  intIn('questionsPerCareerLevel', 1, 1000),
  intIn('questionsPerSoftSkillsJob', 1, 1000),
  (s) =>
    typeof s.apiThrottleRateLimit === 'number' && s.apiThrottleRateLimit > 0
      ? undefined
      : `apiThrottleRateLimit must be a number of requests per second > 0, got ${JSON.stringify(s.apiThrottleRateLimit)}`,
  intIn('apiThrottleBurstLimit', 1, 1_000_000),
  intIn('apiQuotaLimit', 1, 1_000_000_000),
  (s) =>
    QUOTA_PERIODS.includes(s.apiQuotaPeriod)
      ? undefined
      : `apiQuotaPeriod must be one of ${QUOTA_PERIODS.join(', ')}, got ${JSON.stringify(s.apiQuotaPeriod)}`,
  intIn('jobRetentionDays', 1, 3650),
  intIn('rawResponseRetentionDays', 1, 3650),
  intIn(
    'workerTimeoutSeconds',
    30,
    MAX_LAMBDA_TIMEOUT_SECONDS,
    ' (Lambda timeout; the queue visibility is this plus 60 s)',
  ),
  intIn('chunkTimeoutSeconds', 60, MAX_MESSAGE_RETENTION_SECONDS, ' (the chunk message lives this long)'),
  (s) =>
    s.chunkTimeoutSeconds >= s.workerTimeoutSeconds
      ? undefined
      : `chunkTimeoutSeconds (${s.chunkTimeoutSeconds}) must be at least workerTimeoutSeconds (${s.workerTimeoutSeconds}): a chunk waits in the queue and then runs`,
  intIn('chunkMaxReceives', 1, 1000, ' (the SQS maxReceiveCount range)'),
  intIn('syncWaitSeconds', 0, 28, ' (API Gateway ends every request after 29 s)'),
  intIn('resultInlineMaxBytes', 1, 6_000_000, ' (a Lambda response is at most 6 MB)'),
  intIn('geminiTimeoutSeconds', 1, MAX_LAMBDA_TIMEOUT_SECONDS),
  intIn('jobReconcileAfterSeconds', 0, 3600, ' (a job this long without progress has its execution checked)'),
  (s) =>
    s.geminiTimeoutSeconds < s.workerTimeoutSeconds
      ? undefined
      : `geminiTimeoutSeconds (${s.geminiTimeoutSeconds}) must be less than workerTimeoutSeconds (${s.workerTimeoutSeconds}) so the worker can still record a failed call`,
  (s) =>
    typeof s.tableDeletionProtection === 'boolean'
      ? undefined
      : `tableDeletionProtection must be true or false, got ${JSON.stringify(s.tableDeletionProtection)}`,
  modelId('geminiEmbeddingModel', 'gemini-embedding-001'),
  intIn('embeddingDimensions', 128, 3072, " (gemini-embedding-001's outputDimensionality range)"),
  intIn('embeddingRequestsPerMinute', 1, 1_000_000),
  intIn('documentMaxBytes', 1, MAX_DOCUMENT_BYTES, ' (a presigned upload is one PutObject: at most 5 GiB)'),
  intIn(
    'inlineUploadMaxBytes',
    1,
    MAX_INLINE_UPLOAD_BYTES,
    ' (the file travels base64-encoded in a Lambda event of at most 6 MB; larger files use the presigned upload)',
  ),
  (s) =>
    s.inlineUploadMaxBytes <= s.documentMaxBytes
      ? undefined
      : `inlineUploadMaxBytes (${s.inlineUploadMaxBytes}) must not exceed documentMaxBytes (${s.documentMaxBytes})`,
  intIn(
    'ingestTimeoutSeconds',
    30,
    MAX_LAMBDA_TIMEOUT_SECONDS,
    " (the ingest function's Lambda timeout; the document queue's visibility is this plus 60 s)",
  ),
  intIn('ingestMaxConcurrency', 2, 1000, ' (the SQS event source MaximumConcurrency range)'),
  intIn('assessmentTimeoutSeconds', 30, 86_400),
  intIn('assessmentRetentionHours', 1, 87_600),
  intIn('contentRequestsPerMinute', 1, 1_000_000),
  intIn('contentMaxConcurrentJobs', 1, 10_000),
  (s) =>
    typeof s.nearDuplicateThreshold === 'number' &&
    s.nearDuplicateThreshold > 0 &&
    s.nearDuplicateThreshold <= 1
      ? undefined
      : `nearDuplicateThreshold must be a similarity in (0, 1], such as 0.7, got ${JSON.stringify(s.nearDuplicateThreshold)}`,
  intIn('batchPollSeconds', 1, 3600),
  intIn('batchPollMaxSeconds', 1, 86_400),
  (s) =>
    s.batchPollMaxSeconds >= s.batchPollSeconds
      ? undefined
      : `batchPollMaxSeconds (${s.batchPollMaxSeconds}) must be at least batchPollSeconds (${s.batchPollSeconds}): the waits between looks at a batch grow from one to the other`,
  intIn('batchWindowSeconds', 1, MAX_EXECUTION_SECONDS),
  (s) => {
    const events = worstCaseBatchEvents(s);
    return events <= BATCH_HISTORY_EVENT_BUDGET
      ? undefined
      : `batchWindowSeconds (${s.batchWindowSeconds}) with batchPollSeconds (${s.batchPollSeconds}) and batchPollMaxSeconds (${s.batchPollMaxSeconds}) allow ${events} history events in a batch-mode execution; Step Functions fails an execution at 25,000 (keep it under ${BATCH_HISTORY_EVENT_BUDGET}: a longer batchPollMaxSeconds or a shorter window)`;
  },
  intIn('executionTimeoutSeconds', 60, MAX_EXECUTION_SECONDS, ' (a Standard execution runs at most a year)'),
  (s) => {
    const batch = s.batchWindowSeconds + s.batchPollMaxSeconds + EXECUTION_OVERHEAD_SECONDS;
    const stage = s.chunkTimeoutSeconds + EXECUTION_OVERHEAD_SECONDS;
    const needed = Math.max(batch, stage);
    return s.executionTimeoutSeconds >= needed
      ? undefined
      : `executionTimeoutSeconds (${s.executionTimeoutSeconds}) must cover the batch window and its last wait (batchWindowSeconds + batchPollMaxSeconds) and a chunk's whole timeout (chunkTimeoutSeconds), each with ${EXECUTION_OVERHEAD_SECONDS} s for the other steps: at least ${needed}`;
  },
  (s) =>
    typeof s.allowAllNoneOfAbove === 'boolean'
      ? undefined
      : `allowAllNoneOfAbove must be true or false, got ${JSON.stringify(s.allowAllNoneOfAbove)}`,
  intIn(
    'contentInlineMaxBytes',
    1,
    CONTENT_INLINE_LIMIT_BYTES,
    ' (inline content travels in a Lambda response of at most 6 MB, with its envelope)',
  ),
  intIn(
    'webhookTimeoutSeconds',
    1,
    MAX_WEBHOOK_TIMEOUT_SECONDS,
    ' (each attempt runs inside a pipeline function with a 60 s timeout, retries included)',
  ),
];

export class InvalidSettingsError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid settings:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidSettingsError';
    this.problems = problems;
  }
}

export function validateSettings(settings: Settings): Settings {
  const problems = CHECKS.map((check) => check(settings)).filter((p): p is string => p !== undefined);
  if (problems.length > 0) throw new InvalidSettingsError(problems);
  return settings;
}

/** `-c name=value` always arrives as a string; cdk.json and tests may pass real JSON values. */
function coerce(name: keyof Settings, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const fallback = SETTING_DEFAULTS[name];
  const text = value.trim();
  if (typeof fallback === 'number') return text === '' ? Number.NaN : Number(text);
  if (typeof fallback === 'boolean') {
    if (text === 'true') return true;
    if (text === 'false') return false;
    return text;
  }
  return name === 'apiQuotaPeriod' ? text.toUpperCase() : text;
}

/**
 * Settings for a construct tree: explicit overrides first, then CDK context, then defaults.
 * Throws InvalidSettingsError listing every bad value at once.
 */
export function readSettings(scope: Construct, overrides: Partial<Settings> = {}): Settings {
  const merged: Record<string, unknown> = { ...SETTING_DEFAULTS };
  for (const name of SETTING_NAMES) {
    const fromContext = scope.node.tryGetContext(name);
    if (fromContext !== undefined) merged[name] = coerce(name, fromContext);
    const override = overrides[name];
    if (override !== undefined) merged[name] = override;
  }
  return validateSettings(merged as unknown as Settings);
}

/**
 * The settings a function reads through `lambdas/platform/config.ts`, as environment variables.
 * Every pipeline and API function gets the same values so they agree on the budget and sizes.
 */
export function settingsEnvironment(s: Settings): Record<string, string> {
  return {
    [ENV.geminiModel]: s.geminiModel,
    [ENV.llmMaxConcurrency]: String(s.llmMaxConcurrency),
    [ENV.llmRequestsPerMinute]: String(s.llmRequestsPerMinute),
    [ENV.questionsPerCareerLevel]: String(s.questionsPerCareerLevel),
    [ENV.questionsPerSoftSkillsJob]: String(s.questionsPerSoftSkillsJob),
    [ENV.syncWaitSeconds]: String(s.syncWaitSeconds),
    [ENV.jobRetentionDays]: String(s.jobRetentionDays),
    [ENV.chunkMaxReceives]: String(s.chunkMaxReceives),
    [ENV.resultInlineMaxBytes]: String(s.resultInlineMaxBytes),
    [ENV.geminiTimeoutSeconds]: String(s.geminiTimeoutSeconds),
    [ENV.jobReconcileAfterSeconds]: String(s.jobReconcileAfterSeconds),
    [ENV.geminiEmbeddingModel]: s.geminiEmbeddingModel,
    [ENV.embeddingDimensions]: String(s.embeddingDimensions),
    [ENV.embeddingRequestsPerMinute]: String(s.embeddingRequestsPerMinute),
    [ENV.documentMaxBytes]: String(s.documentMaxBytes),
    [ENV.inlineUploadMaxBytes]: String(s.inlineUploadMaxBytes),
    [ENV.ingestTimeoutSeconds]: String(s.ingestTimeoutSeconds),
    [ENV.assessmentTimeoutSeconds]: String(s.assessmentTimeoutSeconds),
    [ENV.assessmentRetentionHours]: String(s.assessmentRetentionHours),
    [ENV.contentRequestsPerMinute]: String(s.contentRequestsPerMinute),
    [ENV.contentMaxConcurrentJobs]: String(s.contentMaxConcurrentJobs),
    [ENV.contentInlineMaxBytes]: String(s.contentInlineMaxBytes),
    [ENV.webhookTimeoutSeconds]: String(s.webhookTimeoutSeconds),
    [ENV.nearDuplicateThreshold]: String(s.nearDuplicateThreshold),
    [ENV.allowAllNoneOfAbove]: String(s.allowAllNoneOfAbove),
    [ENV.batchPollSeconds]: String(s.batchPollSeconds),
    [ENV.batchPollMaxSeconds]: String(s.batchPollMaxSeconds),
    [ENV.batchWindowSeconds]: String(s.batchWindowSeconds),
  };
}
