/**
 * The model names the simulator serves, taken from the service's own price table
 * (`data/pricing.json` through `pricing.ts`), so the two cannot disagree: the generation models
 * not yet shut down, deprecated ones included, and the embedding models.
 *
 * Gemini answers any other name with 404 NOT_FOUND. A shut-down model "is completely turned off,
 * and the endpoint is no longer available" (https://ai.google.dev/gemini-api/docs/deprecations);
 * the body real clients get reads "models/gemini-2.0-flash-live-001 is not found for API version
 * v1beta, or is not supported for generateContent. Call ListModels to see the list of available
 * models and their supported methods." (quoted in google/adk-python#200 and
 * google-gemini/deprecated-generative-ai-python#746).
 *
 * A deprecated id that Gemini still answers through a newer model reports that model in
 * `modelVersion` ("The model version used to generate the response", GenerateContentResponse).
 */
import { liveModels, priceTable, servingModel } from '#platform/gemini/pricing.ts';
import { errorBody, HttpError } from './errors.ts';

const EMBEDDING_METHODS = new Set(['embedContent', 'batchEmbedContents']);

/** The names `method` is served for at `at`: generation models or embedding models. */
export function servedModels(method: string, at: number = Date.now()): string[] {
  return EMBEDDING_METHODS.has(method) ? Object.keys(priceTable.embedding_models) : liveModels(at);
}

/** Throws Gemini's 404 when `model` is retired, unknown, or not one that serves `method`. */
export function checkModel(model: string, version: string, method: string, at: number = Date.now()): void {
  if (servedModels(method, at).includes(model)) return;
  throw new HttpError(
    errorBody(
      404,
      'NOT_FOUND',
      `[simulated] models/${model} is not found for API version ${version}, or is not supported for ${method}. Call ListModels to see the list of available models and their supported methods.`,
    ),
  );
}

/** What a response's `modelVersion` says served a request for `model`. */
export function modelVersionOf(model: string): string {
  return servingModel(model);
}
