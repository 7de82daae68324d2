/**
 * The deployment settings' checks, run together before anything is built so a bad value fails
 * synth with a message that names the setting (and every other bad one) instead of a
 * CloudFormation error twenty minutes later.
 */
import { BATCH_HISTORY_EVENT_BUDGET, worstCaseBatchEvents } from '#contract/batch-loop.ts';
import { capabilitiesOf, isThinkingLevel, THINKING_LEVELS } from '#platform/gemini/model-capabilities.ts';
import { isRetired, liveModels, priceTable } from '#platform/gemini/pricing.ts';
import { COMPLETE_SECRET_ARN, SECRET_NAME } from './constructs/existing-secret.ts';
import { MAX_INLINE_UPLOAD_BYTES, QUOTA_PERIODS, type Settings } from './setting-values.ts';

/** A presigned upload is one PutObject, which S3 caps at 5 GiB. */
const MAX_DOCUMENT_BYTES = 5 * 1024 ** 3;

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
