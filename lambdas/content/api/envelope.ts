/**
 * The Content Generator API's envelope: `{"success": true, "data": ...}` for answers and
 * `{"success": false, "error", "metadata": {"timestamp", "details": {"code", "suggestion", ...}}}`
 * for errors, with the seed's error codes, in one place. Statuses are the HTTP edge's
 * (`statusOf` in lambdas/platform/http.ts): this only shapes the bodies.
 */
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { isS3ServiceError } from '#platform/clients.ts';
import { DomainError } from '#platform/errors.ts';
import {
  answer,
  BodyNotJson,
  BodyTooDeep,
  clipMessage,
  type Envelope,
  RouteNotFound,
} from '#platform/http.ts';
import { ContentRequestError, nestedTooDeep } from '../request.ts';

export type ErrorCode =
  | 'INVALID_API_KEY'
  | 'JOB_NOT_FOUND'
  | 'TEMPLATE_NOT_FOUND'
  | 'INVALID_STRUCTURE'
  | 'MISSING_GRANULATOR_DATA'
  | 'INVALID_STRUCTURE_TYPE'
  | 'MISSING_REQUIRED_FIELD'
  | 'INVALID_REQUEST'
  | 'GENERATION_FAILED'
  | 'QUALITY_THRESHOLD_NOT_MET'
  | 'RESOURCE_LIMIT_EXCEEDED'
  | 'RATE_LIMIT_EXCEEDED'
  | 'AI_PROVIDER_ERROR'
  | 'NOT_FOUND'
  | 'DATABASE_ERROR'
  | 'STORAGE_ERROR'
  | 'INTERNAL_ERROR';

/** An error the API answers in the seed's envelope, with the status the seed gives its code. */
export class ContentApiError extends DomainError {
  readonly code: ErrorCode;
  readonly suggestion: string;
  readonly details: Record<string, unknown>;
  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    suggestion: string,
    details: Record<string, unknown> = {},
  ) {
    super(message, status);
    this.code = code;
    this.suggestion = suggestion;
    this.details = details;
  }
}

/** A request the parser or the structure reader refused, as the API answers it. */
function refusedRequest(error: ContentRequestError): ContentApiError {
  const details = error.field ? { field: error.field } : {};
  return new ContentApiError(error.status, error.code, error.message, error.suggestion, details);
}

/** Runs `read`; a request it refuses (`ContentRequestError`) becomes the API's 400. */
export async function readingRequest<T>(read: () => T | Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw error instanceof ContentRequestError ? refusedRequest(error) : error;
  }
}

function failureBody(
  code: ErrorCode,
  error: string,
  suggestion: string,
  details: Record<string, unknown> = {},
) {
  return {
    success: false,
    error: clipMessage(error),
    metadata: { timestamp: new Date().toISOString(), details: { code, ...details, suggestion } },
  };
}

/** The code, message and suggestion of each error; a 5xx never carries the raw error. */
function errorBody(error: unknown, status: number) {
  if (error instanceof ContentApiError) {
    return failureBody(error.code, error.message, error.suggestion, error.details);
  }
  if (error instanceof RouteNotFound)
    return failureBody('NOT_FOUND', 'Not found', 'GET /help lists the endpoints');
  if (error instanceof BodyNotJson) {
    return failureBody(
      'INVALID_REQUEST',
      error.message,
      'Send a JSON object with Content-Type: application/json',
    );
  }
  // /api/execute's own answer to a request this deep, on every route.
  if (error instanceof BodyTooDeep) return errorBody(refusedRequest(nestedTooDeep()), status);
  if (error instanceof DomainError) {
    const code: ErrorCode =
      status === 404 ? 'NOT_FOUND' : status === 503 ? 'AI_PROVIDER_ERROR' : 'INVALID_REQUEST';
    return failureBody(code, error.message, 'Check the request against GET /help');
  }
  // The seed's codes for the service's own stores failing: the request did nothing, try again.
  if (error instanceof DynamoDBServiceException) {
    return failureBody(
      'DATABASE_ERROR',
      'Database operation failed',
      'Try again in a moment; nothing was changed',
      { retryable: error.$retryable !== undefined },
    );
  }
  if (isS3ServiceError(error)) {
    return failureBody(
      'STORAGE_ERROR',
      'Failed to store or read content',
      'Try again in a moment; if it persists, contact the operator',
      { retryable: error.$retryable !== undefined },
    );
  }
  return failureBody(
    'INTERNAL_ERROR',
    'Internal server error',
    'Try again; if it persists, contact the operator',
  );
}

export const contentEnvelope: Envelope = {
  success: (data) => ({ success: true, data }),
  failure: errorBody,
};

/** `{"success": true, "data": ...}`. */
export function ok(
  data: unknown,
  statusCode = 200,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return answer(contentEnvelope, data, statusCode, headers);
}
