/** The chaos scenarios by name, for the runner and the short form in `npm test`. */
import { modelFaults, type ScenarioOptions } from './model-faults.ts';
import type { ScenarioName, ScenarioReport } from './report.ts';
import { stackRestart } from './stack-restart.ts';
import { workerKilled } from './worker-killed.ts';

export type { ScenarioOptions };

export const SCENARIOS: Record<ScenarioName, (options: ScenarioOptions) => Promise<ScenarioReport>> = {
  'model-faults': modelFaults,
  'worker-killed': workerKilled,
  'stack-restart': stackRestart,
};

export const SCENARIO_NAMES = Object.keys(SCENARIOS) as ScenarioName[];
