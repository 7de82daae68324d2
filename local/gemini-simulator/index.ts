/**
 * A loopback stand-in for the Gemini REST API (the subset `@google/genai` uses for
 * `models.generateContent`, `models.embedContent` and `batches.*` with inlined requests), so the
 * real client code runs unchanged in local mode, tests and benchmarks. Everything it generates is
 * a placeholder and says so; the fields a prompt gives a length to (content sections) are
 * readable sentences on the prompt's topic of that length, marked simulated once (`prose.ts`).
 *
 * Start it in-process with `startGeminiSimulator`, or alone with `cli.ts`. The pieces:
 * `config.ts` (options and their merge), `random.ts` (seeded draws), `schema-answers.ts` (JSON
 * that fits a response schema), `answers.ts` (a generateContent answer), `prose.ts`, `faults.ts`,
 * `key-bias.ts` (a model's habits with answer keys: one position, the longest option),
 * `generate-content.ts` (quota and latency), `embeddings.ts`, `batches.ts`, `server.ts`
 * (routing and the admin endpoints), all sharing the state of `state.ts`.
 */
export { FAULT_KINDS, type FaultKind, type SimulatorConfig } from './config.ts';
export { formatRetryDelay } from './errors.ts';
export { type GeminiSimulator, type SimulatorOptions, startGeminiSimulator } from './server.ts';
export type { BatchStats, Outcome, SimulatorStats } from './state.ts';
