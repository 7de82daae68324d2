import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { generationConfigFor } from '#platform/gemini/gemini-client.ts';
import {
  capabilitiesOf,
  outputLimit,
  THOUGHT_ALLOWANCE,
  thinkingLevelFor,
  typicalThoughtTokens,
} from '#platform/gemini/model-capabilities.ts';

describe('model capabilities', () => {
  it('knows gemini-3.8-flash thinks at MEDIUM by default and takes LOW, MEDIUM and HIGH only', () => {
    const caps = capabilitiesOf('gemini-3.8-flash');

    assert.deepEqual(caps.thinking, { levels: ['LOW', 'MEDIUM', 'HIGH'], default: 'MEDIUM' });
    assert.equal(caps.samplingParameters, false);
    assert.equal(caps.maxOutputTokens, 65_536);
  });

  it('sends the nearest accepted level above one the model refuses, and none to a model without levels', () => {
    assert.equal(thinkingLevelFor('gemini-3.8-flash', 'MINIMAL'), 'LOW');
    assert.equal(thinkingLevelFor('gemini-3.8-flash', 'HIGH'), 'HIGH');
    assert.equal(thinkingLevelFor('gemini-3.5-flash-lite', 'MINIMAL'), 'MINIMAL');
    assert.equal(thinkingLevelFor('gemini-2.5-flash-lite', 'LOW'), undefined);
    assert.equal(thinkingLevelFor('gemini-unknown', 'LOW'), undefined);
  });

  it('sizes the output limit as the visible answer plus room for the level’s thoughts, doubled per MAX_TOKENS stop', () => {
    const limit = (maxTokensStops: number) =>
      outputLimit({ model: 'gemini-3.8-flash', visibleTokens: 2000, level: 'LOW', maxTokensStops });

    assert.equal(limit(0), 2000 + THOUGHT_ALLOWANCE.LOW);
    assert.equal(limit(1), 2 * (2000 + THOUGHT_ALLOWANCE.LOW));
    assert.equal(limit(5), 65_536, 'never past the model’s ceiling');
    // No level sent: room for the model's default level (MEDIUM on 3.8 Flash).
    assert.equal(
      outputLimit({ model: 'gemini-3.8-flash', visibleTokens: 2000, level: undefined }),
      2000 + THOUGHT_ALLOWANCE.MEDIUM,
    );
    assert.equal(outputLimit({ model: 'gemini-2.5-flash-lite', visibleTokens: 2000, level: 'HIGH' }), 2000);
  });

  it('expects the thoughts of the level a call is sent at', () => {
    assert.equal(typicalThoughtTokens('gemini-3.8-flash', 'LOW'), 1024);
    assert.equal(typicalThoughtTokens('gemini-3.8-flash', 'MINIMAL'), 1024, 'sent as LOW');
    assert.equal(typicalThoughtTokens('gemini-3.8-flash', undefined), 3072, 'the default MEDIUM');
    assert.equal(typicalThoughtTokens('gemini-2.5-flash-lite', 'HIGH'), 0);
  });
});

describe('generationConfigFor', () => {
  const base = { systemInstruction: 'Be brief.', responseSchema: { type: 'OBJECT' }, maxOutputTokens: 4096 };

  it('sends the thinking level to a model with levels, and no sampling parameters where they are deprecated', () => {
    const config = generationConfigFor({
      ...base,
      model: 'gemini-3.8-flash',
      thinkingLevel: 'LOW',
      temperature: 0.4,
    });

    assert.deepEqual(config.thinkingConfig, { thinkingLevel: 'LOW' });
    assert.equal('temperature' in config, false);
    assert.equal(config.maxOutputTokens, 4096);
  });

  it('sends the temperature to a model that documents it, and no thinking level to a model without levels', () => {
    const config = generationConfigFor({
      ...base,
      model: 'gemini-2.5-flash-lite',
      thinkingLevel: 'LOW',
      temperature: 0.4,
    });

    assert.equal(config.temperature, 0.4);
    assert.equal('thinkingConfig' in config, false);
  });

  it('sends no temperature unless asked: the model keeps its default', () => {
    const config = generationConfigFor({ ...base, model: 'gemini-2.5-flash-lite' });

    assert.equal('temperature' in config, false);
  });

  it('never sends a level the model refuses', () => {
    const config = generationConfigFor({ ...base, model: 'gemini-3.8-flash', thinkingLevel: 'MINIMAL' });

    assert.deepEqual(config.thinkingConfig, { thinkingLevel: 'LOW' });
  });
});
