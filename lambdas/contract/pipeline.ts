/**
 * The data that flows through the state machine. `lib/constructs/pipeline.ts` builds the state machine
 * around these shapes and the pipeline handlers produce and consume them.
 *
 *   execution input            { job_id, owner }
 *   "Plan chunks" output       PlanOutput
 *   "Generate stages" item     StageItem (one stage; the Map runs one at a time, in order)
 *   "Generate chunks" item     { job_id, owner, chunk_key } (mapMaxConcurrency chunks at once)
 *   "Generate chunk" message   ChunkMessage (SQS body, task token included)
 *   chunk result               ChunkResult (SendTaskSuccess output, or built by the Catch)
 *   "Assemble results" input   PlanOutput & { chunk_results: ChunkResult[][] } (one list per stage)
 *   "Finalize job" input       same plus { assembled: AssembleOutput }
 *   "Mark job failed" input    { job_id, owner, error: { Error, Cause } }
 */

export interface ExecutionInput {
  job_id: string;
  owner: string;
}

export interface PlanOutput extends ExecutionInput {
  /** Every chunk key to generate: the stages flattened, in stage order. */
  chunks: string[];
  /**
   * The same keys grouped by dependency: a stage starts only when every chunk of the stage
   * before it has finished (completed or failed), so a chunk can build on earlier stages' output.
   */
  stages: string[][];
  skipped_from_checkpoint: number;
  /** `batch`: the chunks go to Gemini's Batch API in rounds ("Run batch round"), not the queue. */
  mode: JobMode;
}

export type JobMode = 'interactive' | 'batch';

/** One iteration of "Generate stages": the chunks of one stage. */
export interface StageItem extends ExecutionInput {
  /** Position of the stage in `stages`, from 0. */
  stage: number;
  chunks: string[];
}

export interface ChunkMessage extends ExecutionInput {
  task_token: string;
  chunk_key: string;
}

export interface ChunkResult {
  chunk_key: string;
  status: 'completed' | 'failed';
  questions?: number;
  /** What went wrong, in short (`shortError`); the whole error is on the chunk's record. */
  error?: string;
}

/**
 * Characters of a failed chunk's error that travel in its ChunkResult. Every chunk's result is
 * in the state "Assemble results" receives, and a state over 262,144 bytes fails the execution
 * with States.DataLimitExceeded, which no Catch sees
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html), so "Mark job
 * failed" would never run. At 3 bytes a character, a full bank's every chunk failing stays far
 * below it (test/unit/jobs-state-size.test.ts).
 */
export const CHUNK_RESULT_ERROR_MAX_CHARS = 200;

/**
 * An error cut to `max` characters, control characters made spaces (JSON would escape each to
 * six bytes), for the state machine's state and the job's record.
 */
export function shortError(error: string, max = CHUNK_RESULT_ERROR_MAX_CHARS): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is replaced
  const plain = error.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  const chars = [...plain];
  return chars.length <= max ? plain : `${chars.slice(0, max - 1).join('')}…`;
}

export interface AssembleInput extends PlanOutput {
  /**
   * One list per stage, as "Generate stages" collects them. An execution started before stages
   * existed carries one flat list and may reach the new handlers during a deployment; read it
   * through `flatChunkResults`.
   */
  chunk_results: ChunkResult[][] | ChunkResult[];
}

/**
 * The chunk results of every stage in one list. A state cannot flatten them itself: JSONPath's
 * `[*][*]` does in AWS, but the local engine fails on an empty result (a job whose chunks are all
 * in the checkpoint).
 */
export function flatChunkResults(results: AssembleInput['chunk_results']): ChunkResult[] {
  return (results as (ChunkResult | ChunkResult[])[]).flat();
}

export interface AssembleOutput {
  files: string[];
  /** Content jobs whose quality requirements were not met: why, for "Finalize job" to fail them. */
  quality_failure?: string;
  /** Content below its quality threshold with rounds left: plan the weakest sections again. */
  regenerate?: boolean;
}

export interface FinalizeInput extends AssembleInput {
  assembled: AssembleOutput;
}

export interface MarkFailedInput extends ExecutionInput {
  error?: { Error?: string; Cause?: string };
}

/** Lambda source files, relative to the repository root, keyed by role. */
export const HANDLER_ENTRIES = {
  quizGeneratorApi: 'lambdas/quiz-bank/quiz-generator-api.ts',
  healthApi: 'lambdas/gateway/health.ts',
  docsApi: 'lambdas/api-docs/docs-api.ts',
  planChunks: 'lambdas/jobs/handlers/plan-chunks.ts',
  assembleResults: 'lambdas/jobs/handlers/assemble-results.ts',
  finalizeJob: 'lambdas/jobs/handlers/finalize-job.ts',
  markJobFailed: 'lambdas/jobs/handlers/mark-job-failed.ts',
  executionEnded: 'lambdas/jobs/handlers/execution-ended.ts',
  generateChunkWorker: 'lambdas/jobs/handlers/generate-chunk.ts',
  deadLetter: 'lambdas/jobs/handlers/dead-letter.ts',
  assessmentsApi: 'lambdas/assessments/assessments-api.ts',
  ingestDocument: 'lambdas/assessments/documents/ingest-document.ts',
  contentApi: 'lambdas/content/api/content-api.ts',
  batchRound: 'lambdas/jobs/handlers/batch-round.ts',
  apiAuthorizer: 'lambdas/gateway/authorizer.ts',
} as const;

/** State names as they read in the Step Functions console. */
export const STATE_NAMES = {
  plan: 'Plan chunks',
  /** Batch-mode jobs go to Gemini's Batch API instead of the chunk queue. */
  batchMode: 'Batch mode?',
  batchRound: 'Run batch round',
  batchDone: 'Batch done?',
  batchWait: 'Wait for batch',
  batchResults: 'Collect batch results',
  /** Outer Map over the stages, one at a time. */
  stages: 'Generate stages',
  /** Inner Map over one stage's chunks, mapMaxConcurrency at a time. */
  map: 'Generate chunks',
  generate: 'Generate chunk',
  chunkFailed: 'Record chunk failure',
  assemble: 'Assemble results',
  /** Loops back to "Plan chunks" when assembling asked for weak sections to be regenerated. */
  qualityCheck: 'Quality met?',
  finalize: 'Finalize job',
  markFailed: 'Mark job failed',
  fail: 'Job failed',
} as const;
