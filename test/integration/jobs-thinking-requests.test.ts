/**
 * What a chunk's calls ask of Gemini: the thinking level configured for their kind of work, and
 * an output limit with room for the thoughts, raised after an answer that ended MAX_TOKENS.
 * The requests are read as they leave for the simulator.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import type { GenerationSettings } from '#platform/config.ts';
import { THOUGHT_ALLOWANCE } from '#platform/gemini/model-capabilities.ts';
import { type GeminiSimulator, startGeminiSimulator } from '../../local/gemini-simulator/index.ts';
import { fixture } from '../support/fixtures.ts';
import { resetSimulator } from '../support/gemini.ts';
import { uniqueOwner } from '../support/jobs.ts';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';

type Generator = typeof import('#kinds');

interface SentConfig {
  maxOutputTokens?: number;
  temperature?: number;
  thinkingConfig?: { thinkingLevel?: string };
}

let sim: GeminiSimulator;
let aws: LocalAws;
let generator: Generator;
const realFetch = globalThis.fetch;
let sent: SentConfig[] = [];

beforeAll(async () => {
  sim = await startGeminiSimulator();
  aws = await startLocalAws({ env: { GEMINI_BASE_URL: sim.url } });
  generator = await import('#kinds');
  globalThis.fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.includes(':generateContent') && typeof init?.body === 'string') {
      sent.push((JSON.parse(init.body) as { generationConfig?: SentConfig }).generationConfig ?? {});
    }
    return realFetch(input, init);
  };
});

afterAll(async () => {
  globalThis.fetch = realFetch;
  await sim?.close();
  await aws?.stop();
});

beforeEach(() => {
  resetSimulator(sim);
  sent = [];
});

function input(thinking: GenerationSettings['thinking']) {
  return {
    jobId: randomUUID(),
    owner: uniqueOwner('thinking'),
    chunkKey: 'technology__FRONTEND_DEVELOPER__1',
    attempt: 1,
    apiKey: 'test-key',
    settings: { ...fixture<GenerationSettings>('generation-settings.json'), thinking },
    deadline: Date.now() + 60_000,
  };
}

describe('a chunk’s calls to Gemini', () => {
  it('send the questions’ thinking level, and no temperature to gemini-3.8-flash', async () => {
    const result = await generator.generateChunk(
      input({ questions: 'HIGH', sections: 'LOW', outline: 'LOW', repair: 'LOW' }),
    );

    assert.equal(result.questions, 5);
    assert.equal(sent.length, 1);
    assert.deepEqual(sent[0]?.thinkingConfig, { thinkingLevel: 'HIGH' });
    assert.equal(sent[0]?.temperature, undefined);
    // Five questions' room plus the HIGH allowance for thoughts.
    assert.equal(sent[0]?.maxOutputTokens, 5 * 400 + 512 + THOUGHT_ALLOWANCE.HIGH);
    // The job adds up what the answers reported, thoughts included.
    assert.equal(result.usage.thinking_tokens, sim.stats().thoughtsTokens);
  });

  it('send the repair level on the calls that replace rejected questions', async () => {
    sim.configure({ faults: { malformedJson: 1 } });

    await assert.rejects(
      generator.generateChunk(input({ questions: 'HIGH', sections: 'LOW', outline: 'LOW', repair: 'LOW' })),
    );

    assert.deepEqual(
      sent.map((c) => c.thinkingConfig?.thinkingLevel),
      ['HIGH', 'LOW', 'LOW', 'LOW'],
    );
  });

  it('ask with a higher limit after an answer that ended MAX_TOKENS, up to the model’s ceiling', async () => {
    sim.configure({ faults: { truncated: 1 } });

    await assert.rejects(
      generator.generateChunk(
        input({ questions: 'MEDIUM', sections: 'LOW', outline: 'LOW', repair: 'MEDIUM' }),
      ),
    );

    const first = 5 * 400 + 512 + THOUGHT_ALLOWANCE.MEDIUM;
    assert.deepEqual(
      sent.map((c) => c.maxOutputTokens),
      [first, 2 * first, 4 * first, 65_536],
    );
  });
});
