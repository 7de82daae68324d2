/**
 * Helpers around the Gemini simulator (`local/gemini-simulator/`) for tests that need a
 * fault on a given call and not on the others. The simulator draws faults from its seed and the
 * call's index only, so a seed that gives the wanted sequence of outcomes gives it again after
 * `resetStats()`, whatever the requests are.
 */
import type {
  FaultKind,
  GeminiSimulator,
  Outcome,
  SimulatorStats,
} from '../../local/gemini-simulator/index.ts';

const PROBE_MODEL = 'gemini-3.8-flash';

async function probe(sim: GeminiSimulator): Promise<Outcome> {
  const before = sim.stats().outcomes;
  const response = await fetch(`${sim.url}/v1beta/models/${PROBE_MODEL}:generateContent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': 'probe-key' },
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'probe' }] }] }),
  });
  await response.arrayBuffer();
  const after = sim.stats().outcomes;
  const changed = (Object.keys(after) as Outcome[]).find((o) => after[o] !== before[o]);
  if (!changed) throw new Error('The simulator recorded no outcome for a probe call');
  return changed;
}

/**
 * Configures `faults` with the first seed whose first calls end in `wanted`, in that order,
 * and resets the simulator so the next calls replay that sequence.
 */
export async function replayOutcomes(
  sim: GeminiSimulator,
  faults: Partial<Record<FaultKind, number>>,
  wanted: Outcome[],
): Promise<number> {
  for (let seed = 1; seed <= 500; seed++) {
    sim.configure({ seed, faults: undefined });
    sim.configure({ faults });
    sim.resetStats();
    let matches = true;
    for (const outcome of wanted) {
      if ((await probe(sim)) !== outcome) {
        matches = false;
        break;
      }
    }
    if (matches) {
      sim.resetStats();
      return seed;
    }
  }
  throw new Error(`No seed up to 500 gives the outcomes ${wanted.join(', ')}`);
}

/** Back to a fault-free simulator with fresh counters. */
export function resetSimulator(sim: GeminiSimulator): void {
  sim.configure({
    seed: 42,
    faults: undefined,
    failFirstCalls: 0,
    latencyMs: undefined,
    apiKey: undefined,
    injected429DelayMs: undefined,
    thoughtsTokens: undefined,
    rpm: undefined,
    rpd: undefined,
    blockReason: undefined,
    stopReason: undefined,
  });
  sim.resetStats();
}

/** generateContent calls that reached the simulator, by outcome, leaving out the zeros. */
export function outcomesOf(stats: SimulatorStats): Partial<Record<Outcome, number>> {
  return Object.fromEntries(Object.entries(stats.outcomes).filter(([, n]) => n > 0));
}
