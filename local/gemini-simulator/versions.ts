/**
 * Which API version serves which method, as the Gemini API documents them; the simulator
 * answers every other version with the 404 Gemini gives, so a client pinned to the wrong one
 * fails here as it would against Google.
 *
 * - generateContent, embedContent and batchEmbedContents: `v1` and `v1beta`
 *   (https://ai.google.dev/gemini-api/docs/api-versions, "Generate Content" and "Embed Content"
 *   rows; endpoints in https://ai.google.dev/api/generate-content and
 *   https://ai.google.dev/api/embeddings).
 * - The Batch API (`models/*:batchGenerateContent` and the `batches` resource: get, list,
 *   cancel, delete): `v1beta` only (https://ai.google.dev/api/batch-api, REST resource
 *   `v1beta.batches`).
 *
 * `v1alpha` is documented for other features (ephemeral tokens, the Live API), not for these.
 */
import { errorBody, HttpError } from './errors.ts';

export type ServedMethod =
  | 'generateContent'
  | 'embedContent'
  | 'batchEmbedContents'
  | 'batchGenerateContent'
  | 'batches';

const SERVED_UNDER: Record<ServedMethod, readonly string[]> = {
  generateContent: ['v1', 'v1beta'],
  embedContent: ['v1', 'v1beta'],
  batchEmbedContents: ['v1', 'v1beta'],
  batchGenerateContent: ['v1beta'],
  batches: ['v1beta'],
};

export function isServedMethod(method: string): method is ServedMethod {
  return Object.hasOwn(SERVED_UNDER, method);
}

export function servedUnder(method: ServedMethod, version: string): boolean {
  return SERVED_UNDER[method].includes(version);
}

/**
 * A model method the version does not serve, in Gemini's words (as it answers e.g.
 * `POST /v1beta/models/gemini-1.5-flash:generateContent` for a model gone from v1beta).
 */
export function notFoundForVersion(model: string, version: string, method: string): HttpError {
  return new HttpError(
    errorBody(
      404,
      'NOT_FOUND',
      `models/${model} is not found for API version ${version}, or is not supported for ${method}. Call ModelService.ListModels to see the list of available models and their supported methods.`,
    ),
  );
}

/** A `batches` path under a version without the Batch API: no such resource there. */
export function batchesNotFound(version: string, path: string): HttpError {
  return new HttpError(
    errorBody(
      404,
      'NOT_FOUND',
      `[simulated] ${path} was not found: the batches resource is served under v1beta only, not ${version}.`,
    ),
  );
}
