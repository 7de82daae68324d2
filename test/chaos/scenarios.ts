/** The chaos scenarios by name, for the runner and the short form in `npm test`. */
import { everyChunkFails } from './every-chunk-fails.ts';
import { modelFaults, type ScenarioOptions } from './model-faults.ts';
import type { ScenarioName, ScenarioReport } from './report.ts';
import { stackRestart } from './stack-restart.ts';
import { workerKilled } from './worker-killed.ts';

export type { ScenarioOptions };

export const SCENARIOS: Record<ScenarioName, (options: ScenarioOptions) => Promise<ScenarioReport>> = {
  'model-faults': modelFaults,
  'worker-killed': workerKilled,
  'stack-restart': stackRestart,
  'every-chunk-fails': everyChunkFails,
};

/** Scenarios whose job must fail (every chunk of it), checked by the scenario itself. */
export const FAILING_SCENARIOS: readonly ScenarioName[] = ['every-chunk-fails'];

export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];
