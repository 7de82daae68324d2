/**
 * The open questions' quality gate end to end: EduMate's `POST /generate` against a simulator
 * that spoils a share of its answers (an invalid Bloom level or citation, a question given twice,
 * a light rewording of an earlier question, MCQs included). The job still finishes with every
 * question asked for, its quality report shows the open chunks' rejections and repairs, and no
 * kept question, of either type, nearly repeats another.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { similarity } from '#jobs/similarity.ts';
import { BASE, type Harness, startHarness } from '../support/e2e.ts';
import { makePdf } from '../support/pdf.ts';

const THRESHOLD = 0.7;
const PAGES = [
  [
    'Photosynthesis is the process by which green plants convert light energy into chemical energy.',
    'Chlorophyll, the green pigment in chloroplasts, absorbs mostly red and blue light.',
  ],
  [
    'The Calvin cycle takes place in the stroma. It uses ATP and NADPH to fix carbon dioxide into sugars.',
    'Water molecules are split during the light reactions, which releases oxygen as a by-product.',
  ],
];

let h: Harness;
let jobId: string;
let result: { mcqs: any[]; subjective_questions: any[] };

async function until<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 2400; i++) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${what} did not happen`);
}

beforeAll(async () => {
  h = await startHarness({
    simulator: { seed: 23, faults: { badItems: 0.3, nearDuplicate: 0.3 } },
    settings: { nearDuplicateThreshold: THRESHOLD },
  });
  const form = new FormData();
  form.append('file', new Blob([await makePdf(PAGES)], { type: 'application/pdf' }), 'notes.pdf');
  const uploaded = await fetch(`${h.url}/documents`, {
    method: 'POST',
    headers: { 'x-api-key': h.key },
    body: form,
  });
  const documentId = ((await uploaded.json()) as { document_id: string }).document_id;
  await until('ingestion', async () => {
    const document = (await h.call('GET', `/documents/${documentId}`)).body;
    return document.status === 'ingesting' ? undefined : document;
  });
  const started = await h.call('POST', '/generate', {
    query: 'photosynthesis',
    collection_name: documentId,
    mcq_count: 6,
    subjective_count: 6,
    blooms: { remember: 4, understand: 4, apply: 2, analyze: 2 },
  });
  assert.equal(started.status, 200, started.text);
  jobId = started.body.job_id;
  const body = await until('the job to end', async () => {
    const status = (await h.call('GET', `/job_status?job_id=${jobId}`)).body;
    return ['finished', 'failed'].includes(status.status) ? status : undefined;
  });
  assert.equal(body.status, 'finished', JSON.stringify(body));
  result = body.result;
}, 240_000);

afterAll(async () => {
  await h?.stop();
});

describe('the open questions gate with spoiled model answers', () => {
  it('the simulator did spoil answers', () => {
    const stats = h.stack.simulator?.stats();
    assert.ok(stats && stats.outcomes.bad_items > 0, 'bad items were injected');
    assert.ok(stats && stats.outcomes.near_duplicate > 0, 'near-duplicates were injected');
  });

  it('fills every slot of both lists, at the levels asked for, citing given passages', () => {
    assert.equal(result.mcqs.length, 6);
    assert.equal(result.subjective_questions.length, 6);
    for (const q of result.subjective_questions) {
      assert.ok(['remember', 'understand', 'apply', 'analyze'].includes(q.bloom_level), q.bloom_level);
      assert.match(q.source.passage_id, /^p\d+-\d+$/);
      assert.doesNotMatch(JSON.stringify(q), /not-in-enum/);
    }
  });

  it('keeps no question that nearly repeats another, across MCQs and open questions', () => {
    const texts = [...result.mcqs, ...result.subjective_questions].map((q) => q.question as string);
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const score = similarity(texts[i] ?? '', texts[j] ?? '');
        assert.ok(score < THRESHOLD, `"${texts[i]}" and "${texts[j]}" are ${score.toFixed(2)} alike`);
      }
    }
  });

  it("the job's quality report counts the rejections, and an open chunk repaired one", async () => {
    const report = (await h.call('GET', `${BASE}/jobs/${jobId}/quality`)).body;
    assert.equal(report.requested, 12);
    assert.equal(report.passed_first_time + report.repaired, 12, JSON.stringify(report));
    assert.ok(report.rejected > 0, JSON.stringify(report));
    const checks = Object.keys(report.by_check);
    assert.ok(
      checks.some((c) => ['bloom_level', 'grounding', 'duplicate', 'near_duplicate'].includes(c)),
      JSON.stringify(report.by_check),
    );
    const openProvenance = result.subjective_questions.map((q) => q.provenance?.validation);
    assert.ok(openProvenance.every((v) => v === 'passed_first_time' || v === 'repaired'));
    assert.ok(openProvenance.includes('repaired'), 'an open question replaced a rejected one');
  });
});
