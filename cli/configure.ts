/**
 * `quizgen configure`: stores the service URL and key (from flags, or asked for on a terminal)
 * and shows the settings in effect, with the key masked and where each value comes from.
 */
import { createInterface } from 'node:readline/promises';
import type { Invocation } from './args.ts';
import { configure } from './commands.ts';
import {
  configPath,
  describeSource,
  maskKey,
  readConfig,
  resolveSettings,
  type StoredConfig,
} from './config.ts';
import { CliError, EXIT, UsageError } from './errors.ts';
import type { Io } from './io.ts';

export async function configureCommand(invocation: Invocation, io: Io): Promise<number> {
  const { global, values } = invocation;
  const path = configPath(io.env);
  const usage = `quizgen ${invocation.command.usage}`;
  const print = (data: unknown, text: string) =>
    io.stdout.write(global.json ? `${JSON.stringify(data, null, 2)}\n` : `${text}\n`);

  if (values.show === true) {
    if (global.url || global.key) throw new UsageError('--show takes no --url or --key', usage, 'configure');
    const stored = await readConfig(path);
    const exists = stored.url !== undefined || stored.key !== undefined;
    const effective = resolveSettings({}, io.env, stored);
    const rows: [string, string][] = [['Config file', exists ? path : `${path} (not written yet)`]];
    rows.push([
      'URL',
      effective.url ? `${effective.url.value} (${describeSource(effective.url.source)})` : 'not set',
    ]);
    rows.push([
      'API key',
      effective.key ? `${maskKey(effective.key.value)} (${describeSource(effective.key.source)})` : 'not set',
    ]);
    print(
      {
        file: path,
        exists,
        url: effective.url ? { value: effective.url.value, source: effective.url.source } : null,
        key: effective.key ? { value: maskKey(effective.key.value), source: effective.key.source } : null,
      },
      rows.map(([name, value]) => `${name.padEnd(11)}  ${value}`).join('\n'),
    );
    return EXIT.ok;
  }

  let update: StoredConfig = {
    ...(global.url !== undefined ? { url: global.url } : {}),
    ...(global.key !== undefined ? { key: global.key } : {}),
  };
  if (update.url === undefined && update.key === undefined) {
    if (!io.stdin.isTTY || global.json) {
      throw new UsageError('give --url URL and/or --key KEY, or --show', usage, 'configure');
    }
    update = await askSettings(io, await readConfig(path));
  }
  let stored: StoredConfig;
  try {
    stored = await configure(path, update);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new UsageError((error as Error).message, usage, 'configure');
  }
  const masked = stored.key !== undefined ? maskKey(stored.key) : null;
  print(
    { file: path, url: stored.url ?? null, key: masked },
    `Saved ${path}\n  URL      ${stored.url ?? 'not set'}\n  API key  ${masked ?? 'not set'}`,
  );
  return EXIT.ok;
}

/** On a terminal without flags: ask, showing the stored values as defaults. */
async function askSettings(io: Io, current: StoredConfig): Promise<StoredConfig> {
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    const url = (await rl.question(`Service URL${current.url ? ` [${current.url}]` : ''}: `)).trim();
    const keyPrompt = `API key${current.key ? ` [${maskKey(current.key)}]` : ''}: `;
    const key = (await rl.question(keyPrompt)).trim();
    return { ...(url ? { url } : {}), ...(key ? { key } : {}) };
  } finally {
    rl.close();
  }
}
