import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { jobKeyCues } from '#jobs/quality-report.ts';
import { keyCueLines } from '../../cli/render.ts';

describe("the CLI's quality command: key cues", () => {
  it('prints the key positions with counts and shares, and the longest-option share', () => {
    const cues = jobKeyCues([{ keys: 8, key_positions: { a: 2, b: 3, c: 2, d: 1 }, key_longest: 1 }]);
    assert.deepEqual(keyCueLines(cues), [
      'Key positions over 8 questions: a 2 (25.0%), b 3 (37.5%), c 2 (25.0%), d 1 (12.5%)',
      'Key is the longest option: 1 (12.5%)',
    ]);
  });

  it('prints nothing for a job without multiple-choice questions, or a report from before key cues', () => {
    assert.deepEqual(keyCueLines(jobKeyCues([])), []);
    assert.deepEqual(keyCueLines(undefined), []);
  });
});
