/**
 * Where the CLI finds the service and its key: `--url`/`--key` flags, then the QUIZGEN_URL and
 * QUIZGEN_API_KEY variables, then the file `quizgen configure` writes
 * (`$XDG_CONFIG_HOME/quizgen/config.json`, default `~/.config/quizgen/config.json`, mode 0600).
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, EXIT } from './errors.ts';

export interface StoredConfig {
  url?: string;
  key?: string;
}

export type Source = 'flag' | 'env' | 'file';

export interface Setting {
  value: string;
  source: Source;
}

export interface ResolvedSettings {
  url?: Setting;
  key?: Setting;
}

export interface Connection {
  url: string;
  key: string;
  /** How to fix a wrong URL or key, given where each came from. */
  urlHint: string;
  keyHint: string;
}

export type Env = Record<string, string | undefined>;

/** The quiz API's base path: users paste the URL `npm start` prints, which ends with it. */
const QUIZ_BASE_PATH = '/api/v1/quiz-generator';

export function configPath(env: Env): string {
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg?.startsWith('/') ? xdg : join(env.HOME || homedir(), '.config');
  return join(base, 'quizgen', 'config.json');
}

export async function readConfig(path: string): Promise<StoredConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`Cannot read ${path}: ${(error as Error).message}`, EXIT.internal);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    const { url, key } = parsed as Record<string, unknown>;
    return {
      ...(typeof url === 'string' ? { url } : {}),
      ...(typeof key === 'string' ? { key } : {}),
    };
  } catch {
    throw new CliError(
      `${path} is not a valid quizgen configuration; run quizgen configure --url URL --key KEY to rewrite it`,
      EXIT.usage,
    );
  }
}

/** Writes the file readable by its owner only (the key is a secret); the folder is 0700. */
export async function writeConfig(path: string, config: StoredConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // An existing file keeps its mode through rename of a new one; chmod covers a umask that widened it.
  await chmod(temporary, 0o600);
  await rename(temporary, path);
}

/**
 * A service URL in the form requests are built on: http(s), no trailing slash, and without the
 * quiz API's base path when it was pasted with it. Throws a message on anything else.
 */
export function normalizeUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new Error(`'${input}' is not a URL; give it like http://localhost:3000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`'${input}' is not an http or https URL`);
  }
  if (url.search || url.hash) throw new Error(`'${input}' has a query or fragment; give the API's root URL`);
  let path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith(QUIZ_BASE_PATH)) path = path.slice(0, -QUIZ_BASE_PATH.length);
  return `${url.origin}${path}`;
}

/** Flags win over the environment, the environment over the file. Empty values count as unset. */
export function resolveSettings(flags: StoredConfig, env: Env, file: StoredConfig): ResolvedSettings {
  const pick = (flag?: string, fromEnv?: string, fromFile?: string): Setting | undefined => {
    if (flag) return { value: flag, source: 'flag' };
    if (fromEnv) return { value: fromEnv, source: 'env' };
    if (fromFile) return { value: fromFile, source: 'file' };
    return undefined;
  };
  const url = pick(flags.url, env.QUIZGEN_URL, file.url);
  const key = pick(flags.key, env.QUIZGEN_API_KEY, file.key);
  return { ...(url ? { url } : {}), ...(key ? { key } : {}) };
}

const URL_HINTS: Record<Source, string> = {
  flag: 'check --url',
  env: 'check QUIZGEN_URL, which overrides quizgen configure --url',
  file: 'check quizgen configure --url',
};
const KEY_HINTS: Record<Source, string> = {
  flag: 'check --key',
  env: 'check QUIZGEN_API_KEY, which overrides quizgen configure --key',
  file: 'run quizgen configure --key KEY',
};

/** The URL and key a command talks to the API with; missing or malformed ones stop it here. */
export function connectionOf(settings: ResolvedSettings): Connection {
  if (!settings.url) {
    throw new CliError(
      'No service URL: run quizgen configure --url URL (or set QUIZGEN_URL, or pass --url)',
      EXIT.unreachable,
    );
  }
  if (!settings.key) {
    throw new CliError(
      'No API key: run quizgen configure --key KEY (or set QUIZGEN_API_KEY, or pass --key)',
      EXIT.keyRefused,
    );
  }
  let url: string;
  try {
    url = normalizeUrl(settings.url.value);
  } catch (error) {
    throw new CliError(`${(error as Error).message}; ${URL_HINTS[settings.url.source]}`, EXIT.unreachable);
  }
  return {
    url,
    key: settings.key.value.trim(),
    urlHint: URL_HINTS[settings.url.source],
    keyHint: KEY_HINTS[settings.key.source],
  };
}

/** `oj4u…5fjo`: enough to tell keys apart, not enough to use one. */
export function maskKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(key.length);
  return `${key.slice(0, 4)}${'*'.repeat(Math.min(key.length - 8, 32))}${key.slice(-4)}`;
}

export function describeSource(source: Source): string {
  return { flag: 'from the command line', env: 'from the environment', file: 'from the config file' }[source];
}
