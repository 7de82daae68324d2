/**
 * The Content Generator API's envelope: `{"success": true, "data": ...}` for answers and
 * `{"success": false, "error", "metadata": {"timestamp", "details": {"code", "suggestion", ...}}}`
 * for errors, with the seed's error codes, in one place.
 */
import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { S3ServiceException } from '@aws-sdk/client-s3';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { BudgetReached, DomainError } from '#platform/errors.ts';
import { clipMessage } from '#platform/http.ts';
import { logger } from '#platform/powertools.ts';
import { ContentRequestError } from '../request.ts';

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

/** An error the API answers in the seed's envelope. */
export class ContentApiError extends Error {
  readonly status: number;
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
    super(message);
    this.name = 'ContentApiError';
    this.status = status;
    this.code = code;
    this.suggestion = suggestion;
    this.details = details;
  }
}

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

export function ok(
  data: unknown,
  statusCode = 200,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { ...JSON_HEADERS, ...headers },
    body: JSON.stringify({ success: true, data }),
  };
}

/** A bare body (the execute endpoint's success body is not wrapped in `data`). */
export function raw(
  body: unknown,
  statusCode = 200,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function failure(
  status: number,
  code: ErrorCode,
  error: string,
  suggestion: string,
  details: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return raw(
    {
      success: false,
      error: clipMessage(error),
      metadata: { timestamp: new Date().toISOString(), details: { code, ...details, suggestion } },
    },
    status,
    headers,
  );
}

/** Maps any error to the envelope; a 5xx never carries the raw error. */
export function errorResult(error: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  if (error instanceof ContentApiError) {
    return failure(error.status, error.code, error.message, error.suggestion, error.details, headers);
  }
  // A request the parser or the structure reader refused, wherever it surfaced (a retry's config too).
  if (error instanceof ContentRequestError) {
    const details = error.field ? { field: error.field } : {};
    return failure(error.status, error.code, error.message, error.suggestion, details, headers);
  }
  if (error instanceof BudgetReached) {
    return failure(
      429,
      'RESOURCE_LIMIT_EXCEEDED',
      error.message,
      'Raise the monthly budget (PUT /api/v1/quiz-generator/budget) or wait for next month',
      {},
      headers,
    );
  }
  if (error instanceof DomainError) {
    const code: ErrorCode =
      error.statusCode === 404
        ? 'NOT_FOUND'
        : error.statusCode === 503
          ? 'AI_PROVIDER_ERROR'
          : 'INVALID_REQUEST';
    return failure(error.statusCode, code, error.message, 'Check the request against GET /help', {}, headers);
  }
  // The seed's codes for the service's own stores failing: the request did nothing, try again.
  if (error instanceof DynamoDBServiceException) {
    logger.error('Database operation failed', { error });
    return failure(
      500,
      'DATABASE_ERROR',
      'Database operation failed',
      'Try again in a moment; nothing was changed',
      { retryable: error.$retryable !== undefined },
      headers,
    );
  }
  if (error instanceof S3ServiceException) {
    logger.error('Storage operation failed', { error });
    return failure(
      500,
      'STORAGE_ERROR',
      'Failed to store or read content',
      'Try again in a moment; if it persists, contact the operator',
      { retryable: error.$retryable !== undefined },
      headers,
    );
  }
  logger.error('Unhandled error', { error: error as Error });
  return failure(
    500,
    'INTERNAL_ERROR',
    'Internal server error',
    'Try again; if it persists, contact the operator',
    {},
    headers,
  );
}
