/**
 * The data that flows through the state machine. `lib/pipeline.ts` builds the state machine
 * around these shapes and the pipeline handlers produce and consume them.
 *
 *   execution input            { job_id, owner }
 *   "Plan chunks" output       PlanOutput
 *   "Generate chunk" message   ChunkMessage (SQS body, task token included)
 *   chunk result               ChunkResult (SendTaskSuccess output, or built by the Catch)
 *   "Assemble results" input   PlanOutput & { chunk_results: ChunkResult[] }
 *   "Finalize job" input       same plus { assembled: AssembleOutput }
 *   "Mark job failed" input    { job_id, owner, error: { Error, Cause } }
 */

export interface ExecutionInput {
  job_id: string;
  owner: string;
}

export interface PlanOutput extends ExecutionInput {
  chunks: string[];
  skipped_from_checkpoint: number;
}

export interface ChunkMessage extends ExecutionInput {
  task_token: string;
  chunk_key: string;
}

export interface ChunkResult {
  chunk_key: string;
  status: 'completed' | 'failed';
  questions?: number;
  error?: string;
}

export interface AssembleInput extends PlanOutput {
  chunk_results: ChunkResult[];
}

export interface AssembleOutput {
  files: string[];
}

export interface FinalizeInput extends AssembleInput {
  assembled: AssembleOutput;
}

export interface MarkFailedInput extends ExecutionInput {
  error?: { Error?: string; Cause?: string };
}

/** Lambda source files, relative to the repository root, keyed by role. */
export const HANDLER_ENTRIES = {
  quizGeneratorApi: 'lambdas/api/quiz-generator.ts',
  healthApi: 'lambdas/api/health.ts',
  planChunks: 'lambdas/pipeline/plan-chunks.ts',
  assembleResults: 'lambdas/pipeline/assemble-results.ts',
  finalizeJob: 'lambdas/pipeline/finalize-job.ts',
  markJobFailed: 'lambdas/pipeline/mark-job-failed.ts',
  executionEnded: 'lambdas/pipeline/execution-ended.ts',
  generateChunkWorker: 'lambdas/worker/generate-chunk.ts',
  deadLetter: 'lambdas/worker/dead-letter.ts',
  assessmentsApi: 'lambdas/api/assessments.ts',
  ingestDocument: 'lambdas/documents/ingest-document.ts',
} as const;

/** State names as they read in the Step Functions console. */
export const STATE_NAMES = {
  plan: 'Plan chunks',
  map: 'Generate chunks',
  generate: 'Generate chunk',
  chunkFailed: 'Record chunk failure',
  assemble: 'Assemble results',
  finalize: 'Finalize job',
  markFailed: 'Mark job failed',
  fail: 'Job failed',
} as const;
