/**
 * Parsing argv against the command specs (`spec.ts`): one parser that checks required flags,
 * whole numbers and choices, and the help printer. Commands never see a malformed argument;
 * what is wrong becomes a `UsageError` with the command's usage line.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';
import {
  COMMANDS,
  type CommandSpec,
  findCommand,
  GLOBAL_OPTIONS,
  GROUPS,
  type OptionSpec,
  type OptionValue,
  type OptionValues,
  VERSION_OPTION,
} from './spec.ts';

export interface GlobalOptions {
  url?: string;
  key?: string;
  json: boolean;
}

export interface Invocation {
  command: CommandSpec;
  values: OptionValues;
  positionals: string[];
  global: GlobalOptions;
}

export type ParseResult =
  | { kind: 'help'; text: string }
  | { kind: 'version' }
  | { kind: 'run'; invocation: Invocation };

const TOP_USAGE = '<command> [options]';

/** Global options that take a value: skipped, with their value, when looking for the command. */
const VALUE_GLOBALS = new Set(GLOBAL_OPTIONS.filter((o) => o.type !== 'boolean').map((o) => `--${o.name}`));

/** The command's words (`generate`, `career-level`) and where they are in argv. */
function commandWords(argv: readonly string[]): { word: string; index: number }[] {
  const words: { word: string; index: number }[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    if (token === '--') break;
    if (VALUE_GLOBALS.has(token)) {
      i++;
      continue;
    }
    if (token.startsWith('-')) continue;
    words.push({ word: token, index: i });
    if (words.length === 2 || !((words[0]?.word ?? '') in GROUPS)) break;
  }
  return words;
}

export function parseCommandLine(argv: readonly string[]): ParseResult {
  const words = commandWords(argv);
  const first = words[0]?.word;
  if (first === undefined) return parseTopLevel(argv);
  if (first === 'help')
    return { kind: 'help', text: helpFor(argv.filter((a) => !a.startsWith('-')).slice(1)) };
  const group = GROUPS[first];
  let name = first;
  if (group) {
    const sub = words[1]?.word;
    if (sub === undefined) {
      if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help', text: groupHelp(first) };
      throw new UsageError(`${first} what? ${subcommandList(first)}`, `quizgen ${group.usage}`, first);
    }
    name = `${first} ${sub}`;
    if (!findCommand(name)) {
      throw new UsageError(
        `unknown ${first} command '${sub}'; ${subcommandList(first)}`,
        `quizgen ${group.usage}`,
        first,
      );
    }
  }
  const command = findCommand(name);
  if (!command) {
    throw new UsageError(`unknown command '${first}'`, `quizgen ${TOP_USAGE}`, '');
  }
  const skip = new Set(words.map((w) => w.index));
  const rest = argv.filter((_, i) => !skip.has(i));
  return parseCommand(command, rest);
}

function subcommandList(group: string): string {
  const names = COMMANDS.filter((c) => c.name.startsWith(`${group} `)).map((c) =>
    c.name.slice(group.length + 1),
  );
  return `one of ${names.join(', ')}`;
}

function parseTopLevel(argv: readonly string[]): ParseResult {
  const values = runParseArgs([...GLOBAL_OPTIONS, VERSION_OPTION], argv, `quizgen ${TOP_USAGE}`, '').values;
  if (values.version === true) return { kind: 'version' };
  return { kind: 'help', text: overviewHelp() };
}

function toParseArgsOptions(options: readonly OptionSpec[]) {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; default?: boolean }> = {};
  for (const o of options) {
    config[o.name] = {
      type: o.type === 'boolean' ? 'boolean' : 'string',
      ...(o.short ? { short: o.short } : {}),
      ...(o.defaultTrue ? { default: true } : {}),
    };
  }
  return config;
}

function runParseArgs(
  options: readonly OptionSpec[],
  args: readonly string[],
  usage: string,
  command: string,
) {
  try {
    return parseArgs({
      args: [...args],
      options: toParseArgsOptions(options),
      allowPositionals: true,
      allowNegative: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(describeParseError(error as Error & { code?: string }), usage, command);
  }
}

/** node:util's messages, shortened to what a user needs to see. */
function describeParseError(error: Error & { code?: string }): string {
  const unknown = /Unknown option '([^']+)'/.exec(error.message);
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) return `unknown option ${unknown[1]}`;
  const missing = /Option '([^']+)' argument missing/.exec(error.message);
  if (missing) return `${missing[1]?.replace(' <value>', '')} needs a value`;
  return error.message;
}

function flag(o: OptionSpec): string {
  return o.value ? `--${o.name} ${o.value}` : `--${o.name}`;
}

function parseCommand(command: CommandSpec, args: readonly string[]): ParseResult {
  const usage = `quizgen ${command.usage}`;
  const fail = (message: string): never => {
    throw new UsageError(message, usage, command.name);
  };
  const parsed = runParseArgs([...GLOBAL_OPTIONS, ...command.options], args, usage, command.name);
  const raw = parsed.values as Record<string, string | boolean | undefined>;
  if (raw.help === true) return { kind: 'help', text: commandHelp(command) };

  const expected = command.positionals ?? [];
  const positionals = parsed.positionals;
  if (positionals.length < expected.length) fail(`missing ${expected[positionals.length]?.name}`);
  if (positionals.length > expected.length) fail(`unexpected argument '${positionals[expected.length]}'`);

  const values: OptionValues = {};
  for (const option of command.options) {
    const value = raw[option.name];
    if (value === undefined) {
      if (option.required) fail(`missing ${flag(option)}`);
      continue;
    }
    values[option.name] = convert(option, value, fail);
  }
  const problem = command.check?.(values);
  if (problem) fail(problem);

  const global: GlobalOptions = { json: raw.json === true };
  if (typeof raw.url === 'string') global.url = raw.url;
  if (typeof raw.key === 'string') global.key = raw.key;
  return { kind: 'run', invocation: { command, values, positionals, global } };
}

function convert(option: OptionSpec, value: string | boolean, fail: (message: string) => never): OptionValue {
  if (typeof value === 'boolean') return value;
  if (option.type === 'string') {
    if (value.trim() === '') fail(`--${option.name} must not be empty`);
    if (option.choices && !option.choices.includes(value)) {
      fail(`--${option.name} must be one of ${option.choices.join(', ')}, not '${value}'`);
    }
    return value;
  }
  const wholeNumber = /^[+-]?\d+$/.test(value.trim());
  const number = Number(value);
  if (option.type === 'integer' && !wholeNumber)
    fail(`--${option.name} must be a whole number, not '${value}'`);
  if (value.trim() === '' || !Number.isFinite(number))
    fail(`--${option.name} must be a number, not '${value}'`);
  if (option.min !== undefined && number < option.min)
    fail(`--${option.name} must be at least ${option.min}`);
  if (option.max !== undefined && number > option.max) fail(`--${option.name} must be at most ${option.max}`);
  return number;
}

// --- help ------------------------------------------------------------------------------

function optionLines(options: readonly OptionSpec[]): string[] {
  const labels = options.map((o) => {
    const long = o.defaultTrue ? `--no-${o.name}` : flag(o);
    return o.short ? `-${o.short}, ${long}` : `    ${long}`;
  });
  const width = Math.max(...labels.map((l) => l.length));
  return options.map((o, i) => {
    const extra = o.required ? ' (required)' : '';
    return `  ${(labels[i] ?? '').padEnd(width)}  ${o.help}${extra}`;
  });
}

export function commandHelp(command: CommandSpec): string {
  const lines = [`Usage: quizgen ${command.usage}`, '', `${command.summary}.`];
  if (command.description) lines.push('', command.description);
  if (command.positionals?.length) {
    lines.push('', 'Arguments:');
    for (const p of command.positionals) lines.push(`  ${p.name}  ${p.help}`);
  }
  if (command.options.length) lines.push('', 'Options:', ...optionLines(command.options));
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS));
  if (command.examples?.length) lines.push('', 'Examples:', ...command.examples.map((e) => `  ${e}`));
  return `${lines.join('\n')}\n`;
}

function groupHelp(group: string): string {
  const info = GROUPS[group];
  const commands = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  const width = Math.max(...commands.map((c) => c.name.length));
  return `${[
    `Usage: quizgen ${info?.usage ?? group}`,
    '',
    `${info?.summary ?? ''}.`,
    '',
    'Commands:',
    ...commands.map((c) => `  quizgen ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `Run 'quizgen ${group} <command> --help' for its options.`,
  ].join('\n')}\n`;
}

export function overviewHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `quizgen: the command-line client of the quiz generator service

Usage: quizgen ${TOP_USAGE}

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}
  ${'help [COMMAND]'.padEnd(width)}  Show help for a command

Global options:
${optionLines([...GLOBAL_OPTIONS, VERSION_OPTION]).join('\n')}

Settings: quizgen configure stores the URL and key in $XDG_CONFIG_HOME/quizgen/config.json
(default ~/.config/quizgen/config.json). QUIZGEN_URL and QUIZGEN_API_KEY override the file;
--url and --key override both.

Exit codes: 0 done, 1 API error, 2 API key missing or refused, 3 service URL missing or not
reachable, 4 job failed, 5 job cancelled, 64 bad arguments, 130 stopped watching (Ctrl-C).

Run 'quizgen <command> --help' for a command's options.
`;
}

/** `quizgen help`, `quizgen help generate`, `quizgen help generate sector`. */
function helpFor(topic: readonly string[]): string {
  if (topic.length === 0) return overviewHelp();
  const name = topic.join(' ');
  const command = findCommand(name);
  if (command) return commandHelp(command);
  if (topic.length === 1 && topic[0] !== undefined && GROUPS[topic[0]]) return groupHelp(topic[0]);
  throw new UsageError(`no command '${name}'`, 'quizgen help [COMMAND]', '');
}
