/**
 * Every response schema the service sends, at the largest sizes its settings allow, against the
 * simulator's bound on schema complexity (local/gemini-simulator/schema-complexity.ts): each is
 * served, and the shapes it replaced (exact-length lists of questions, bounded integers, long
 * enums) are refused with Gemini's 400 "too many states for serving".
 */
import assert from 'node:assert/strict';
import { Type } from '@google/genai';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { assessmentResponseSchema } from '#assessments/assessment.ts';
import { ASSESSMENT_BATCH_SIZE } from '#assessments/chunks.ts';
import { outlineSchema } from '#content/outline.ts';
import { parseExecuteRequest, STRUCTURE_TYPES } from '#content/request.ts';
import { sectionSchema } from '#content/response-schemas.ts';
import { QUESTION_TYPES, SECTION_KINDS, type SectionKind, type SectionSpec } from '#content/sections.ts';
import { MAX_LISTED_QUESTIONS, MAX_QUIZ_QUESTIONS } from '#content/structure.ts';
import { BLOOM_LEVELS, questionsResponseSchema } from '#jobs/questions.ts';
import { type GeminiSimulator, startGeminiSimulator } from '../../local/gemini-simulator/index.ts';
import { MAX_SCHEMA_STATES, schemaStates } from '../../local/gemini-simulator/schema-complexity.ts';
import { fixture } from '../support/fixtures.ts';

/** lib/settings.ts: questionsPerCareerLevel and questionsPerSoftSkillsJob go up to 1000 per chunk. */
const MAX_QUESTIONS_PER_CHUNK = 1000;
/** Request limit of content (request.ts MAX_TOTAL_WORDS). */
const MAX_WORDS = 200_000;

let sim: GeminiSimulator;
beforeAll(async () => {
  sim = await startGeminiSimulator();
});
afterAll(async () => {
  await sim?.close();
});

async function send(schema: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${sim.url}/v1beta/models/gemini-3.8-flash:generateContent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'test-key' },
    body: JSON.stringify({
      contents: [{ role: 'user', parts: [{ text: 'Write it.' }] }],
      generationConfig: { responseMimeType: 'application/json', responseSchema: schema },
    }),
  });
  return { status: response.status, body: await response.json() };
}

async function assertServed(name: string, schema: unknown): Promise<void> {
  const { status, body } = await send(schema);
  assert.equal(
    status,
    200,
    `${name} (${schemaStates(schema)} states): ${JSON.stringify(body).slice(0, 300)}`,
  );
}

const section = (kind: SectionKind, extra: Partial<SectionSpec> = {}): SectionSpec => ({
  id: `${kind}-1`,
  kind,
  title: `A rather long section title for the ${kind} section of the content`,
  path: 'x',
  targetWords: 20_000,
  wordsByPart: { lessonContent: 12_000, examples: 4000, exercises: 4000 },
  dependsOn: [],
  stage: 0,
  contentId: `${kind}-1`,
  ...extra,
});

/** A knowledge map's 60 nodes (outlineSize's largest), with titles of a realistic length. */
const mapNodes = Array.from({ length: 60 }, (_, i) =>
  section('map_node', { id: `node-${i}`, title: `Concept number ${i} of the knowledge map, explained` }),
);

describe('the simulator bound on response-schema complexity', () => {
  it("refuses a schema past the bound with Gemini's 400 INVALID_ARGUMENT", async () => {
    const huge = {
      type: Type.OBJECT,
      properties: {
        rows: {
          type: Type.ARRAY,
          minItems: '50',
          maxItems: '50',
          items: {
            type: Type.OBJECT,
            properties: { score: { type: Type.INTEGER, minimum: 0, maximum: 100 } },
          },
        },
      },
    };

    const { status, body } = await send(huge);

    assert.equal(status, 400);
    assert.equal(body.error.status, 'INVALID_ARGUMENT');
    assert.match(
      body.error.message,
      /^The specified schema produces a constraint that has too many states for serving\./,
    );
    assert.equal(sim.stats().outcomes.bad_request, 1);
  });

  it('fails a batch request whose schema is past the bound with INVALID_ARGUMENT, and answers the rest', async () => {
    const batchSim = await startGeminiSimulator({ batchLatencyMs: 0 });
    try {
      const headers = { 'content-type': 'application/json', 'x-goog-api-key': 'test-key' };
      const request = (schema: unknown) => ({
        contents: [{ role: 'user', parts: [{ text: 'Write it.' }] }],
        generationConfig: { responseMimeType: 'application/json', responseSchema: schema },
      });
      const exact25 = {
        type: Type.OBJECT,
        properties: {
          questions: {
            type: Type.ARRAY,
            minItems: '25',
            maxItems: '25',
            items: questionsResponseSchema(1).properties.questions.items,
          },
        },
      };
      const created = await fetch(`${batchSim.url}/v1beta/models/gemini-3.8-flash:batchGenerateContent`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          batch: {
            displayName: 'schema size',
            inputConfig: {
              requests: {
                requests: [
                  { request: request(exact25), metadata: { key: 'old' } },
                  { request: request(questionsResponseSchema(25)), metadata: { key: 'new' } },
                ],
              },
            },
          },
        }),
      });
      const { name } = (await created.json()) as { name: string };
      const done = (await (await fetch(`${batchSim.url}/v1beta/${name}`, { headers })).json()) as any;

      const [old, current] = done.metadata.output.inlinedResponses.inlinedResponses;
      assert.equal(old.error.code, 3);
      assert.match(old.error.message, /too many states for serving/);
      assert.ok(current.response, 'the schema the service sends is answered');
    } finally {
      await batchSim.close();
    }
  });

  it('refuses the shapes the service used to send: 25 exact-length questions, bounded integer answers', async () => {
    const item = questionsResponseSchema(1).properties.questions.items;
    const exactQuiz = {
      type: Type.OBJECT,
      properties: { questions: { type: Type.ARRAY, minItems: '25', maxItems: '25', items: item } },
      required: ['questions'],
    };
    assert.equal((await send(exactQuiz)).status, 400);

    const boundedAnswers = {
      type: Type.OBJECT,
      properties: {
        questions: {
          type: Type.ARRAY,
          minItems: String(MAX_QUIZ_QUESTIONS),
          maxItems: String(MAX_QUIZ_QUESTIONS),
          items: {
            type: Type.OBJECT,
            properties: {
              question: { type: Type.STRING },
              options: { type: Type.ARRAY, minItems: '4', maxItems: '4', items: { type: Type.STRING } },
              correctOption: { type: Type.INTEGER, minimum: 0, maximum: 3 },
            },
          },
        },
      },
    };
    assert.equal((await send(boundedAnswers)).status, 400);
  });
});

describe('every response schema the service sends, at the largest sizes its settings allow', () => {
  it(`serves a quiz chunk of ${MAX_QUESTIONS_PER_CHUNK} questions at every Bloom level`, async () => {
    await assertServed('quiz chunk', questionsResponseSchema(MAX_QUESTIONS_PER_CHUNK, BLOOM_LEVELS));
  });

  it(`serves an assessment chunk of ${ASSESSMENT_BATCH_SIZE} questions grounded in 12 passages`, async () => {
    const passages = Array.from({ length: 12 }, (_, i) => `p${900 + i}-${40 + i}`);
    await assertServed(
      'assessment chunk',
      assessmentResponseSchema(ASSESSMENT_BATCH_SIZE, 'evaluate', passages),
    );
    await assertServed(
      'ungrounded assessment chunk',
      assessmentResponseSchema(ASSESSMENT_BATCH_SIZE, 'create', []),
    );
  });

  for (const kind of SECTION_KINDS) {
    it(`serves the ${kind} section schema`, async () => {
      const spec = section(kind, {
        ...(kind === 'quiz_category' ? { questionCount: MAX_QUIZ_QUESTIONS } : {}),
        ...(kind === 'module_assessment' ? { questionCount: 10 } : {}),
      });
      const plan = kind === 'map_node' ? [spec, ...mapNodes] : [spec];
      await assertServed(kind, sectionSchema(spec, plan));
    });
  }

  for (const kind of ['quiz_category', 'module_assessment'] as const) {
    it(`serves the ${kind} schema of the most questions a structure may list, each of every type`, async () => {
      for (const type of QUESTION_TYPES) {
        const questions = Array.from({ length: MAX_LISTED_QUESTIONS }, (_, i) => ({
          id: `question-id-${i}`,
          type,
          topic: 'A topic as long as a granulator writes one, naming a concept and its context',
        }));
        const spec = section(kind, { questions, questionCount: questions.length });
        await assertServed(`${kind} of ${MAX_LISTED_QUESTIONS} ${type}`, sectionSchema(spec, [spec]));
      }
    });
  }

  it('keeps map-node targets an enum while the other nodes are few', () => {
    const few = mapNodes.slice(0, 5);
    const schema = sectionSchema(few[0] as SectionSpec, few) as any;
    assert.equal(schema.properties.relationships.items.properties.target.enum.length, 4);
  });

  for (const type of STRUCTURE_TYPES) {
    it(`serves the outline schema of a ${type} of ${MAX_WORDS} words`, async () => {
      const body = fixture<any>('content-request-curl.json');
      body.input.structureType = type;
      body.input.structure = {};
      body.input.wordCountEstimates = { total: MAX_WORDS };
      await assertServed(`${type} outline`, outlineSchema(parseExecuteRequest(body)));
    });
  }

  it('measures every served schema within the bound the simulator names', () => {
    assert.ok(schemaStates(questionsResponseSchema(MAX_QUESTIONS_PER_CHUNK)) < MAX_SCHEMA_STATES);
  });
});
