/**
 * The deployment settings: their names, types and defaults (`settings.ts` reads them from CDK
 * context, `settings-checks.ts` validates them together).
 *
 * The defaults the handlers share come from `lambdas/platform/config.ts` DEFAULTS, so a deployed
 * stack and a function started without those variables behave the same.
 */
import { DEFAULTS, THINKING_DEFAULTS } from '#platform/config.ts';
import type { ThinkingLevel } from '#platform/gemini/model-capabilities.ts';

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
