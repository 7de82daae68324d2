/**
 * What can go wrong in the CLI, as typed errors that carry their exit code. `main` prints the
 * message of any of these and exits with its code; nothing else reaches the user as a stack.
 */

/** Exit codes, documented in `quizgen help`. 64 and 70 are sysexits' EX_USAGE and EX_SOFTWARE. */
export const EXIT = {
  ok: 0,
  /** The API answered an error (4xx or 5xx), or the job or file asked for does not exist. */
  apiError: 1,
  /** No API key, or the gateway refused it (401 or 403). */
  keyRefused: 2,
  /** No service URL, or nothing answers at it. */
  unreachable: 3,
  /** A watched job ended failed. */
  jobFailed: 4,
  /** A watched job ended cancelled. */
  jobCancelled: 5,
  usage: 64,
  internal: 70,
  /** Ctrl-C while watching: the job goes on, only the watching stops. */
  interrupted: 130,
} as const;

export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Bad arguments: printed with the usage line of the command they were given to. */
export class UsageError extends CliError {
  /** The command's usage line, `quizgen jobs [--status S] [--limit N]`. */
  readonly usage: string;
  /** The command's name for `quizgen <name> --help`, or empty for the top level. */
  readonly command: string;
  constructor(message: string, usage: string, command: string) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
    this.usage = usage;
    this.command = command;
  }
}

/** An error answer of the API, with the server's message. */
export class ApiError extends CliError {
  readonly status: number;
  readonly body: unknown;
  constructor(message: string, status: number, body: unknown, exitCode: number = EXIT.apiError) {
    super(message, exitCode);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
  }
}
