import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { type SectionFile, weakSections } from '#content/content-job.ts';
import { parseExecuteRequest } from '#content/request.ts';
import { fixture } from '../support/fixtures.ts';

const request = parseExecuteRequest(fixture('content-request-curl.json'));

function file(id: string, text: string, target: number): SectionFile {
  return {
    section_id: id,
    title: id,
    output: { content: text },
    words: text.split(/\s+/).filter(Boolean).length,
    target_words: target,
    calls: 1,
    usage: { input_tokens: 0, output_tokens: 0, thinking_tokens: 0, cached_tokens: 0 },
    generated_at: '2026-11-22T00:00:00Z',
  };
}

const python = (words: number) =>
  Array.from({ length: words }, (_, i) => (i === 0 ? 'Python' : 'code')).join(' ');

describe('weakSections', () => {
  it('picks the sections furthest under their word target, weakest first, at most a third', () => {
    const files = [
      file('a', python(100), 100),
      file('b', python(10), 100),
      file('c', python(50), 100),
      file('d', python(95), 100),
      file('e', python(30), 100),
      file('f', python(100), 100),
    ];
    assert.deepEqual(weakSections(request, files), ['b', 'e']);
  });

  it('counts a section that never mentions the topic as weak even at its length', () => {
    const files = [
      file('a', python(100), 100),
      file('b', 'words '.repeat(100), 100),
      file('c', python(100), 100),
    ];
    assert.deepEqual(weakSections(request, files), ['b']);
  });

  it('finds nothing to regenerate when every section is on target and on topic', () => {
    assert.deepEqual(weakSections(request, [file('a', python(100), 100), file('b', python(90), 100)]), []);
  });
});
