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
import { DEFAULTS, ENV, THINKING_DEFAULTS } from '#platform/config.ts';
import {
  capabilitiesOf,
  isThinkingLevel,
  THINKING_LEVELS,
  type ThinkingLevel,
} from '#platform/gemini/model-capabilities.ts';
import { isRetired, liveModels, priceTable } from '#platform/gemini/pricing.ts';
import { COMPLETE_SECRET_ARN, SECRET_NAME } from './constructs/existing-secret.ts';

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
  /** One API key's throttle (the usage plan's): steady requests per second, and burst. */
  apiThrottleRateLimit: number;
  apiThrottleBurstLimit: number;
  /** The stage's throttle, shared by every key together: at least one key's. */
  apiStageThrottleRateLimit: number;
  apiStageThrottleBurstLimit: number;
  apiQuotaLimit: number;
  apiQuotaPeriod: QuotaPeriod;
  jobRetentionDays: number;
  rawResponseRetentionDays: number;
  /**
   * How long a "Generate chunk" iteration waits for its task token, queue time included: it must
   * cover the chunk's wait behind `plannedConcurrentJobs` jobs' chunks and its own deliveries.
   */
  chunkTimeoutSeconds: number;
  /** Receives of a chunk message before SQS moves it to the dead-letter queue (AWS: at least 5). */
  chunkMaxReceives: number;
  /**
   * Jobs expected to run at once. They share the worker's llmMaxConcurrency, and a chunk's task
   * timeout counts its time in the queue, so chunkTimeoutSeconds is checked against this many.
   */
  plannedConcurrentJobs: number;
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
  /**
   * A gateway or proxy in front of Gemini (https), given to @google/genai as `httpOptions.baseUrl`
   * through GEMINI_BASE_URL; empty: Gemini itself.
   */
  geminiBaseUrl: string;
  /** An existing secret (complete ARN or name) holding the Gemini key; empty: the stack makes one. */
  geminiKeySecret: string;
  /** An existing webhook signing secret (complete ARN or name), e.g. the one a destroyed stack kept. */
  webhookSigningSecret: string;
  /** Gemini thinking level of quiz-bank and assessment question chunks. */
  questionsThinkingLevel: ThinkingLevel;
  /** Gemini thinking level of content sections. */
  sectionsThinkingLevel: ThinkingLevel;
  /** Gemini thinking level of a content job's outline (a course sent without a structure). */
  outlineThinkingLevel: ThinkingLevel;
  /** Gemini thinking level of replacement and revision calls after a rejected answer. */
  repairThinkingLevel: ThinkingLevel;
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
  // Ten keys at their full rate. API Gateway's account default is 10,000 rps, burst 5,000 per
  // Region (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html).
  apiStageThrottleRateLimit: 500,
  apiStageThrottleBurstLimit: 1000,
  apiQuotaLimit: 100_000,
  apiQuotaPeriod: 'DAY',
  jobRetentionDays: DEFAULTS.jobRetentionDays,
  rawResponseRetentionDays: 30,
  // Four jobs of 40 chunks at 10 workers and 600 s each (worst case), plus 5 deliveries: 12,225 s.
  chunkTimeoutSeconds: 14_400,
  chunkMaxReceives: DEFAULTS.chunkMaxReceives,
  plannedConcurrentJobs: 4,
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
  geminiBaseUrl: '',
  geminiKeySecret: '',
  webhookSigningSecret: '',
  questionsThinkingLevel: THINKING_DEFAULTS.questions,
  sectionsThinkingLevel: THINKING_DEFAULTS.sections,
  outlineThinkingLevel: THINKING_DEFAULTS.outline,
  repairThinkingLevel: THINKING_DEFAULTS.repair,
  batchPollMaxSeconds: DEFAULTS.batchPollMaxSeconds,
  batchWindowSeconds: DEFAULTS.batchWindowSeconds,
  // A week: the batch window (2 days) fits with room, and so does a full bank of interactive
  // chunks whose every chunk waits out its whole chunkTimeoutSeconds (230 chunks, 40 at a time:
  // 6 × 4 h). A job still running then has stalled; its job fails rather than its slot staying held.
  executionTimeoutSeconds: 7 * 24 * 3600,
};

export const SETTING_NAMES = Object.keys(SETTING_DEFAULTS) as (keyof Settings)[];

/** SQS keeps a message at most 14 days; a chunk cannot wait longer than its message lives. */
const MAX_MESSAGE_RETENTION_SECONDS = 14 * 24 * 3600;
/** Lambda's longest timeout. */
const MAX_LAMBDA_TIMEOUT_SECONDS = 900;

// ---------------------------------------------------------------------------------------------
// Queues feeding a Lambda event source
//
// AWS Lambda operator guide, "Understanding SQS retries"
// (https://docs.aws.amazon.com/lambda/latest/operatorguide/sqs-retries.html), and the developer
// guide's "Creating and configuring an Amazon SQS event source mapping"
// (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html): set the queue's
// visibility timeout to at least six times the function timeout, so Lambda can retry an
// invocation that was throttled while the message stays invisible; and set maxReceiveCount to
// at least 5, because a throttled receive counts as a receive (a chunk could otherwise reach the
// dead-letter queue without its worker ever running).

/** AWS's factor between a queue's visibility timeout and its consumer function's timeout. */
export const VISIBILITY_TIMEOUT_FACTOR = 6;
/** AWS's smallest recommended maxReceiveCount for a queue with a Lambda event source. */
export const MIN_RECOMMENDED_MAX_RECEIVES = 5;
/** SQS's longest visibility timeout: 12 hours (SQS quotas, "Message visibility timeout"). */
const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;

/** The visibility timeout of a queue whose consumer function runs at most `functionTimeoutSeconds`. */
export function queueVisibilitySeconds(functionTimeoutSeconds: number): number {
  return VISIBILITY_TIMEOUT_FACTOR * functionTimeoutSeconds;
}

/**
 * Seconds before the redelivery of a chunk that failed transiently on delivery `receiveCount`
 * (the worker sets it with ChangeMessageVisibility; `lambdas/platform/queue.ts`).
 */
function redeliveryDelaySeconds(receiveCount: number): number {
  return Math.min(900, 15 * 2 ** (receiveCount - 1));
}

/**
 * The longest a chunk may legitimately wait for its task token, in seconds: behind the chunks
 * of `plannedConcurrentJobs` jobs' Maps (each job keeps up to mapMaxConcurrency chunks queued,
 * llmMaxConcurrency run at once, each for up to workerTimeoutSeconds), then its own
 * chunkMaxReceives deliveries with the back-off between them. A worker that crashes on every
 * delivery comes back only after the visibility timeout; such a chunk may time out instead of
 * reaching the dead-letter queue, and is recorded failed either way.
 */
export function chunkLifetimeSeconds(s: Settings): { queueWait: number; deliveries: number } {
  const queued = s.plannedConcurrentJobs * s.mapMaxConcurrency;
  const roundsAhead = Math.max(0, Math.ceil(queued / s.llmMaxConcurrency) - 1);
  let backoff = 0;
  for (let receive = 1; receive < s.chunkMaxReceives; receive++) backoff += redeliveryDelaySeconds(receive);
  return {
    queueWait: roundsAhead * s.workerTimeoutSeconds,
    deliveries: s.chunkMaxReceives * s.workerTimeoutSeconds + backoff,
  };
}
/** Room for the envelope, summary and metrics next to inline content in a 6 MB Lambda response. */
const CONTENT_INLINE_LIMIT_BYTES = 5_000_000;
/**
 * Each attempt runs inside the function that ends the job (300 s), which stops retrying before
 * its deadline; at this length, several attempts and their back-off still fit.
 */
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

/** Empty, a secret's complete ARN, or its name (see lib/constructs/existing-secret.ts). */
const secretRef =
  (name: 'geminiKeySecret' | 'webhookSigningSecret'): Check =>
  (s) => {
    const value = s[name];
    if (value === '') return undefined;
    if (typeof value === 'string' && value.startsWith('arn:')) {
      return COMPLETE_SECRET_ARN.test(value)
        ? undefined
        : `${name} must be a secret's complete ARN (ending in -XXXXXX) or its name, got ${JSON.stringify(value)}`;
    }
    return typeof value === 'string' && SECRET_NAME.test(value)
      ? undefined
      : `${name} must be a secret's complete ARN or its name (letters, digits and /_+=.@-), got ${JSON.stringify(value)}`;
  };

/**
 * Empty, or an https URL without credentials, query or fragment: the SDK puts the API version
 * and method after it, and the key travels in a header, so plain HTTP would expose it.
 */
function geminiBaseUrlProblem(value: unknown): string | undefined {
  if (value === '') return undefined;
  const problem = `geminiBaseUrl must be an https:// URL of a gateway or proxy in front of Gemini, such as "https://gemini-gateway.example.com", got ${JSON.stringify(value)}`;
  if (typeof value !== 'string' || !URL.canParse(value)) return problem;
  const url = new URL(value);
  return url.protocol === 'https:' && !url.username && !url.password && !url.search && !url.hash
    ? undefined
    : problem;
}
type ThinkingSetting =
  | 'questionsThinkingLevel'
  | 'sectionsThinkingLevel'
  | 'outlineThinkingLevel'
  | 'repairThinkingLevel';

/**
 * A thinking level Gemini accepts from the configured model: a level the model refuses (MINIMAL
 * on gemini-3.8-flash) would fail every call of that work with 400 INVALID_ARGUMENT. A model
 * without thinking levels (the 2.5 family) or one `model-capabilities.ts` does not know is sent
 * no level, so any valid level passes.
 */
const thinkingLevel =
  (name: ThinkingSetting): Check =>
  (s) => {
    const value = s[name];
    if (!isThinkingLevel(value))
      return `${name} must be one of ${THINKING_LEVELS.join(', ')}, got ${JSON.stringify(value)}`;
    const thinking = capabilitiesOf(s.geminiModel).thinking;
    if (thinking && !thinking.levels.includes(value))
      return `${name} ${value} is not a thinking level of ${s.geminiModel}, which accepts ${thinking.levels.join(', ')}`;
    return undefined;
  };

/**
 * The generation model must be one the API still serves: a model past its shutdown date answers
 * every call with 404 (https://ai.google.dev/gemini-api/docs/deprecations: a shut-down model "is
 * completely turned off, and the endpoint is no longer available"), and one missing from the
 * price table would be neither priced nor served by the local simulator.
 */
const liveGenerationModel: Check = (s) => {
  const live = liveModels(Date.now()).join(', ');
  const retiresOn = priceTable.models[s.geminiModel]?.retires_on;
  if (isRetired(s.geminiModel, Date.now()))
    return `geminiModel ${s.geminiModel} was shut down on ${retiresOn}; use one of the live models: ${live}`;
  if (!priceTable.models[s.geminiModel])
    return `geminiModel ${s.geminiModel} is not a model of data/pricing.json; use one of the live models: ${live}`;
  return undefined;
};

const knownEmbeddingModel: Check = (s) =>
  priceTable.embedding_models[s.geminiEmbeddingModel]
    ? undefined
    : `geminiEmbeddingModel ${s.geminiEmbeddingModel} is not an embedding model of data/pricing.json (${Object.keys(priceTable.embedding_models).join(', ')})`;

const CHECKS: Check[] = [
  (s) => geminiBaseUrlProblem(s.geminiBaseUrl),
  secretRef('geminiKeySecret'),
  secretRef('webhookSigningSecret'),
  modelId('geminiModel', 'gemini-3.8-flash'),
  liveGenerationModel,
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
  (s) =>
    typeof s.apiStageThrottleRateLimit === 'number' && s.apiStageThrottleRateLimit > 0
      ? undefined
      : `apiStageThrottleRateLimit must be a number of requests per second > 0, got ${JSON.stringify(s.apiStageThrottleRateLimit)}`,
  intIn('apiStageThrottleBurstLimit', 1, 1_000_000),
  // The stage's throttle applies to every client of the stage together, a usage plan's to each
  // API key ("How throttling limit settings are applied in API Gateway",
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html):
  // a stage throttle below one key's would make the per-key limit unreachable.
  (s) =>
    !(s.apiThrottleRateLimit > s.apiStageThrottleRateLimit)
      ? undefined
      : `apiThrottleRateLimit (${s.apiThrottleRateLimit}, per API key) must not exceed apiStageThrottleRateLimit (${s.apiStageThrottleRateLimit}, shared by every key)`,
  (s) =>
    !(s.apiThrottleBurstLimit > s.apiStageThrottleBurstLimit)
      ? undefined
      : `apiThrottleBurstLimit (${s.apiThrottleBurstLimit}, per API key) must not exceed apiStageThrottleBurstLimit (${s.apiStageThrottleBurstLimit}, shared by every key)`,
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
    ` (Lambda timeout; the queue's visibility timeout is ${VISIBILITY_TIMEOUT_FACTOR} times this)`,
  ),
  intIn('chunkTimeoutSeconds', 60, MAX_MESSAGE_RETENTION_SECONDS, ' (the chunk message lives this long)'),
  intIn(
    'chunkMaxReceives',
    MIN_RECOMMENDED_MAX_RECEIVES,
    1000,
    ' (the SQS maxReceiveCount range; AWS recommends at least 5 for a Lambda event source, as throttled receives count)',
  ),
  intIn('plannedConcurrentJobs', 1, 10_000),
  (s) =>
    queueVisibilitySeconds(s.workerTimeoutSeconds) <= MAX_VISIBILITY_TIMEOUT_SECONDS &&
    queueVisibilitySeconds(s.ingestTimeoutSeconds) <= MAX_VISIBILITY_TIMEOUT_SECONDS
      ? undefined
      : `workerTimeoutSeconds and ingestTimeoutSeconds times ${VISIBILITY_TIMEOUT_FACTOR} (their queues' visibility timeouts) must not exceed SQS's ${MAX_VISIBILITY_TIMEOUT_SECONDS} s`,
  (s) => {
    const numbers = [
      s.chunkTimeoutSeconds,
      s.plannedConcurrentJobs,
      s.mapMaxConcurrency,
      s.llmMaxConcurrency,
      s.chunkMaxReceives,
      s.workerTimeoutSeconds,
    ];
    if (!numbers.every((n) => Number.isInteger(n) && n > 0)) return undefined; // reported above
    const { queueWait, deliveries } = chunkLifetimeSeconds(s);
    return s.chunkTimeoutSeconds >= queueWait + deliveries
      ? undefined
      : `chunkTimeoutSeconds (${s.chunkTimeoutSeconds}) must be at least ${queueWait + deliveries}: the task timeout counts a chunk's time in the queue, ` +
          `behind plannedConcurrentJobs (${s.plannedConcurrentJobs}) × mapMaxConcurrency (${s.mapMaxConcurrency}) chunks run llmMaxConcurrency (${s.llmMaxConcurrency}) at a time for up to workerTimeoutSeconds (${s.workerTimeoutSeconds}) each (${queueWait} s), ` +
          `then its own chunkMaxReceives (${s.chunkMaxReceives}) deliveries with their back-off (${deliveries} s). Raise chunkTimeoutSeconds or llmMaxConcurrency, or lower plannedConcurrentJobs, mapMaxConcurrency or workerTimeoutSeconds`;
  },
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
  knownEmbeddingModel,
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
    ` (the ingest function's Lambda timeout; the document queue's visibility timeout is ${VISIBILITY_TIMEOUT_FACTOR} times this)`,
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
    ' (each attempt runs inside the 300 s function that ends the job, retries included)',
  ),
  thinkingLevel('questionsThinkingLevel'),
  thinkingLevel('sectionsThinkingLevel'),
  thinkingLevel('outlineThinkingLevel'),
  thinkingLevel('repairThinkingLevel'),
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
  return name === 'apiQuotaPeriod' || name.endsWith('ThinkingLevel') ? text.toUpperCase() : text;
}

/**
 * Settings for a construct tree: explicit overrides first, then CDK context, then defaults.
 * Throws InvalidSettingsError listing every bad value at once.
 */
export function readSettings(scope: Construct, overrides: Partial<Settings> = {}): Settings {
  const merged: Record<string, unknown> = { ...SETTING_DEFAULTS };
  const given = new Set<keyof Settings>();
  for (const name of SETTING_NAMES) {
    const fromContext = scope.node.tryGetContext(name);
    if (fromContext !== undefined) merged[name] = coerce(name, fromContext);
    const override = overrides[name];
    if (override !== undefined) merged[name] = override;
    if (fromContext !== undefined || override !== undefined) given.add(name);
  }
  if (!given.has('chunkTimeoutSeconds')) {
    merged.chunkTimeoutSeconds = defaultChunkTimeoutSeconds(merged as unknown as Settings);
  }
  return validateSettings(merged as unknown as Settings);
}

/**
 * The chunk timeout when none is given: the default, or what the other settings need if that is
 * more (fewer workers, longer runs, more jobs at once), in whole 10 minutes. A value given is
 * checked instead, so a deployment that sets it knows when it falls short.
 */
function defaultChunkTimeoutSeconds(s: Settings): number {
  const inputs = [
    s.plannedConcurrentJobs,
    s.mapMaxConcurrency,
    s.llmMaxConcurrency,
    s.chunkMaxReceives,
    s.workerTimeoutSeconds,
  ];
  if (!inputs.every((n) => Number.isInteger(n) && n > 0)) return SETTING_DEFAULTS.chunkTimeoutSeconds;
  const { queueWait, deliveries } = chunkLifetimeSeconds(s);
  return Math.max(SETTING_DEFAULTS.chunkTimeoutSeconds, Math.ceil((queueWait + deliveries) / 600) * 600);
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
    // Only when set: without it the SDK calls Gemini itself.
    ...(s.geminiBaseUrl ? { [ENV.geminiBaseUrl]: s.geminiBaseUrl } : {}),
    [ENV.questionsThinkingLevel]: s.questionsThinkingLevel,
    [ENV.sectionsThinkingLevel]: s.sectionsThinkingLevel,
    [ENV.outlineThinkingLevel]: s.outlineThinkingLevel,
    [ENV.repairThinkingLevel]: s.repairThinkingLevel,
    [ENV.batchPollMaxSeconds]: String(s.batchPollMaxSeconds),
    [ENV.batchWindowSeconds]: String(s.batchWindowSeconds),
  };
}
