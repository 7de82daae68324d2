/**
 * What happens around a content job's life beyond its record: the owner's usage counters, the
 * concurrent-job slot, and the progress and completion webhooks the request asked for. None of
 * these may fail the job: a webhook that cannot be delivered is logged, not retried forever.
 */

import type { JobRecord } from '#jobs/job.ts';
import { invocationDeadline } from '#platform/invocation.ts';
import { logger } from '#platform/powertools.ts';
import { releaseJobSlot } from './api/rate-limits.ts';
import { recordJobEvent } from './api/usage-stats.ts';
import { loadRequest } from './content-job.ts';
import { ownerWebhookSecret } from './signing-secret.ts';
import { buildEvent, type WebhookEventKind, type WebhookJob } from './webhook-events.ts';
import { deliver } from './webhooks.ts';

/** What the function still needs after a webhook: the log line and the steps after it. */
const WEBHOOK_DEADLINE_MARGIN_MS = 5000;

async function sendWebhook(
  job: JobRecord,
  kind: WebhookEventKind,
  payload: Omit<WebhookJob, 'jobId'>,
): Promise<void> {
  const request = await loadRequest(job.owner, job.job_id);
  const url = request.config.progressCallbackUrl;
  if (!url) return;
  const event = buildEvent(kind, { jobId: job.parameters.content_job_id ?? 0, ...payload });
  const result = await deliver(url, request.config.callbackHeaders, event, {
    secret: await ownerWebhookSecret(job.owner),
    // Progress events are many and superseded by the next one: one try each is enough.
    retries: kind === 'generation.progress' ? 0 : request.config.callbackRetries,
    // Retries stop where the function's time does, with room left to log and finish the job's
    // other end steps: a timed-out function would be retried by its caller and send it all again.
    deadline: invocationDeadline(WEBHOOK_DEADLINE_MARGIN_MS),
  });
  if (!result.delivered) {
    logger.warn('Webhook not delivered', {
      job_id: job.job_id,
      event: kind,
      attempts: result.attempts,
      error: result.lastError,
    });
  }
}

/** After a section: progress to the webhook, if one was asked for. */
export async function contentProgress(job: JobRecord, currentSection: string): Promise<void> {
  try {
    await sendWebhook(job, 'generation.progress', {
      progress: {
        percentage: job.progress_percent,
        sectionsCompleted: job.chunks_completed + job.chunks_skipped,
        totalSections: job.chunks_total,
        currentSection,
      },
    });
  } catch (error) {
    logger.warn('Progress webhook failed', { job_id: job.job_id, error: error as Error });
  }
}

/** A job that just reached its final status: counters, slot and completion webhook. */
export async function contentJobEnded(job: JobRecord): Promise<void> {
  if (job.job_type !== 'content') return;
  const status = job.status === 'completed' || job.status === 'cancelled' ? job.status : 'failed';
  const steps: [string, () => Promise<unknown>][] = [
    ['release the job slot', () => releaseJobSlot(job.owner, job.job_id)],
    [
      'record usage',
      () =>
        recordJobEvent(job.owner, {
          type: 'finished',
          status,
          structureType: job.parameters.structure_type ?? 'course',
          words: job.content_stats?.total_words ?? 0,
          tokens: { input: job.input_tokens, output: job.output_tokens + job.thinking_tokens },
          costUsd: job.cost_usd,
          qualityScore: job.content_stats?.quality?.overallScore ?? null,
          processingTimeMs: job.started_at
            ? Date.parse(job.completed_at ?? job.updated_at) - Date.parse(job.started_at)
            : 0,
          model: job.model,
          at: job.completed_at ?? job.updated_at,
        }),
    ],
    [
      'send the webhook',
      () =>
        status === 'completed'
          ? sendWebhook(job, 'generation.completed', {
              result: {
                totalWords: job.content_stats?.total_words ?? 0,
                qualityScore: job.content_stats?.quality?.overallScore ?? 0,
                costUsd: job.cost_usd,
              },
            })
          : status === 'failed'
            ? sendWebhook(job, 'generation.failed', {
                error: {
                  code: job.error_message?.startsWith('QUALITY_THRESHOLD_NOT_MET')
                    ? 'QUALITY_THRESHOLD_NOT_MET'
                    : 'GENERATION_FAILED',
                  message: job.error_message ?? 'The job failed',
                },
              })
            : Promise.resolve(),
    ],
  ];
  for (const [what, step] of steps) {
    try {
      await step();
    } catch (error) {
      logger.error(`Could not ${what} for an ended content job`, {
        job_id: job.job_id,
        error: error as Error,
      });
    }
  }
}
