/**
 * What a content job's webhook sends: the seed's progress, completion and failure payloads, each
 * with a `deliveryId` that stays the same on every attempt of one delivery.
 */
import { randomUUID } from 'node:crypto';

export type WebhookEventKind = 'generation.progress' | 'generation.completed' | 'generation.failed';

export interface JobProgress {
  percentage: number;
  sectionsCompleted: number;
  totalSections: number;
  currentSection: string | null;
}

export interface JobResult {
  totalWords: number;
  qualityScore: number;
  costUsd: number;
}

export interface JobError {
  /** One of the seed's error codes, e.g. GENERATION_FAILED or QUALITY_THRESHOLD_NOT_MET. */
  code: string;
  message: string;
}

export interface WebhookJob {
  jobId: number;
  /**
   * The job's internal status. Informational only: the payload carries the seed's status for
   * the event (`processing`, `completed`, `failed`), whatever the pipeline calls it.
   */
  status?: string;
  progress?: JobProgress;
  result?: JobResult;
  error?: JobError;
}

interface EventCommon {
  jobId: number;
  timestamp: string;
  /** The same on every attempt of one delivery: receivers dedupe on it. */
  deliveryId: string;
}

export interface ProgressEvent extends EventCommon {
  event: 'generation.progress';
  status: 'processing';
  progress: JobProgress;
}

export interface CompletedEvent extends EventCommon {
  event: 'generation.completed';
  status: 'completed';
  result: JobResult;
}

export interface FailedEvent extends EventCommon {
  event: 'generation.failed';
  status: 'failed';
  error: JobError;
}

export type WebhookEvent = ProgressEvent | CompletedEvent | FailedEvent;

/** The seed writes timestamps without milliseconds: `2025-01-08T10:00:18Z`. */
function isoSeconds(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function required<T>(value: T | undefined, field: string, kind: WebhookEventKind): T {
  if (value === undefined) throw new TypeError(`A ${kind} event needs job.${field}`);
  return value;
}

/** The seed's callback payloads, field for field, plus a fresh `deliveryId`. */
export function buildEvent(kind: WebhookEventKind, job: WebhookJob, now: Date = new Date()): WebhookEvent {
  const timestamp = isoSeconds(now);
  const deliveryId = randomUUID();
  switch (kind) {
    case 'generation.progress': {
      const p = required(job.progress, 'progress', kind);
      return {
        event: kind,
        jobId: job.jobId,
        status: 'processing',
        progress: {
          percentage: p.percentage,
          sectionsCompleted: p.sectionsCompleted,
          totalSections: p.totalSections,
          currentSection: p.currentSection,
        },
        timestamp,
        deliveryId,
      };
    }
    case 'generation.completed': {
      const r = required(job.result, 'result', kind);
      return {
        event: kind,
        jobId: job.jobId,
        status: 'completed',
        result: { totalWords: r.totalWords, qualityScore: r.qualityScore, costUsd: r.costUsd },
        timestamp,
        deliveryId,
      };
    }
    case 'generation.failed': {
      const e = required(job.error, 'error', kind);
      return {
        event: kind,
        jobId: job.jobId,
        status: 'failed',
        error: { code: e.code, message: e.message },
        timestamp,
        deliveryId,
      };
    }
  }
}
