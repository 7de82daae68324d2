/**
 * Refusals: a prompt Gemini blocked, or an answer it stopped for a policy reason. Both arrive as
 * a 200, so they are read from the answer, not from an error. Asking again with the same prompt
 * is refused again and billed again, so each refusal says whether one rephrased try can help.
 *
 * Sources (checked December 2026):
 * - A blocked prompt: `promptFeedback.blockReason` set and no candidates ("If set, the prompt was
 *   blocked and no candidates are returned. Rephrase your prompt."; "no candidates are returned
 *   only if there was something wrong with the prompt"),
 *   https://ai.google.dev/api/python/google/generativeai/protos/GenerateContentResponse/PromptFeedback
 *   and https://ai.google.dev/api/python/google/generativeai/protos/GenerateContentResponse.
 * - BlockedReason values (SAFETY, OTHER, BLOCKLIST, PROHIBITED_CONTENT, IMAGE_SAFETY; MODEL_ARMOR
 *   and JAILBREAK "not supported in Gemini API") and Candidate FinishReason values:
 *   https://googleapis.github.io/js-genai/release_docs/enums/types.BlockedReason.html and the
 *   `FinishReason` enum of `@google/genai` 3.1.0 (`dist/genai.d.ts`).
 */

/** Finish reasons that end an answer for a policy reason: its content is withheld. */
export const POLICY_STOPS = [
  'SAFETY',
  'RECITATION',
  'PROHIBITED_CONTENT',
  'SPII',
  'BLOCKLIST',
  'LANGUAGE',
  'IMAGE_SAFETY',
  'IMAGE_PROHIBITED_CONTENT',
  'IMAGE_RECITATION',
] as const;

export interface Refusal {
  /** `prompt`: Gemini blocked the prompt itself; `answer`: it stopped the answer. */
  what: 'prompt' | 'answer';
  /** The blockReason or finishReason, as Gemini sent it. */
  reason: string;
  /** What happened, for the chunk's error: "Gemini blocked the prompt: SAFETY". */
  message: string;
  /**
   * What to add to the prompt for the one rephrased try that can help, if any: a recitation
   * asks for original wording, a safety stop on teaching material asks for the educational
   * framing. Prohibited content, personal data, blocklisted terms, a language the model does not
   * serve and a blocked prompt are refused whatever the wording.
   */
  rephrase: string | undefined;
}

const REPHRASE: Record<string, string> = {
  RECITATION:
    'Your previous answer was stopped because it recited existing text. Write everything in your own original words; do not quote or reproduce published material.',
  SAFETY:
    'Your previous answer was stopped by a safety filter. This is teaching material for a professional course: keep everything factual, neutral and educational, and leave out anything harmful.',
};

/** The refusal in an answer, if it is one. */
export function refusalOf(answer: {
  blockReason?: string | undefined;
  finishReason?: string | undefined;
}): Refusal | undefined {
  if (answer.blockReason) {
    return {
      what: 'prompt',
      reason: answer.blockReason,
      message: `Gemini blocked the prompt: ${answer.blockReason}`,
      rephrase: undefined,
    };
  }
  const stop = answer.finishReason;
  if (stop && (POLICY_STOPS as readonly string[]).includes(stop)) {
    return {
      what: 'answer',
      reason: stop,
      message: `Gemini stopped the answer: ${stop}`,
      rephrase: REPHRASE[stop],
    };
  }
  return undefined;
}

/**
 * What to do after a refusal, the one rule every loop follows: the same prompt would be refused
 * again and billed again, so a chunk gets one rephrased try where rewording can help
 * (`{ rephrase }`: add it to the prompt from now on), and is otherwise refused for good
 * (`{ refused }`: the message for its error). `rephrased` is the text already added, if any.
 */
export function afterRefusal(
  refusal: Refusal,
  rephrased: string | undefined,
): { rephrase: string } | { refused: string } {
  if (refusal.rephrase !== undefined && rephrased === undefined) return { rephrase: refusal.rephrase };
  return { refused: rephrased ? `${refusal.message} (also after a rephrased try)` : refusal.message };
}
