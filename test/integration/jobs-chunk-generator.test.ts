import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import type { ChunkFile } from '#jobs/chunk-generator.ts';
import type { Question } from '#jobs/questions.ts';
import type { GenerationSettings } from '#platform/config.ts';
import { costOf } from '#platform/gemini/pricing.ts';
import { type GeminiSimulator, startGeminiSimulator } from '../../local/gemini-simulator/index.ts';
import { fixture } from '../support/fixtures.ts';
import { outcomesOf, replayOutcomes, resetSimulator } from '../support/gemini.ts';
import { uniqueOwner } from '../support/jobs.ts';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';

type Generator = typeof import('#kinds');
type JobStore = typeof import('#jobs/job-store.ts');
type QuestionsModule = typeof import('#jobs/questions.ts');

let sim: GeminiSimulator;
let aws: LocalAws;
let generator: Generator;
let store: JobStore;
let questionsModule: QuestionsModule;

beforeAll(async () => {
  sim = await startGeminiSimulator();
  aws = await startLocalAws({ env: { GEMINI_BASE_URL: sim.url } });
  generator = await import('#kinds');
  store = await import('#jobs/job-store.ts');
  questionsModule = await import('#jobs/questions.ts');
});

afterAll(async () => {
  await sim?.close();
  await aws?.stop();
});

beforeEach(() => resetSimulator(sim));

const settings = (): GenerationSettings => fixture<GenerationSettings>('generation-settings.json');
const CHUNK = 'technology__FRONTEND_DEVELOPER__1';

function input(owner: string, overrides: Partial<Parameters<Generator['generateChunk']>[0]> = {}) {
  return {
    jobId: randomUUID(),
    owner,
    chunkKey: CHUNK,
    attempt: 1,
    apiKey: 'test-key',
    settings: settings(),
    deadline: Date.now() + 60_000,
    ...overrides,
  };
}

async function s3Keys(prefix: string): Promise<string[]> {
  const listed = await aws.s3Client.send(
    new ListObjectsV2Command({ Bucket: aws.bucketName, Prefix: prefix }),
  );
  return (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
}

async function s3Json<T>(key: string): Promise<T> {
  const object = await aws.s3Client.send(new GetObjectCommand({ Bucket: aws.bucketName, Key: key }));
  return JSON.parse((await object.Body?.transformToString('utf-8')) ?? 'null') as T;
}

/** Every property a kept question must have, checked independently of the generator's own checks. */
function assertSound(questions: Question[], difficulty: number): void {
  const norm = (t: string) => questionsModule.normalizeText(t);
  for (const q of questions) {
    assert.deepEqual(
      q.options.map((o) => o.id),
      ['a', 'b', 'c', 'd'],
      q.question,
    );
    assert.equal(new Set(q.options.map((o) => norm(o.text))).size, 4, `distinct options: ${q.question}`);
    assert.ok(['a', 'b', 'c', 'd'].includes(q.correct_answer), `answer ${q.correct_answer}`);
    assert.ok(q.explanation.trim().length > 0);
    assert.equal(q.difficulty, difficulty);
  }
  assert.equal(new Set(questions.map((q) => q.id)).size, questions.length, 'distinct ids');
  assert.equal(new Set(questions.map((q) => norm(q.question))).size, questions.length, 'distinct questions');
}

describe('generateChunk against the Gemini simulator', () => {
  it('writes exactly questionCount valid questions to S3 and the checkpoint, and the raw answer', async () => {
    const owner = uniqueOwner('happy');
    const run = input(owner);

    const result = await generator.generateChunk(run);

    assert.equal(result.questions, 5);
    assert.equal(result.s3Key, `checkpoints/${owner}/${CHUNK}.json`);
    const file = await s3Json<ChunkFile>(result.s3Key);
    assert.equal(file.chunk_key, CHUNK);
    assert.equal(file.job_id, run.jobId);
    assert.equal(file.question_count, 5);
    assert.equal(file.questions.length, 5);
    assert.equal(file.calls, 1);
    assertSound(file.questions, 1);
    assert.ok(file.questions.every((q) => q.category.length > 0));
    assert.deepEqual(await store.listCheckpoint(owner), [
      {
        chunk_key: CHUNK,
        s3_key: result.s3Key,
        questions: 5,
        job_id: run.jobId,
        completed_at: file.generated_at,
      },
    ]);
    assert.deepEqual(await s3Keys(`raw/${run.jobId}/`), [`raw/${run.jobId}/${CHUNK}/1-1.json`]);
    assert.ok(result.usage.input_tokens > 0 && result.usage.output_tokens > 0);
    assert.ok(result.costUsd > 0);
    assert.deepEqual(outcomesOf(sim.stats()), { ok: 1 });
  });

  it('prices the chunk as the model the response says served it: gemini-3.5-flash as gemini-3.6-flash', async () => {
    const owner = uniqueOwner('served');
    const before = Date.now();

    const result = await generator.generateChunk(
      input(owner, { settings: { ...settings(), model: 'gemini-3.5-flash' } }),
    );

    const asServed = costOf('gemini-3.6-flash', result.usage, { at: before });
    assert.ok(Math.abs(result.costUsd - asServed) < 1e-12, `${result.costUsd} is 3.6 Flash's ${asServed}`);
    assert.notEqual(result.costUsd, costOf('gemini-3.5-flash', result.usage, { at: before }));
    const file = await s3Json<ChunkFile>(result.s3Key);
    assert.equal(file.cost_usd, result.costUsd);
  });

  it("adds the chunk's questions to the career's bank, where other levels of the career see them", async () => {
    const owner = uniqueOwner('bank');
    const result = await generator.generateChunk(input(owner));
    const file = await s3Json<ChunkFile>(result.s3Key);

    const bank = await store.listBank(owner, 'technology__FRONTEND_DEVELOPER');

    assert.deepEqual(
      bank.map((e) => [e.chunk_key, e.question_id, e.text]).sort(),
      file.questions.map((q) => [CHUNK, q.id, q.question]).sort(),
    );
  });

  it('asks again for the questions a bad answer lost, and keeps only sound ones', async () => {
    await replayOutcomes(sim, { badItems: 0.5 }, ['bad_items', 'ok']);
    const owner = uniqueOwner('bad-items');
    const run = input(owner);

    const result = await generator.generateChunk(run);

    assert.deepEqual(outcomesOf(sim.stats()), { bad_items: 1, ok: 1 });
    assert.equal(result.questions, 5);
    const file = await s3Json<ChunkFile>(result.s3Key);
    assert.equal(file.calls, 2);
    assert.equal(file.questions.length, 5);
    assertSound(file.questions, 1);
    const reasons = file.rejected.flatMap((r) => r.reasons).join('; ');
    assert.match(reasons, /two options have the same text/);
    assert.match(reasons, /correct_answer .* is not one of the option ids/);
    assert.deepEqual(await s3Keys(`raw/${run.jobId}/`), [
      `raw/${run.jobId}/${CHUNK}/1-1.json`,
      `raw/${run.jobId}/${CHUNK}/1-2.json`,
    ]);
  });

  it('replaces an answer stopped by the safety filter with one reframed try', async () => {
    await replayOutcomes(sim, { safety: 0.5 }, ['safety', 'ok']);
    const owner = uniqueOwner('safety');

    const result = await generator.generateChunk(input(owner));

    const file = await s3Json<ChunkFile>(result.s3Key);
    assert.equal(file.questions.length, 5);
    assert.equal(file.calls, 2);
    assert.match(file.rejected.flatMap((r) => r.reasons).join(), /Gemini stopped the answer: SAFETY/);
  });

  it('reports a blocked prompt as blocked, after one call, and keeps its promptFeedback', async () => {
    sim.configure({ faults: { blockedPrompt: 1 }, blockReason: 'SAFETY' });
    const owner = uniqueOwner('blocked');
    const run = input(owner);

    await assert.rejects(generator.generateChunk(run), (error: unknown) => {
      assert.ok(error instanceof generator.ChunkGenerationFailed);
      assert.match(error.message, /^Gemini blocked the prompt: SAFETY, for /);
      assert.doesNotMatch(error.message, /not valid JSON/);
      assert.ok(error.usage.input_tokens > 0, 'reports the prompt tokens it was billed');
      return true;
    });
    assert.equal(sim.stats().totalCalls, 1, 'the same refusal is not paid for again');
    const raw = await s3Json<{ response: { promptFeedback?: { blockReason?: string } } }>(
      `raw/${run.jobId}/${CHUNK}/1-1.json`,
    );
    assert.equal(raw.response.promptFeedback?.blockReason, 'SAFETY');
    assert.deepEqual(await store.listCheckpoint(owner), []);
  });

  it('gives a RECITATION stop one rephrased try, no more', async () => {
    sim.configure({ faults: { policyStop: 1 }, stopReason: 'RECITATION' });
    const owner = uniqueOwner('recitation');

    await assert.rejects(generator.generateChunk(input(owner)), {
      name: 'ChunkGenerationFailed',
      message:
        /^Gemini stopped the answer: RECITATION \(also after a rephrased try\), for .* after 2 model calls/,
    });
    assert.equal(sim.stats().totalCalls, 2);
  });

  for (const reason of ['PROHIBITED_CONTENT', 'SPII', 'BLOCKLIST'] as const) {
    it(`does not ask again after a ${reason} stop`, async () => {
      sim.configure({ faults: { policyStop: 1 }, stopReason: reason });

      await assert.rejects(generator.generateChunk(input(uniqueOwner(reason))), {
        name: 'ChunkGenerationFailed',
        message: new RegExp(`^Gemini stopped the answer: ${reason}, for .* after 1 model calls`),
      });
      assert.equal(sim.stats().totalCalls, 1);
    });
  }

  it('fails with ChunkGenerationFailed after MAX_CALLS_PER_CHUNK malformed answers, and checkpoints nothing', async () => {
    sim.configure({ faults: { malformedJson: 1 } });
    const owner = uniqueOwner('malformed');
    const run = input(owner);

    await assert.rejects(generator.generateChunk(run), (error: unknown) => {
      assert.ok(error instanceof generator.ChunkGenerationFailed);
      assert.match(error.message, /Only 0 of 5 questions/);
      assert.match(error.message, /not valid JSON/);
      assert.ok(error.usage.input_tokens > 0, 'reports the tokens spent');
      return true;
    });

    assert.equal(sim.stats().totalCalls, generator.MAX_CALLS_PER_CHUNK);
    assert.deepEqual(outcomesOf(sim.stats()), { malformed: generator.MAX_CALLS_PER_CHUNK });
    assert.deepEqual(await store.listCheckpoint(owner), []);
    assert.deepEqual(await s3Keys(`checkpoints/${owner}/`), []);
    assert.equal(
      (await s3Keys(`raw/${run.jobId}/`)).length,
      generator.MAX_CALLS_PER_CHUNK,
      'raw answers kept',
    );
  });

  it('fails, checkpointing nothing, when every answer keeps losing a question to the checks', async () => {
    sim.configure({ faults: { badItems: 1 } });
    const owner = uniqueOwner('always-bad');

    await assert.rejects(generator.generateChunk(input(owner)), {
      name: 'ChunkGenerationFailed',
      message: /Only 4 of 5 questions passed the checks after 4 model calls/,
    });
    assert.deepEqual(await store.listCheckpoint(owner), []);
  });

  it('succeeds through two transient 503s', async () => {
    sim.configure({ failFirstCalls: 2 });
    const owner = uniqueOwner('transient');

    const result = await generator.generateChunk(input(owner));

    assert.equal(result.questions, 5);
    assert.deepEqual(outcomesOf(sim.stats()), { '503': 2, ok: 1 });
    assert.equal((await store.listCheckpoint(owner)).length, 1);
  });

  it('honours the retryDelay of a 429 quota answer', async () => {
    await replayOutcomes(sim, { error429: 0.5 }, ['429_injected', 'ok']);
    // Longer than any first transient backoff (under baseDelayMs, 1 s), so only honouring it explains the wait.
    sim.configure({ injected429DelayMs: 1200 });
    const owner = uniqueOwner('quota');
    const started = Date.now();

    const result = await generator.generateChunk(input(owner));

    const elapsed = Date.now() - started;
    assert.equal(result.questions, 5);
    assert.deepEqual(outcomesOf(sim.stats()), { '429_injected': 1, ok: 1 });
    assert.ok(elapsed >= 1200, `took ${elapsed} ms`);
  });

  it('generates a soft-skills chunk with its share of the soft-skills total', async () => {
    const owner = uniqueOwner('soft');

    const result = await generator.generateChunk(input(owner, { chunkKey: 'soft_skills__COMMUNICATION' }));

    assert.equal(result.questions, 2);
    const file = await s3Json<ChunkFile>(result.s3Key);
    assertSound(file.questions, 0);
  });
});
