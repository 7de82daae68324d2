/**
 * Typed domain errors. Each class states its status once, where it is declared; `statusOf` in
 * `lambdas/platform/http.ts` is the one place an error becomes a status, for the three APIs
 * (their envelopes only shape the body). Anything else becomes a 500 without details.
 */

export class DomainError extends Error {
  readonly statusCode: number;
  constructor(message: string, statusCode: number) {
    super(message);
    this.name = new.target.name;
    this.statusCode = statusCode;
  }
}

/** 400: the request names something that does not exist or is malformed. */
export class InvalidRequest extends DomainError {
  constructor(message: string) {
    super(message, 400);
  }
}

export class JobNotFound extends DomainError {
  constructor(jobId: string) {
    super(`Job not found: ${jobId}`, 404);
  }
}

export class ResultNotFound extends DomainError {
  constructor(message: string) {
    super(message, 404);
  }
}

/** 409: the job exists but is in a state that does not allow the action. */
export class JobStateConflict extends DomainError {
  constructor(message: string) {
    super(message, 409);
  }
}

/** 413: more bytes than the service takes. */
export class PayloadTooLarge extends DomainError {
  constructor(message: string) {
    super(message, 413);
  }
}

/** 415: a file of a type the service cannot read. */
export class UnsupportedFileType extends DomainError {
  constructor(message: string) {
    super(message, 415);
  }
}

export class GeminiNotConfigured extends DomainError {
  constructor() {
    super('GEMINI_API_KEY not configured', 503);
  }
}

/**
 * A job or an API key has spent its budget: the chunk is not generated. 402 where an API
 * answers it (a dry run or start refused for an exhausted monthly budget).
 */
export class BudgetReached extends DomainError {
  constructor(message: string) {
    super(message, 402);
  }
}
