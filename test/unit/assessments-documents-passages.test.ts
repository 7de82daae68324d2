import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { splitPassages } from '#assessments/documents/passages.ts';

const words = (text: string) => text.split(/\s+/).filter(Boolean);

function sentence(i: number): string {
  return `Sentence number ${i} explains one idea about enzymes and how temperature changes their activity.`;
}

function paragraph(from: number, count: number): string {
  return Array.from({ length: count }, (_, i) => sentence(from + i)).join(' ');
}

describe('splitPassages', () => {
  const pages = [
    { page: 1, text: [paragraph(0, 6), paragraph(6, 3), paragraph(9, 12), paragraph(21, 2)].join('\n\n') },
    { page: 2, text: '' },
    { page: 12, text: [paragraph(100, 30)].join('\n\n') },
    { page: 13, text: 'A short page.' },
  ];

  it('keeps every passage within the bounds, non-empty and trimmed', () => {
    const passages = splitPassages(pages, { targetChars: 1200, maxChars: 2000 });

    assert.ok(passages.length >= 5, `${passages.length} passages`);
    for (const p of passages) {
      assert.ok(p.text.length > 0 && p.text.length <= 2000, `${p.id}: ${p.text.length} chars`);
      assert.equal(p.text, p.text.trim());
    }
  });

  it('numbers passages per page as p<page>-<n>, and skips pages without text', () => {
    const passages = splitPassages(pages);

    const byPage = new Map<number, string[]>();
    for (const p of passages) byPage.set(p.page, [...(byPage.get(p.page) ?? []), p.id]);
    assert.deepEqual([...byPage.keys()], [1, 12, 13]);
    for (const [page, ids] of byPage) {
      assert.deepEqual(
        ids,
        ids.map((_, i) => `p${page}-${i + 1}`),
      );
    }
    assert.equal(passages.at(-1)?.id, 'p13-1');
  });

  it('never crosses a page and loses no text', () => {
    const passages = splitPassages(pages);

    for (const page of pages) {
      const own = passages.filter((p) => p.page === page.page);
      assert.deepEqual(words(own.map((p) => p.text).join(' ')), words(page.text), `page ${page.page}`);
    }
  });

  it('cuts on paragraph boundaries when paragraphs fit, on sentence boundaries when they do not', () => {
    const passages = splitPassages(pages);

    // Page 1's paragraphs all fit: every passage is whole paragraphs.
    const paragraphs = new Set(pages[0]?.text.split('\n\n'));
    for (const p of passages.filter((x) => x.page === 1)) {
      for (const part of p.text.split('\n\n')) assert.ok(paragraphs.has(part), `${p.id} is whole paragraphs`);
    }
    // Page 12 is one paragraph of ~3 000 characters: it is cut between sentences.
    const long = passages.filter((x) => x.page === 12);
    assert.ok(long.length >= 2);
    for (const p of long) assert.match(p.text, /^Sentence number \d+ .*activity\.$/s);
  });

  it('stays near the target size rather than making crumbs', () => {
    const passages = splitPassages([{ page: 1, text: paragraph(0, 60) }], {
      targetChars: 1200,
      maxChars: 2000,
    });

    for (const p of passages.slice(0, -1)) assert.ok(p.text.length >= 600, `${p.id}: ${p.text.length}`);
  });

  it('cuts a run of text without any boundary at the maximum', () => {
    const passages = splitPassages([{ page: 3, text: 'x'.repeat(4500) }], {
      targetChars: 1000,
      maxChars: 1500,
    });

    assert.deepEqual(
      passages.map((p) => [p.id, p.text.length]),
      [
        ['p3-1', 1500],
        ['p3-2', 1500],
        ['p3-3', 1500],
      ],
    );
  });

  it('refuses a maximum below the target', () => {
    assert.throws(() => splitPassages(pages, { targetChars: 500, maxChars: 400 }), RangeError);
  });
});
