/** Runs the `quizgen` command line as a user would, against a local stack. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const QUIZGEN_BIN = fileURLToPath(new URL('../../bin/quizgen.js', import.meta.url));

export interface QuizgenResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `quizgen args` with `url` and `key` in its environment and `home` as its config folder; `env`
 * overrides any variable (undefined removes it). No QUIZGEN_* variable of the caller leaks in.
 */
export function runQuizgen(
  args: string[],
  options: { url: string; key: string; home: string; env?: Record<string, string | undefined>; cwd?: string },
): Promise<QuizgenResult> {
  const base: Record<string, string | undefined> = { ...process.env };
  for (const name of ['QUIZGEN_URL', 'QUIZGEN_API_KEY', 'QUIZGEN_DEBUG']) delete base[name];
  const merged = {
    ...base,
    QUIZGEN_URL: options.url,
    QUIZGEN_API_KEY: options.key,
    XDG_CONFIG_HOME: options.home,
    ...options.env,
  };
  const env = Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [QUIZGEN_BIN, ...args], { env, cwd: options.cwd ?? options.home });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
