/** The `result_summary` of a finished job and its closing message. */
import { type ChunkResult, shortError } from '#contract/pipeline.ts';
import { QUOTA_EXHAUSTED } from '#platform/gemini/quota.ts';
import { type JobRecord, type ResultSummary, roundCost, tokenTotals } from './job.ts';

/**
 * Failed chunks a stored summary lists. The job is one DynamoDB item, and an item over 400 KB
 * is refused (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-items),
 * so a job whose every chunk failed must not keep every error: 50 short ones are about 15 KB.
 */
export const FAILED_CHUNKS_KEPT = 50;
/**
 * Characters of the job's own error message, which a failed step's cause can make long. The
 * message of failed chunks quotes ten of them, each error in short, and stays under it.
 */
export const ERROR_MESSAGE_MAX_CHARS = 3000;

export function summarize(
  job: JobRecord,
  chunkResults: ChunkResult[],
  files: string[],
  now: Date,
): ResultSummary {
  const failed = chunkResults
    .filter((r) => r.status === 'failed')
    .map((r) => ({ chunk_key: r.chunk_key, error: r.error ?? 'unknown error' }));
  const completed = chunkResults.filter((r) => r.status === 'completed').length;
  return {
    questions_generated: job.questions_generated,
    chunks_total: job.chunks_total,
    chunks_completed: completed,
    chunks_skipped_from_checkpoint: job.chunks_skipped,
    chunks_failed: failed.length,
    failed_chunks: failed,
    files,
    tokens: tokenTotals(job),
    cost_usd: roundCost(job.cost_usd),
    model: job.model,
    duration_seconds: job.started_at ? Math.round((now.getTime() - Date.parse(job.started_at)) / 1000) : null,
  };
}

/**
 * The summary as the job keeps it: the first FAILED_CHUNKS_KEPT failed chunks, each error in
 * short, and how many more there were. Messages are made from the whole summary first.
 */
export function storedSummary(summary: ResultSummary): ResultSummary {
  const { failed_chunks_omitted: _, ...rest } = summary;
  const kept = summary.failed_chunks
    .slice(0, FAILED_CHUNKS_KEPT)
    .map((f) => ({ chunk_key: f.chunk_key, error: shortError(f.error) }));
  const omitted = summary.failed_chunks.length - kept.length;
  return { ...rest, failed_chunks: kept, ...(omitted > 0 ? { failed_chunks_omitted: omitted } : {}) };
}

/** What a chunk's error starts with when a budget, not a fault, stopped it. */
export const BUDGET_REACHED = 'Budget reached';

/** The budget that stopped the job, when one did. */
export function budgetStop(summary: ResultSummary): string | undefined {
  return summary.failed_chunks.find((f) => f.error.startsWith(BUDGET_REACHED))?.error;
}

/** The Gemini quota that stopped the job, when one did (quota.ts writes its message). */
export function quotaStop(summary: ResultSummary): string | undefined {
  return summary.failed_chunks.find((f) => f.error.startsWith(QUOTA_EXHAUSTED))?.error;
}

/** Names the failed chunks and says how to resume with only those. */
export function failureMessage(summary: ResultSummary): string {
  const quota = quotaStop(summary);
  if (quota) {
    const stopped = summary.failed_chunks.filter((f) => f.error.startsWith(QUOTA_EXHAUSTED)).length;
    const others = summary.chunks_failed - stopped;
    // The chunk's error names the quota and its reset, then Gemini's own message: keep the first part.
    const what = /^[^:]*: (.*?midnight Pacific time \([^)]*\))/.exec(quota)?.[1] ?? quota;
    return (
      `Stopped: ${what}. ` +
      `${stopped} of ${summary.chunks_total} chunks were not generated` +
      (others > 0 ? ` and ${others} failed` : '') +
      '; finished chunks are kept. Start the same generation after the reset to generate only the rest.'
    );
  }
  const budget = budgetStop(summary);
  if (budget) {
    const stopped = summary.failed_chunks.filter((f) => f.error.startsWith(BUDGET_REACHED)).length;
    const others = summary.chunks_failed - stopped;
    return (
      `Stopped at its budget: ${budget.slice(BUDGET_REACHED.length + 2)}. ` +
      `${stopped} of ${summary.chunks_total} chunks were not generated` +
      (others > 0 ? ` and ${others} failed` : '') +
      '; finished chunks are kept. Start the same generation with a higher max_cost_usd (or monthly budget) to generate only the rest.'
    );
  }
  const listed = summary.failed_chunks
    .slice(0, 10)
    .map((f) => `${f.chunk_key} (${shortError(f.error)})`)
    .join('; ');
  const more = summary.failed_chunks.length > 10 ? `; and ${summary.failed_chunks.length - 10} more` : '';
  return (
    `${summary.chunks_failed} of ${summary.chunks_total} chunks failed: ${listed}${more}. ` +
    'Finished chunks are kept; start a new job with the same parameters to generate only the missing ones.'
  );
}

/** A job's error message, bounded: it lives on the job's item (see FAILED_CHUNKS_KEPT). */
export function boundedMessage(message: string): string {
  return shortError(message, ERROR_MESSAGE_MAX_CHARS);
}

/** The cause string Step Functions puts in a caught Lambda error, made readable. */
export function readableCause(cause: string | undefined): string {
  if (!cause) return 'The pipeline failed without a message';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string; errorType?: string };
    if (parsed.errorMessage) return parsed.errorMessage;
  } catch {
    // not JSON
  }
  return cause;
}
