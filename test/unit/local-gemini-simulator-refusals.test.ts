import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { describe, it } from 'vitest';
import { type SimulatorConfig, startGeminiSimulator } from '../../local/gemini-simulator/index.ts';
import { BLOCK_REASONS, STOP_REASONS } from '../../local/gemini-simulator/refusals.ts';

const MODEL = 'gemini-3.8-flash';

async function ask(config: SimulatorConfig) {
  const sim = await startGeminiSimulator(config);
  try {
    const ai = new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: sim.url } });
    const response = await ai.models.generateContent({
      model: MODEL,
      contents: 'Write questions about CSS',
      config: { responseMimeType: 'application/json' },
    });
    return { response, stats: sim.stats() };
  } finally {
    await sim.close();
  }
}

describe('Gemini simulator refusals', () => {
  for (const reason of BLOCK_REASONS) {
    it(`blocks a prompt with promptFeedback.blockReason ${reason}, no candidates, prompt tokens only`, async () => {
      const { response, stats } = await ask({ faults: { blockedPrompt: 1 }, blockReason: reason });

      assert.equal(response.promptFeedback?.blockReason, reason);
      assert.equal(response.candidates, undefined);
      assert.equal(response.text, undefined);
      const usage = response.usageMetadata;
      assert.ok((usage?.promptTokenCount ?? 0) > 0);
      assert.equal(usage?.totalTokenCount, usage?.promptTokenCount);
      assert.equal(usage?.candidatesTokenCount, undefined);
      assert.equal(stats.outcomes.blocked, 1);
    });
  }

  for (const reason of STOP_REASONS) {
    it(`stops an answer with finishReason ${reason} and withholds its content`, async () => {
      const { response, stats } = await ask({ faults: { policyStop: 1 }, stopReason: reason });

      const candidate = response.candidates?.[0];
      assert.equal(candidate?.finishReason, reason);
      assert.equal(candidate?.content, undefined);
      assert.equal(response.text, undefined);
      assert.equal(response.usageMetadata?.candidatesTokenCount, 0);
      assert.equal(stats.outcomes.policy_stop, 1);
    });
  }

  it('refuses a block or finish reason the API does not document', async () => {
    await assert.rejects(
      startGeminiSimulator({ blockReason: 'JAILBREAK' as never }),
      /blockReason must be one of/,
    );
    await assert.rejects(
      startGeminiSimulator({ stopReason: 'POLITENESS' as never }),
      /stopReason must be one of/,
    );
  });
});
