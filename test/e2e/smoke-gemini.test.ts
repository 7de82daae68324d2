/**
 * `npm run smoke:gemini` against the simulator, as a front that answers as Gemini's
 * documentation says: the script passes every path when the API answers, names the path that
 * fails when one does not, and refuses to start without a key. The live run needs a real key
 * and the network, which `npm test` has not.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import { type GeminiSimulator, startGeminiSimulator } from '../../local/gemini-simulator/server.ts';

const SCRIPT = new URL('../../smoke/gemini.ts', import.meta.url).pathname;

function runSmoke(env: Record<string, string | undefined>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT], {
      env: { ...process.env, GEMINI_API_KEY: undefined, GEMINI_BASE_URL: undefined, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('npm run smoke:gemini', () => {
  let simulator: GeminiSimulator;
  beforeAll(async () => {
    simulator = await startGeminiSimulator({ latencyMs: { min: 1, max: 5 } });
  });
  afterAll(async () => {
    await simulator.close();
  });
  beforeEach(() => {
    simulator.configure({ faults: {} });
    simulator.resetStats();
  });

  it('passes every path, with tokens and cost, against an API that answers as documented', async () => {
    const { code, out } = await runSmoke({ GEMINI_API_KEY: 'smoke-key', GEMINI_BASE_URL: simulator.url });
    assert.equal(code, 0, out);
    const lines = out.split('\n');
    const results = lines.filter((l) => /^(PASS|FAIL) {2}/.test(l));
    assert.ok(results.length > 0, out);
    assert.deepEqual(
      results.filter((l) => l.startsWith('FAIL')),
      [],
    );
    for (const path of [
      'quiz bank: career level',
      'quiz bank: soft skills',
      'assessment: grounded in a document',
      'assessment: open questions grounded in a document',
      'assessment: without a document',
      'content outline: course',
      'content section: lesson',
      'embeddings: one batch of two texts',
      'batch: submit two requests',
      'batch: read its state',
      'batch: cancel it',
    ]) {
      assert.ok(
        results.some((l) => l.startsWith(`PASS  ${path}`)),
        `no passing line for ${path}:\n${out}`,
      );
    }
    const summary =
      /(\d+) of (\d+) paths passed on gemini-[\w.-]+ .*tokens in (\d+), out (\d+), thinking (\d+); cost US\$(\d+\.\d+)/.exec(
        out,
      );
    assert.ok(summary, out);
    assert.equal(summary[1], summary[2]);
    assert.equal(Number(summary[1]), results.length);
    assert.ok(Number(summary[3]) > 0 && Number(summary[4]) > 0 && Number(summary[6]) > 0, summary[0]);
    // It really went to the API: one generateContent per model path, the tokens it reported,
    // one embedding call of two texts, one batch of two requests, cancelled.
    const stats = simulator.stats();
    const modelPaths = results.filter((l) => !/^PASS {2}(embeddings|batch):/.test(l)).length;
    assert.equal(stats.totalCalls, modelPaths);
    assert.equal(Number(summary[3]), stats.promptTokens);
    assert.equal(Number(summary[4]), stats.candidatesTokens);
    assert.equal(Number(summary[5]), stats.thoughtsTokens);
    assert.deepEqual(stats.embeddings, { requests: 1, texts: 2, rejected: 0, failed: 0, throttled: 0 });
    assert.equal(stats.batches.created, 1);
    assert.equal(stats.batches.requests, 2);
    assert.equal(stats.batches.cancelled, 1);
  });

  it('names the path that failed and exits 1 when the API refuses it', async () => {
    simulator.configure({ faults: { malformedJson: 1 } });
    const { code, out } = await runSmoke({ GEMINI_API_KEY: 'smoke-key', GEMINI_BASE_URL: simulator.url });
    assert.equal(code, 1, out);
    assert.match(out, /^FAIL {2}quiz bank: career level .*not valid JSON/m);
    // Paths that do not go through generateContent still run and pass.
    assert.match(out, /^PASS {2}embeddings: one batch of two texts/m);
  });

  it('refuses to start without GEMINI_API_KEY and says what to set', async () => {
    const { code, out } = await runSmoke({});
    assert.equal(code, 2);
    assert.match(out, /GEMINI_API_KEY is not set/);
  });
});
