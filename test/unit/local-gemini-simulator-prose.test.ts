/**
 * The simulator's prose for content sections: readable sentences on the prompt's topic, of the
 * length the prompt asks per field, marked simulated once per text, deterministic per seed, and
 * fast; questions stay placeholders. Asked with the service's own prompt and response schema for
 * a lesson of test.sh's course (jhaladik/ai-cto-modular-app at 2fa479e, kept as data in
 * test/fixtures/content-generator-scripts.json), through the real client.
 */
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { describe, it } from 'vitest';
import { countWords, proseOf, readability, topicKeywords } from '#content/measure.ts';
import { planSections } from '#content/plan.ts';
import { fieldBudgets } from '#content/prompt-context.ts';
import { sectionPrompt } from '#content/prompts.ts';
import { parseExecuteRequest } from '#content/request.ts';
import { sectionSchema } from '#content/response-schemas.ts';
import { GEMINI_API_VERSION } from '#platform/gemini/api-version.ts';
import { startGeminiSimulator } from '../../local/gemini-simulator/index.ts';
import { proseWriter, subjectOf, wordBudgets } from '../../local/gemini-simulator/prose.ts';
import { fixture } from '../support/fixtures.ts';

const MODEL = 'gemini-3.8-flash';
const courseBody = fixture<any>('content-generator-scripts.json').scripts['test.sh'].requests.find(
  (r: any) => r.name === 'Execute Content Generation',
).body;
const request = parseExecuteRequest(courseBody);
const plan = planSections(request);
const lesson = plan.find((s) => s.kind === 'lesson');
const assessment = plan.find((s) => s.kind === 'module_assessment');
assert.ok(lesson && assessment);

async function ask(seed: number, section = lesson as NonNullable<typeof lesson>) {
  const sim = await startGeminiSimulator({ seed, latencyMs: { min: 0, max: 0 } });
  try {
    const ai = new GoogleGenAI({
      apiKey: 'test-key',
      apiVersion: GEMINI_API_VERSION,
      httpOptions: { baseUrl: sim.url },
    });
    const response = await ai.models.generateContent({
      model: MODEL,
      contents: sectionPrompt(request, plan, section, new Map()),
      config: { responseMimeType: 'application/json', responseSchema: sectionSchema(section, plan) as any },
    });
    return JSON.parse(response.text ?? '{}');
  } finally {
    await sim.close();
  }
}

describe('the simulator’s prose for content sections', () => {
  it('reads the per-field lengths and the subject from the prompt', () => {
    const prompt = sectionPrompt(request, plan, lesson, new Map());
    assert.deepEqual(Object.fromEntries(wordBudgets(prompt)), fieldBudgets(lesson));
    assert.deepEqual(subjectOf(prompt), { topic: 'Introduction to Testing', title: 'What is Testing' });
  });

  it('writes each budgeted field at the asked length, as readable sentences on the topic, marked once', async () => {
    const answer = await ask(7);
    const budgets = fieldBudgets(lesson);
    const words = countWords(answer.content);
    assert.ok(
      words >= 0.8 * (budgets.content ?? 0) && words <= 1.25 * (budgets.content ?? 0),
      `${words} words for ${budgets.content}`,
    );
    assert.equal(answer.content.match(/\[simulated\]/g)?.length, 1, 'says it is simulated, once');
    assert.ok(answer.content.startsWith('[simulated] '));
    const prose = proseOf(answer);
    // Plain teaching prose: Flesch reading ease well above the placeholder words' ≈ 35.
    assert.ok(readability(prose) >= 65, `readability ${readability(prose)}`);
    const keyword = topicKeywords(request.input.topic)[0] ?? '';
    assert.ok(answer.content.toLowerCase().includes(keyword), `mentions "${keyword}"`);
    for (const point of answer.keyPoints) assert.match(point, /^\[simulated\] [A-Z].*\.$/s);
    const total = countWords(prose.join(' '));
    assert.ok(total >= 0.8 * lesson.targetWords && total <= 1.25 * lesson.targetWords, `${total} words`);
  });

  it('is the same for a seed and differs for another', async () => {
    assert.deepEqual(await ask(7), await ask(7));
    assert.notEqual((await ask(7)).content, (await ask(8)).content);
  });

  it('leaves questions as placeholders', async () => {
    const answer = await ask(7, assessment);
    assert.ok(answer.questions.length > 0);
    for (const q of answer.questions) assert.match(q.question, /^\[simulated\] Placeholder/);
  });

  it('writes 20 000 words in well under a second', () => {
    const writer = proseWriter('Testing', 'What is Testing', () => 0.5);
    const started = performance.now();
    const text = writer.text(20_000);
    assert.ok(countWords(text) >= 19_990);
    assert.ok(performance.now() - started < 500, `${performance.now() - started} ms`);
  });
});
