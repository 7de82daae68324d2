import assert from 'node:assert/strict';
import { Type as SdkType } from '@google/genai';
import { describe, it } from 'vitest';
import { Type } from '#platform/gemini/schema-type.ts';

describe('response schema types without the Gemini SDK', () => {
  it('are the values of the SDK enum the API accepts, every one but TYPE_UNSPECIFIED', () => {
    const { TYPE_UNSPECIFIED: _unspecified, ...sdkTypes } = SdkType;
    assert.deepEqual({ ...Type }, { ...sdkTypes });
  });
});
