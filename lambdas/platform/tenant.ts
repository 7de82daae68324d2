/**
 * The tenant (API key id, a job's owner) that the work in progress is for, so that shared
 * budgets deeper down, such as the model-call rate limiter's fair shares, can tell keys apart
 * without every function between the worker and the Gemini client passing it along.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const storage = new AsyncLocalStorage<string>();

/** Runs `work` on behalf of `tenant`: everything it awaits sees it as the current tenant. */
export function withTenant<T>(tenant: string, work: () => Promise<T>): Promise<T> {
  return storage.run(tenant, work);
}

/** The tenant the current work is for, if a caller named one. */
export function currentTenant(): string | undefined {
  return storage.getStore();
}
