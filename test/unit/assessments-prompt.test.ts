import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { assessmentPrompt } from '#assessments/assessment.ts';

const input = {
  query: 'photosynthesis',
  bloomLevel: 'apply' as const,
  count: 3,
  passages: [],
  avoid: [],
  rejections: [],
};

describe('assessmentPrompt', () => {
  it("tells the model to write in the job's language, English when the job names none", () => {
    assert.match(
      assessmentPrompt(input),
      /^Write the questions, the options and the explanations in English \(ISO 639-1 "en"\)\.$/m,
    );
    assert.match(
      assessmentPrompt({ ...input, language: 'es' }),
      /^Write the questions, the options and the explanations in Spanish \(ISO 639-1 "es"\)\.$/m,
    );
  });
});
