/**
 * Refusals as Gemini answers them, both with HTTP 200: a blocked prompt (`promptFeedback` with a
 * `blockReason`, no candidates, only prompt tokens counted) and a candidate stopped for a policy
 * reason (its `finishReason`, no content). The `blockedPrompt` and `policyStop` faults draw them;
 * `blockReason` and `stopReason` say which.
 *
 * Sources (checked December 2026):
 * - "If set, the prompt was blocked and no candidates are returned. Rephrase your prompt."
 *   https://ai.google.dev/api/python/google/generativeai/protos/GenerateContentResponse/PromptFeedback
 * - BlockedReason: https://googleapis.github.io/js-genai/release_docs/enums/types.BlockedReason.html
 *   (MODEL_ARMOR and JAILBREAK are "not supported in Gemini API", so not offered here).
 * - FinishReason: the enum of `@google/genai` 3.1.0 (`dist/genai.d.ts`).
 * - The shape of a blocked answer as the API sends it (promptFeedback, usageMetadata with prompt
 *   and total tokens only, modelVersion): https://github.com/vercel/ai/issues/4235
 */

export const BLOCK_REASONS = ['SAFETY', 'OTHER', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'IMAGE_SAFETY'] as const;
export type BlockReason = (typeof BLOCK_REASONS)[number];

/**
 * Every documented finish reason that ends a text answer before STOP, other than MAX_TOKENS
 * (the `truncated` fault, which keeps half the text). The answer's content is withheld.
 */
export const STOP_REASONS = [
  'SAFETY',
  'RECITATION',
  'LANGUAGE',
  'OTHER',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'MALFORMED_FUNCTION_CALL',
  'IMAGE_SAFETY',
  'UNEXPECTED_TOOL_CALL',
  'TOO_MANY_TOOL_CALLS',
  'IMAGE_PROHIBITED_CONTENT',
  'NO_IMAGE',
  'IMAGE_RECITATION',
  'IMAGE_OTHER',
  'MALFORMED_RESPONSE',
] as const;
export type StopReason = (typeof STOP_REASONS)[number];

const HARM_CATEGORIES = [
  'HARM_CATEGORY_DANGEROUS_CONTENT',
  'HARM_CATEGORY_HARASSMENT',
  'HARM_CATEGORY_HATE_SPEECH',
  'HARM_CATEGORY_SEXUALLY_EXPLICIT',
];

/** Safety ratings with one category rated HIGH (and blocked) when the refusal is for safety. */
export function safetyRatings(blocked: boolean): Record<string, unknown>[] {
  return HARM_CATEGORIES.map((category, i) =>
    blocked && i === 0
      ? { category, probability: 'HIGH', blocked: true }
      : { category, probability: 'NEGLIGIBLE' },
  );
}

/** The promptFeedback of a blocked prompt. */
export function promptFeedbackFor(reason: BlockReason): Record<string, unknown> {
  return { blockReason: reason, safetyRatings: safetyRatings(reason === 'SAFETY') };
}
