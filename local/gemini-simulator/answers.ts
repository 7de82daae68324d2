/**
 * The generateContent answer to a request, as a response body and the tokens it counts: the
 * prompt read, an answer made to the response schema (or prose), a content fault applied.
 * Batches answer each of their requests with the same function.
 */
import type { FaultKind } from './config.ts';
import { shapeCandidate, spoilAnswer } from './faults.ts';
import { field, isRecord } from './json.ts';
import { biasKeys } from './key-bias.ts';
import { modelVersionOf } from './models.ts';
import { proseWriter, subjectOf, wordBudgets, writeProse } from './prose.ts';
import { hashHex, rngFrom, sha256 } from './random.ts';
import { promptFeedbackFor } from './refusals.ts';
import { type GenContext, generate, generateString, passagesOf } from './schema-answers.ts';
import type { Outcome, SimulatorState } from './state.ts';
import { fitToLimit, outputLimitOf, thoughtsFor } from './thinking.ts';

interface GenerateRequest {
  contents?: unknown;
  systemInstruction?: unknown;
  generationConfig?: Record<string, unknown>;
}

export function textsOf(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!isRecord(content) || !Array.isArray(content.parts)) return [];
  return content.parts.flatMap((p) => (isRecord(p) && typeof p.text === 'string' ? [p.text] : []));
}

export function promptTexts(body: Record<string, unknown>): { all: string[]; lastUser: string } {
  const contents = Array.isArray(body.contents) ? body.contents : body.contents ? [body.contents] : [];
  const system = textsOf(field(body, 'systemInstruction'));
  const all = [...system, ...contents.flatMap(textsOf)];
  const users = contents.filter((c) => !isRecord(c) || c.role === undefined || c.role === 'user');
  const last = users.at(-1);
  return { all, lastUser: last === undefined ? '' : textsOf(last).join(' ') };
}

function excerptOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').replace(/"/g, "'").trim();
  if (flat === '') return 'the prompt';
  return flat.length > 48 ? `${flat.slice(0, 47).trimEnd()}…` : flat;
}

export function tokensFor(chars: number): number {
  return Math.ceil(chars / 4);
}

export interface Answered {
  outcome: Outcome;
  response: Record<string, unknown>;
  promptTokens: number;
  candidatesTokens: number;
  thoughtsTokens: number;
}

/** The request's generationConfig, in either of the spellings Gemini's JSON mapping accepts. */
export function generationConfigOf(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const request = body as GenerateRequest;
  return isRecord(request.generationConfig)
    ? request.generationConfig
    : isRecord(body.generation_config)
      ? body.generation_config
      : undefined;
}

/** The generateContent answer to a request; `fault` may shape its content (not an HTTP error). */
export function answerFor(
  state: SimulatorState,
  body: Record<string, unknown>,
  model: string,
  fault: FaultKind | undefined,
  responseKey: string | number,
): Answered {
  const { config } = state;
  const { all, lastUser } = promptTexts(body);
  const promptTokens = tokensFor(all.reduce((n, t) => n + t.length, 0));
  const generationConfig = generationConfigOf(body);
  const ref = hashHex(config.seed, model, JSON.stringify(body)).slice(0, 8);
  const jsonSchema = field(generationConfig, 'responseJsonSchema');
  const openApiSchema = field(generationConfig, 'responseSchema');
  const schema = isRecord(jsonSchema) ? jsonSchema : isRecord(openApiSchema) ? openApiSchema : undefined;
  const wantsJson =
    schema !== undefined || field(generationConfig, 'responseMimeType') === 'application/json';
  const ctx: GenContext = {
    rand: rngFrom(config.seed, 'answer', ref),
    root: schema ?? {},
    ref,
    excerpt: excerptOf(lastUser || all.join(' ')),
    passages: passagesOf(lastUser),
    counters: new Map(),
    sites: { enums: [], arrays: [] },
  };
  const responseId = sha256(config.seed, 'response', responseKey, ref).toString('base64url').slice(0, 22);
  if (fault === 'blockedPrompt') {
    // A blocked prompt is answered before any generation: no candidates, only prompt tokens.
    return {
      outcome: 'blocked',
      promptTokens,
      candidatesTokens: 0,
      thoughtsTokens: 0,
      response: {
        promptFeedback: promptFeedbackFor(config.blockReason),
        usageMetadata: { promptTokenCount: promptTokens, totalTokenCount: promptTokens },
        modelVersion: modelVersionOf(model),
        responseId,
      },
    };
  }
  let text: string;
  if (schema) {
    const answer = generate(schema, ctx, 'response');
    // Fields the prompt gives a length to are written as readable prose of that length.
    const budgets = wordBudgets(lastUser);
    if (budgets.size > 0) {
      const { topic, title } = subjectOf(lastUser);
      writeProse(answer, schema, budgets, proseWriter(topic, title, rngFrom(config.seed, 'prose', ref)));
    }
    // The model's habits with keys, when told to have them (key-bias.ts); before a fault spoils the answer.
    biasKeys(answer, config, lastUser);
    spoilAnswer(ctx, fault, state.recentTexts);
    text = JSON.stringify(answer);
  } else if (wantsJson) text = JSON.stringify({ text: generateString({}, ctx, 'response') });
  else text = generateString({}, ctx, 'response');

  const shaped = shapeCandidate(text, fault, config.stopReason);
  const { safetyRatings } = shaped;
  let { outcome, finishReason, parts } = shaped;
  let candidatesTokens = parts ? tokensFor(parts.reduce((n, p) => n + p.text.length, 0)) : 0;
  // Thoughts and the visible answer share maxOutputTokens (thinking.ts).
  const fitted = fitToLimit(
    // Keyed by the prompt, not the whole request: a call asked again with a higher limit thinks alike.
    thoughtsFor(config, model, generationConfig, hashHex(model, ...all)),
    parts?.map((p) => p.text).join('') ?? '',
    candidatesTokens,
    outputLimitOf(generationConfig),
  );
  const thoughtsTokens = fitted.thoughts;
  if (parts && fitted.cut) {
    parts = [{ text: fitted.text }];
    candidatesTokens = fitted.tokens;
    finishReason = 'MAX_TOKENS';
    outcome = 'truncated';
  }
  const totalTokens = promptTokens + candidatesTokens + thoughtsTokens;

  const candidate: Record<string, unknown> = { finishReason, index: 0 };
  if (parts) candidate.content = { parts, role: 'model' };
  if (safetyRatings) candidate.safetyRatings = safetyRatings;
  return {
    outcome,
    promptTokens,
    candidatesTokens,
    thoughtsTokens,
    response: {
      candidates: [candidate],
      usageMetadata: {
        promptTokenCount: promptTokens,
        candidatesTokenCount: candidatesTokens,
        totalTokenCount: totalTokens,
        promptTokensDetails: [{ modality: 'TEXT', tokenCount: promptTokens }],
        thoughtsTokenCount: thoughtsTokens,
      },
      modelVersion: modelVersionOf(model),
      responseId,
    },
  };
}
