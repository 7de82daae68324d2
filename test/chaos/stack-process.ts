/**
 * The local stack in a process of its own, as `npm start` runs it but with the chaos settings
 * and an outside Gemini simulator, so scenario 3 can kill it with SIGKILL mid-job.
 *
 * `node test/chaos/stack-process.ts '{"dataDir": "...", "simulatorUrl": "..."}'` prints one line,
 * `READY {"apiUrl": "...", "key": "..."}`, once the API answers.
 */
import { startChaosStack } from './harness.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as { dataDir?: string; simulatorUrl?: string };
if (!config.dataDir || !config.simulatorUrl) {
  console.error('usage: node test/chaos/stack-process.ts \'{"dataDir": "...", "simulatorUrl": "..."}\'');
  process.exit(64);
}
const chaos = await startChaosStack({ dataDir: config.dataDir, simulatorUrl: config.simulatorUrl });
const [key] = chaos.stack.apiKeys;
console.log(`READY ${JSON.stringify({ apiUrl: chaos.stack.apiUrl, key: key?.value })}`);
const stop = () => {
  void chaos.stop().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
