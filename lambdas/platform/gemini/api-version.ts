/**
 * The one Gemini API version every call of the service uses: generateContent, embedContent /
 * batchEmbedContents and the Batch API all go through `clientFor` (gemini-client.ts), which
 * passes it to the SDK. Pinned here, never left to a default:
 *
 * - `@google/genai` 3.x calls the stable `v1` endpoints of the Gemini Developer API unless told
 *   otherwise (README "API Selection", https://github.com/googleapis/js-genai#api-selection;
 *   `GOOGLE_AI_API_DEFAULT_VERSION = 'v1'` in its dist). An explicit `apiVersion` also wins over
 *   the `GOOGLE_GENAI_API_VERSION` environment variable, so no stray variable can move us.
 * - The Batch API exists only as `v1beta`: `POST /v1beta/{batch.model=models/*}:batchGenerateContent`
 *   and the `v1beta.batches` resource (get, cancel, delete)
 *   (https://ai.google.dev/api/batch-api). Under `v1` every batch call answers 404.
 * - generateContent and embedContent are served under both `v1` and `v1beta`
 *   (https://ai.google.dev/gemini-api/docs/api-versions), so `v1beta` serves everything the
 *   service calls. (That page says the SDKs default to `v1beta`; the installed SDK does not,
 *   which is one more reason to say it here.)
 */
export const GEMINI_API_VERSION = 'v1beta';
