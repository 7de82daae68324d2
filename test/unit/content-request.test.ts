import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { chooseModel } from '#content/model-choice.ts';
import {
  ContentRequestError,
  contentParameters,
  MAX_TOTAL_WORDS,
  parseExecuteRequest,
  STRUCTURE_TYPES,
} from '#content/request.ts';
import { fixture } from '../support/fixtures.ts';

const full = () => fixture<any>('content-request-full.json');
const curl = () => fixture<any>('content-request-curl.json');

/** The ContentRequestError a body is rejected with. */
function rejection(body: unknown): ContentRequestError {
  try {
    parseExecuteRequest(body);
  } catch (error) {
    assert.ok(error instanceof ContentRequestError, `expected a ContentRequestError, got ${error}`);
    return error;
  }
  assert.fail('the body was accepted');
}

describe('parseExecuteRequest: the seed’s examples', () => {
  it('parses the full request example with every field it documents', () => {
    const request = parseExecuteRequest(full());

    assert.equal(request.action, 'generate');
    assert.equal(request.input.granulatorJobId, 123);
    assert.equal(request.input.topic, 'Introduction to Python');
    assert.equal(request.input.structureType, 'course');
    assert.equal('structure' in request.input, false, 'an empty structure beside a reference is dropped');
    assert.deepEqual(request.input.structureReference, { type: 'kv', location: 'granulator-structure-123' });
    assert.deepEqual(request.input.wordCountEstimates, {
      total: 15000,
      bySection: {
        moduleIntroductions: 1200,
        lessonContent: 8000,
        examples: 2000,
        exercises: 2500,
        assessments: 1300,
      },
      byPriority: { high: 7500, medium: 4500, low: 3000 },
    });
    const meta = request.input.contentMetadata;
    assert.deepEqual(meta.standardParameters, {
      granularityLevel: 2,
      targetAudience: 'beginners new to programming',
      language: 'en',
      tone: 'friendly',
      style: 'hands-on',
    });
    assert.deepEqual(meta.generationStrategy, {
      approach: 'hierarchical',
      parallelizable: true,
      dependencies: [],
      batchSize: 5,
      maxConcurrent: 3,
    });
    assert.deepEqual(meta.contentSpecs.requiredSections, ['overview', 'lessons']);
    assert.deepEqual(meta.qualityRequirements, {
      minQualityScore: 75,
      readabilityTarget: 85,
      coherenceTarget: 85,
      completenessTarget: 90,
      validationRequired: true,
    });
    assert.deepEqual(request.config, {
      aiProvider: 'openai',
      aiModel: 'gpt-4o-mini',
      temperature: 0.7,
      maxTokens: 4000,
      systemPrompt: 'You are an expert educational content creator.',
      enableCaching: true,
      qualityValidation: true,
      progressCallbackUrl: 'https://webhook.example.com/content',
      callbackHeaders: { Authorization: 'Bearer your-token' },
      callbackRetries: 3,
    });
  });

  it('accepts another AI provider but notes that Gemini generates', () => {
    const request = parseExecuteRequest(full());

    assert.equal(request.notes.length, 1);
    assert.match(request.notes[0] ?? '', /aiProvider "openai".*Gemini/);
  });

  it('notes nothing for the gemini and google providers', () => {
    for (const aiProvider of ['gemini', 'Google']) {
      const body = full();
      body.config.aiProvider = aiProvider;
      assert.deepEqual(parseExecuteRequest(body).notes, [], aiProvider);
    }
  });

  it('parses the cURL example, whose structure, bySection, byPriority and contentMetadata are {}', () => {
    const request = parseExecuteRequest(curl());

    assert.deepEqual(request.input.structure, {});
    assert.deepEqual(request.input.wordCountEstimates, { total: 15000, bySection: {}, byPriority: {} });
    assert.deepEqual(request.input.contentMetadata, {
      standardParameters: {},
      generationStrategy: { dependencies: [] },
      contentSpecs: { contentTypes: [], requiredSections: [], optionalSections: [] },
      qualityRequirements: { validationRequired: false },
    });
    assert.deepEqual(request.config, {});
    assert.deepEqual(request.notes, []);
  });

  it('needs no granulatorJobId (standalone use) and takes a string one', () => {
    const without = curl();
    delete without.input.granulatorJobId;
    assert.equal('granulatorJobId' in parseExecuteRequest(without).input, false);

    const text = curl();
    text.input.granulatorJobId = 'gran-42';
    assert.equal(parseExecuteRequest(text).input.granulatorJobId, 'gran-42');
  });

  it('defaults the action to "generate" and refuses any other', () => {
    const body = curl();
    delete body.action;
    assert.equal(parseExecuteRequest(body).action, 'generate');

    const other = curl();
    other.action = 'package';
    const error = rejection(other);
    assert.equal(error.code, 'INVALID_STRUCTURE');
    assert.equal(error.field, 'action');
  });

  it('accepts a structure type in another spelling', () => {
    const body = curl();
    body.input.structureType = 'Knowledge-Map';
    assert.equal(parseExecuteRequest(body).input.structureType, 'knowledge_map');
  });

  it('takes null as absent', () => {
    const body = curl();
    body.config = null;
    body.input.contentMetadata = { standardParameters: { tone: null } };
    const request = parseExecuteRequest(body);
    assert.deepEqual(request.config, {});
    assert.deepEqual(request.input.contentMetadata.standardParameters, {});
  });
});

describe('parseExecuteRequest: errors', () => {
  it('answers MISSING_REQUIRED_FIELD for wordCountEstimates exactly as the seed’s example', () => {
    const body = curl();
    delete body.input.wordCountEstimates;

    const error = rejection(body);

    assert.equal(error.status, 400);
    assert.deepEqual(error.details(), {
      code: 'MISSING_REQUIRED_FIELD',
      field: 'wordCountEstimates',
      suggestion: 'Include wordCountEstimates in your request',
    });
    assert.equal(error.message, 'Missing required field: wordCountEstimates');
  });

  it('names each missing required field', () => {
    const cases: [string, (b: any) => void][] = [
      ['input', (b) => delete b.input],
      ['topic', (b) => delete b.input.topic],
      ['structureType', (b) => delete b.input.structureType],
      ['wordCountEstimates.total', (b) => delete b.input.wordCountEstimates.total],
    ];
    for (const [field, remove] of cases) {
      const body = curl();
      remove(body);
      const error = rejection(body);
      assert.equal(error.code, 'MISSING_REQUIRED_FIELD', field);
      assert.equal(error.field, field);
      assert.ok(error.suggestion.length > 0, field);
    }
  });

  it('answers INVALID_STRUCTURE_TYPE with the supported types', () => {
    const body = curl();
    body.input.structureType = 'podcast';

    const error = rejection(body);

    assert.equal(error.code, 'INVALID_STRUCTURE_TYPE');
    assert.equal(error.field, 'structureType');
    assert.match(error.message, /"podcast"/);
    for (const type of STRUCTURE_TYPES) assert.ok(error.suggestion.includes(type), type);
  });

  it('answers MISSING_GRANULATOR_DATA without structure or structureReference', () => {
    for (const structure of [undefined, null]) {
      const body = curl();
      body.input.structure = structure;

      const error = rejection(body);

      assert.equal(error.code, 'MISSING_GRANULATOR_DATA');
      assert.match(error.suggestion, /structureReference/);
    }
  });

  it('keeps a non-empty structure beside a reference', () => {
    const body = full();
    body.input.structure = { modules: [{ title: 'A', lessons: ['B'] }] };

    assert.deepEqual(parseExecuteRequest(body).input.structure, body.input.structure);
  });

  it('accepts a structureReference instead of a structure', () => {
    const body = curl();
    delete body.input.structure;
    body.input.structureReference = { type: 's3', location: 'structures/123.json' };

    const request = parseExecuteRequest(body);

    assert.equal(request.input.structure, undefined);
    assert.deepEqual(request.input.structureReference, { type: 's3', location: 'structures/123.json' });
  });

  it('answers INVALID_STRUCTURE for a structure that is not an object', () => {
    const body = curl();
    body.input.structure = [{ title: 'Module 1' }];

    const error = rejection(body);

    assert.equal(error.code, 'INVALID_STRUCTURE');
    assert.equal(error.field, 'structure');
  });

  it('answers INVALID_STRUCTURE naming the field for each value out of range', () => {
    const cases: [string, (b: any) => void, RegExp][] = [
      ['wordCountEstimates.total', (b) => (b.input.wordCountEstimates.total = 0), /positive whole number/],
      [
        'wordCountEstimates.total',
        (b) => (b.input.wordCountEstimates.total = 1500.5),
        /positive whole number/,
      ],
      [
        'wordCountEstimates.total',
        (b) => (b.input.wordCountEstimates.total = MAX_TOTAL_WORDS + 1),
        /at most 200000/,
      ],
      [
        'wordCountEstimates.bySection.examples',
        (b) => (b.input.wordCountEstimates.bySection.examples = -5),
        /0 or more/,
      ],
      [
        'contentMetadata.standardParameters.granularityLevel',
        (b) => (b.input.contentMetadata = { standardParameters: { granularityLevel: 6 } }),
        /from 1 to 5/,
      ],
      [
        'contentMetadata.generationStrategy.approach',
        (b) => (b.input.contentMetadata = { generationStrategy: { approach: 'random' } }),
        /hierarchical, sequential, parallel/,
      ],
      [
        'contentMetadata.qualityRequirements.minQualityScore',
        (b) => (b.input.contentMetadata = { qualityRequirements: { minQualityScore: 101 } }),
        /from 0 to 100/,
      ],
      ['config.temperature', (b) => (b.config = { temperature: 2.5 }), /from 0 to 2/],
      ['config.callbackRetries', (b) => (b.config = { callbackRetries: 11 }), /from 0 to 10/],
      [
        'config.progressCallbackUrl',
        (b) => (b.config = { progressCallbackUrl: 'ftp://x.example' }),
        /http or https/,
      ],
      [
        'config.progressCallbackUrl',
        (b) => (b.config = { progressCallbackUrl: 'not a url' }),
        /http or https/,
      ],
      [
        'config.callbackHeaders.X-Try',
        (b) => (b.config = { callbackHeaders: { 'X-Try': 3 } }),
        /string values/,
      ],
      ['topic', (b) => (b.input.topic = '   '), /non-empty/],
    ];
    for (const [field, change, expected] of cases) {
      const body = curl();
      change(body);
      const error = rejection(body);
      assert.equal(error.code, 'INVALID_STRUCTURE', field);
      assert.equal(error.field, field);
      assert.match(error.message, expected, field);
      assert.ok(error.suggestion.startsWith(`Send ${field} as`), error.suggestion);
    }
  });

  it('is an Error with a name, so a generic handler still reports it sensibly', () => {
    const error = rejection({});
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'ContentRequestError');
    assert.equal(error.code, 'MISSING_REQUIRED_FIELD');
  });

  it('rejects a body that is not an object', () => {
    const error = rejection('generate');
    assert.equal(error.code, 'INVALID_STRUCTURE');
    assert.equal(error.field, 'body');
  });
});

describe('generationStrategy.dependencies', () => {
  it('keeps {section, dependsOn} entries and notes the others', () => {
    const body = curl();
    body.input.contentMetadata = {
      generationStrategy: {
        dependencies: [
          { section: 'module_2', dependsOn: 'module_1_summary' },
          { section: 'conclusion', dependsOn: ['module_1', 'module_2'] },
          'overview',
        ],
      },
    };

    const request = parseExecuteRequest(body);

    assert.deepEqual(request.input.contentMetadata.generationStrategy.dependencies, [
      { section: 'module_2', dependsOn: ['module_1_summary'] },
      { section: 'conclusion', dependsOn: ['module_1', 'module_2'] },
    ]);
    assert.equal(request.notes.length, 1);
    assert.match(request.notes[0] ?? '', /1 generationStrategy.dependencies entries were ignored/);
  });
});

describe('contentParameters', () => {
  it('fills the defaults and names the language', () => {
    const p = contentParameters(parseExecuteRequest(curl()));

    assert.equal(p.topic, 'Python Basics');
    assert.equal(p.audience, 'general learners');
    assert.equal(p.language, 'en');
    assert.equal(p.languageName, 'English');
    assert.equal(p.granularityLevel, 3);
    assert.equal(p.approach, 'hierarchical');
  });

  it('names the language of an ISO 639-1 code', () => {
    const body = curl();
    body.input.contentMetadata = { standardParameters: { language: 'cs' } };
    assert.equal(contentParameters(parseExecuteRequest(body)).languageName, 'Czech');
  });

  it('refuses a language that is not an ISO 639-1 code, naming the field and an example', () => {
    for (const [language, expected] of [
      ['Plain English', /an ISO 639-1 language code of two lower-case letters, such as "language": "fr"/],
      ['pt-BR', /an ISO 639-1 code alone, without region or script: "language": "pt" for "pt-BR"/],
      ['FR', /an ISO 639-1 code in lower case: "language": "fr"/],
    ] as const) {
      const body = curl();
      body.input.contentMetadata = { standardParameters: { language } };

      const error = rejection(body);

      assert.equal(error.status, 400);
      assert.equal(error.field, 'contentMetadata.standardParameters.language');
      assert.match(error.message, /^contentMetadata\.standardParameters\.language must be /);
      assert.match(error.message, expected);
    }
  });

  it('runs sequentially when the content is not parallelizable and no approach is named', () => {
    const body = curl();
    body.input.contentMetadata = { generationStrategy: { parallelizable: false } };
    assert.equal(contentParameters(parseExecuteRequest(body)).approach, 'sequential');

    body.input.contentMetadata = { generationStrategy: { parallelizable: false, approach: 'parallel' } };
    assert.equal(contentParameters(parseExecuteRequest(body)).approach, 'parallel');
  });
});

describe('chooseModel', () => {
  const DEFAULT = 'gemini-3.8-flash';

  it('uses the default when no model is asked for', () => {
    assert.deepEqual(chooseModel({}, DEFAULT), { model: DEFAULT });
  });

  it('honours a Gemini model of the price table, with or without the models/ prefix', () => {
    assert.deepEqual(chooseModel({ aiModel: 'gemini-3.6-flash' }, DEFAULT), { model: 'gemini-3.6-flash' });
    assert.deepEqual(chooseModel({ aiModel: 'models/gemini-2.5-flash-lite' }, DEFAULT), {
      model: 'gemini-2.5-flash-lite',
    });
  });

  it('falls back to the default, with a note, for another provider’s model', () => {
    const choice = chooseModel({ aiModel: 'gpt-4o-mini' }, DEFAULT);

    assert.equal(choice.model, DEFAULT);
    assert.match(choice.note ?? '', /"gpt-4o-mini" is not a Gemini model/);
  });

  it('runs a request kept from before its model’s shutdown on the default, with a note', () => {
    const before = Date.parse('2026-11-30T12:00:00Z');
    assert.deepEqual(chooseModel({ aiModel: 'gemini-2.5-pro' }, DEFAULT, before), {
      model: 'gemini-2.5-pro',
    });

    const choice = chooseModel({ aiModel: 'gemini-2.5-pro' }, DEFAULT, Date.parse('2026-12-01T00:00:00Z'));

    assert.equal(choice.model, DEFAULT);
    assert.match(choice.note ?? '', /"gemini-2.5-pro" was shut down on 2026-12-01; gemini-3.8-flash is used/);
  });

  it('falls back to the default, with a note, for a Gemini model it cannot price', () => {
    const choice = chooseModel({ aiModel: 'gemini-1.0-ultra' }, DEFAULT);

    assert.equal(choice.model, DEFAULT);
    assert.match(choice.note ?? '', /not one of the Gemini models this service offers/);
  });
});

describe('parseExecuteRequest: the model', () => {
  it('refuses a Gemini model past its shutdown date with a 400 naming the live models', () => {
    for (const model of ['gemini-2.5-flash', 'models/gemini-2.5-pro']) {
      const body = curl();
      body.config = { ...body.config, aiModel: model };

      const error = rejection(body);

      assert.equal(error.status, 400);
      assert.equal(error.field, 'config.aiModel');
      assert.match(error.message, /was shut down on 2026-12-01; the live models are .*gemini-3\.8-flash/);
      assert.doesNotMatch(error.message, /live models are .*gemini-2\.5-(flash|pro)\b(?!-lite)/);
      assert.match(error.suggestion, /Send config.aiModel as one of /);
    }
  });

  it('accepts a live model and another provider’s name (which falls back with a note)', () => {
    const body = curl();
    body.config = { ...body.config, aiModel: 'gemini-3.6-flash' };
    assert.equal(parseExecuteRequest(body).config.aiModel, 'gemini-3.6-flash');
    assert.equal(parseExecuteRequest(full()).config.aiModel, 'gpt-4o-mini');
  });
});
