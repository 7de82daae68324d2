import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { normalise } from '#assessments/documents/embeddings.ts';
import {
  type DocumentIndex,
  decodeVectors,
  encodeVectors,
  packRows,
  searchPassages,
} from '#assessments/documents/index-store.ts';

function index(rows: number[][]): DocumentIndex {
  const passages = rows.map((_, i) => ({ id: `p1-${i + 1}`, page: 1, text: `passage ${i + 1}` }));
  return {
    document_id: 'doc',
    model: 'test-embedding',
    dimensions: 3,
    passages,
    vectors: packRows(
      rows.map((r) => normalise(Float32Array.from(r))),
      3,
    ),
  };
}

const ids = (hits: { passage: { id: string } }[]) => hits.map((h) => h.passage.id);

describe('searchPassages', () => {
  const docs = index([
    [1, 0, 0], // p1-1
    [0, 1, 0], // p1-2
    [1, 1, 0], // p1-3: 45° from both axes
    [0, 0, 1], // p1-4
    [-1, 0, 0], // p1-5: opposite of p1-1
  ]);

  it('ranks passages by cosine similarity, best first, with their scores', () => {
    const hits = searchPassages(docs, Float32Array.from([1, 0.2, 0]), 5);

    assert.deepEqual(ids(hits), ['p1-1', 'p1-3', 'p1-2', 'p1-4', 'p1-5']);
    const query = normalise(Float32Array.from([1, 0.2, 0]));
    assert.ok(Math.abs((hits[0]?.score ?? 0) - (query[0] ?? 0)) < 1e-6);
    assert.ok(Math.abs((hits[4]?.score ?? 0) + (query[0] ?? 0)) < 1e-6);
  });

  it('returns at most k hits', () => {
    assert.deepEqual(ids(searchPassages(docs, [0, 1, 0.1], 2)), ['p1-2', 'p1-3']);
    assert.deepEqual(searchPassages(docs, [0, 1, 0], 0), []);
    assert.equal(searchPassages(docs, [0, 1, 0], 50).length, 5);
  });

  it('breaks ties by passage order, whatever the order they are met in the top k', () => {
    const ties = index([
      [0, 0, 1],
      [1, 0, 0],
      [0, 1, 0],
      [1, 0, 0],
      [0, 1, 0],
      [1, 0, 0],
    ]);

    assert.deepEqual(ids(searchPassages(ties, [1, 1, 0], 4)), ['p1-2', 'p1-3', 'p1-4', 'p1-5']);
    assert.deepEqual(ids(searchPassages(ties, [1, 0, 0], 2)), ['p1-2', 'p1-4']);
  });

  it('does not depend on the length of the query vector', () => {
    assert.deepEqual(
      searchPassages(docs, [10, 2, 0], 5).map((h) => [h.passage.id, h.score.toFixed(5)]),
      searchPassages(docs, [0.1, 0.02, 0], 5).map((h) => [h.passage.id, h.score.toFixed(5)]),
    );
  });

  it('leaves out excluded passages', () => {
    assert.deepEqual(ids(searchPassages(docs, [1, 0, 0], 2, { excludeIds: ['p1-1'] })), ['p1-3', 'p1-2']);
    assert.deepEqual(ids(searchPassages(docs, [1, 0, 0], 2, { excludeIds: new Set(['p1-1', 'p1-3']) })), [
      'p1-2',
      'p1-4',
    ]);
  });

  it('refuses a query of another size', () => {
    assert.throws(() => searchPassages(docs, [1, 0], 2), /2 dimensions; the index has 3/);
  });
});

describe('vector storage', () => {
  it('stores rows as little-endian Float32 and reads them back', () => {
    const rows = packRows([Float32Array.from([1, -2]), Float32Array.from([0.5, 0])], 2);

    const bytes = encodeVectors(rows);

    assert.deepEqual([...bytes.subarray(0, 4)], [0x00, 0x00, 0x80, 0x3f]); // 1.0f
    assert.deepEqual([...bytes.subarray(4, 8)], [0x00, 0x00, 0x00, 0xc0]); // -2.0f
    assert.deepEqual([...decodeVectors(bytes)], [1, -2, 0.5, 0]);
  });

  it('refuses rows of the wrong size', () => {
    assert.throws(() => packRows([Float32Array.from([1, 2, 3])], 2), /3 dimensions, expected 2/);
  });

  it('normalises vectors to unit length and leaves a zero vector alone', () => {
    assert.deepEqual([...normalise(Float32Array.from([3, 4]))], [0.6000000238418579, 0.800000011920929]);
    assert.deepEqual([...normalise(new Float32Array(3))], [0, 0, 0]);
  });
});
