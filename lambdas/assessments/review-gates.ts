/**
 * The edit gate of an assessment's open questions, which the review API (lambdas/review/) takes
 * from this product: its question and explanation may be edited, through the same checks as a
 * generated open question (`checkOpenQuestions`). The model answer is not editable there, so its
 * support by the cited passage, checked when it was generated, still holds; the passages are not
 * given again.
 */

import { generationSettings } from '#platform/config.ts';
import type { EditGate } from '#review/review-service.ts';
import { checkOpenQuestions } from './open-questions.ts';

export const openEditGate: EditGate = (current, edit, bank) => {
  if (edit.options !== undefined || edit.correct_answer !== undefined) {
    return {
      reasons: ['an open question has no options or correct_answer; edit its question or explanation'],
    };
  }
  const checked = checkOpenQuestions(
    [
      {
        question: edit.question ?? current.question,
        bloom_level: current.bloom_level,
        model_answer: current.model_answer,
        explanation: edit.explanation ?? current.explanation,
      },
    ],
    {
      bloomLevel: current.bloom_level,
      passages: new Map(),
      bank,
      nearDuplicateThreshold: generationSettings().gate.nearDuplicateThreshold,
    },
  );
  const accepted = checked.accepted[0];
  if (!accepted) return { reasons: checked.rejected.flatMap((r) => r.reasons) };
  return { question: { ...current, question: accepted.question, explanation: accepted.explanation } };
};
