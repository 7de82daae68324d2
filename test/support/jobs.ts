/** Job records for tests, built from the `job-record.json` fixture. */
import { randomUUID } from 'node:crypto';
import type { JobRecord } from '#jobs/job.ts';
import { fixture } from './fixtures.ts';

/** A fresh pending job of `owner` with zeroed counters, a new id and a TTL far ahead. */
export function newJob(owner: string, overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    ...fixture<JobRecord>('job-record.json'),
    job_id: randomUUID(),
    owner,
    status: 'pending',
    progress_percent: 0,
    progress_message: 'Waiting to start',
    started_at: null,
    execution_arn: null,
    chunks_planned: 0,
    chunks_total: 0,
    chunks_skipped: 0,
    chunks_completed: 0,
    chunks_failed: 0,
    questions_generated: 0,
    cost_usd: 0,
    input_tokens: 0,
    output_tokens: 0,
    thinking_tokens: 0,
    cached_tokens: 0,
    expires_at: Math.floor(Date.now() / 1000) + 86_400,
    ...overrides,
  };
}

/** An owner name no other test uses, so tests sharing one table do not see each other's items. */
export function uniqueOwner(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}
