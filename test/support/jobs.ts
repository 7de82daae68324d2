/** Job records for tests, built from the `job-record.json` fixture. */
import { randomUUID } from 'node:crypto';
import { type JobRecord, newJobRecord } from '#jobs/job.ts';
import { fixture } from './fixtures.ts';

/** A fresh pending job of `owner` with zeroed counters, a new id and a TTL far ahead. */
export function newJob(owner: string, overrides: Partial<JobRecord> = {}): JobRecord {
  const example = fixture<JobRecord>('job-record.json');
  return {
    ...newJobRecord({
      jobId: randomUUID(),
      owner,
      jobType: example.job_type,
      parameters: example.parameters,
      model: example.model,
      retentionSeconds: 86_400,
      monthlyBudgetUsd: null,
    }),
    ...overrides,
  };
}

/** An owner name no other test uses, so tests sharing one table do not see each other's items. */
export function uniqueOwner(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}
