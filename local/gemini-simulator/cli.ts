/**
 * The simulator as a process of its own (benchmarks run it so, to keep its CPU time out of the
 * pipeline's): `npx node local/gemini-simulator/cli.ts --port 8089 --rpm 60 --latency 200-800`.
 */
import { parseArgs } from 'node:util';
import { FAULT_KINDS } from './config.ts';
import { type SimulatorOptions, startGeminiSimulator } from './server.ts';

function parseCli(argv: string[]): SimulatorOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      seed: { type: 'string' },
      'api-key': { type: 'string' },
      rpm: { type: 'string' },
      tpm: { type: 'string' },
      'embedding-rpm': { type: 'string' },
      latency: { type: 'string' },
      'latency-scale': { type: 'string' },
      'fail-first': { type: 'string' },
      'hang-ms': { type: 'string' },
      'embedding-dimensions': { type: 'string' },
      'batch-latency-ms': { type: 'string' },
      fault: { type: 'string', multiple: true },
      'key-position': { type: 'string' },
      'longest-key': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(
      'Usage: node local/gemini-simulator/cli.ts [--port 8089] [--host 127.0.0.1] [--seed 42] [--api-key KEY]\n' +
        '  [--rpm N] [--tpm N] [--latency MIN-MAX] [--latency-scale X] [--fail-first N] [--hang-ms MS]\n' +
        '  [--embedding-dimensions N] [--embedding-rpm N (texts a minute)] [--batch-latency-ms MS]\n' +
        `  [--fault KIND=RATE ...]   kinds: ${FAULT_KINDS.join(', ')}\n` +
        '  [--key-position a|b|c|d] [--longest-key]   biased answer keys (key-bias.ts)',
    );
    process.exit(0);
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const out: SimulatorOptions = {};
  const set = <K extends keyof typeof out>(key: K, value: (typeof out)[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set('port', num(values.port));
  set('host', values.host);
  set('seed', num(values.seed));
  set('apiKey', values['api-key']);
  set('rpm', num(values.rpm));
  set('tpm', num(values.tpm));
  set('embeddingRpm', num(values['embedding-rpm']));
  set('latencyScale', num(values['latency-scale']));
  set('failFirstCalls', num(values['fail-first']));
  set('hangMs', num(values['hang-ms']));
  set('embeddingDimensions', num(values['embedding-dimensions']));
  set('batchLatencyMs', num(values['batch-latency-ms']));
  set('keyPosition', values['key-position'] as SimulatorOptions['keyPosition']);
  set('longestKey', values['longest-key']);
  if (values.latency !== undefined) {
    const [min = 0, max = min] = values.latency.split('-').map(Number);
    out.latencyMs = { min, max };
  }
  for (const spec of values.fault ?? []) {
    const [kind = '', rate = '1'] = spec.split('=');
    out.faults = { ...out.faults, [kind]: Number(rate) };
  }
  return out;
}

if (import.meta.main) {
  const simulator = await startGeminiSimulator({ port: 8089, ...parseCli(process.argv.slice(2)) });
  console.log(`Gemini simulator listening on ${simulator.url}`);
  console.log(`  GEMINI_BASE_URL=${simulator.url}  (stats: GET ${simulator.url}/__simulator/stats)`);
  const stop = () => {
    void simulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
