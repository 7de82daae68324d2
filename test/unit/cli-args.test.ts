import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { commandHelp, type Invocation, parseCommandLine } from '../../cli/args.ts';
import { EXIT, UsageError } from '../../cli/errors.ts';
import { COMMANDS } from '../../cli/spec.ts';

function invocation(argv: string[]): Invocation {
  const parsed = parseCommandLine(argv);
  assert.equal(parsed.kind, 'run', `expected a command to run for ${argv.join(' ')}`);
  return (parsed as { invocation: Invocation }).invocation;
}

function usageError(argv: string[]): UsageError {
  try {
    parseCommandLine(argv);
  } catch (error) {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${error}`);
    assert.equal(error.exitCode, EXIT.usage);
    return error;
  }
  assert.fail(`${argv.join(' ')} parsed without error`);
}

describe('parseCommandLine', () => {
  it('reads a group command with typed options', () => {
    const { command, values, global } = invocation([
      'generate',
      'career-level',
      '--sector',
      'technology',
      '--career',
      'FRONTEND_DEVELOPER',
      '--level',
      '2',
    ]);
    assert.equal(command.name, 'generate career-level');
    assert.deepEqual(values, { sector: 'technology', career: 'FRONTEND_DEVELOPER', level: 2, watch: true });
    assert.deepEqual(global, { json: false });
  });

  it('takes global options before or after the command, and --no-watch', () => {
    const { command, values, global } = invocation([
      '--url',
      'http://x:1',
      'generate',
      'sector',
      '--sector=finance',
      '--no-watch',
      '--json',
      '--key',
      'k',
    ]);
    assert.equal(command.name, 'generate sector');
    assert.equal(values.watch, false);
    assert.deepEqual(global, { json: true, url: 'http://x:1', key: 'k' });
  });

  it('reads a job argument and numeric options', () => {
    const watch = invocation(['watch', 'abc', '--interval', '0.5']);
    assert.deepEqual(watch.positionals, ['abc']);
    assert.equal(watch.values.interval, 0.5);
    const jobs = invocation(['jobs', '--status', 'running', '--limit', '5']);
    assert.deepEqual(jobs.values, { status: 'running', limit: 5 });
  });

  it('refuses a level that is not a whole number, with the command usage', () => {
    const error = usageError([
      'generate',
      'career-level',
      '--sector',
      's',
      '--career',
      'c',
      '--level',
      'two',
    ]);
    assert.match(error.message, /--level must be a whole number, not 'two'/);
    assert.equal(error.usage, 'quizgen generate career-level --sector S --career C --level N [options]');
    assert.equal(error.command, 'generate career-level');
    assert.match(
      usageError(['generate', 'career-level', '--sector', 's', '--career', 'c', '--level', '1.5']).message,
      /whole number/,
    );
  });

  it('names a missing required flag, argument or value', () => {
    assert.match(
      usageError(['generate', 'career-level', '--sector', 's', '--level', '1']).message,
      /missing --career C/,
    );
    assert.match(usageError(['status']).message, /missing JOB/);
    assert.match(usageError(['status', 'a', 'b']).message, /unexpected argument 'b'/);
    assert.match(usageError(['jobs', '--limit']).message, /--limit needs a value/);
  });

  it('refuses unknown commands, subcommands, options and choices', () => {
    assert.match(usageError(['frobnicate']).message, /unknown command 'frobnicate'/);
    const sub = usageError(['generate', 'everything']);
    assert.match(
      sub.message,
      /unknown generate command 'everything'; one of career-level, sector, soft-skills, full/,
    );
    assert.match(usageError(['generate']).message, /generate what\?/);
    assert.match(usageError(['jobs', '--colour']).message, /unknown option --colour/);
    assert.match(
      usageError(['jobs', '--status', 'done']).message,
      /--status must be one of pending, running/,
    );
    assert.match(usageError(['jobs', '--limit', '500']).message, /at most 100/);
  });

  it('checks download choices across options', () => {
    assert.match(usageError(['download']).message, /say what to download/);
    assert.match(usageError(['download', '--combined', '--soft-skills']).message, /choose one of/);
    assert.match(usageError(['download', '--content', '4', '--combined']).message, /choose one of/);
    assert.match(
      usageError(['download', '--content', '4', '--format', 'gift']).message,
      /leave out --format/,
    );
    assert.match(usageError(['download', '--sector', 's', '--career', 'c']).message, /go together/);
    const ok = invocation([
      'download',
      '--sector',
      's',
      '--career',
      'c',
      '--level',
      '3',
      '--format',
      'qti21',
      '-o',
      '-',
    ]);
    assert.deepEqual(ok.values, { sector: 's', career: 'c', level: 3, format: 'qti21', output: '-' });
  });

  it('requires a query for assess', () => {
    assert.match(usageError(['assess', '--mix', 'remember:5']).message, /missing --query TEXT/);
    const ok = invocation(['assess', '--topic', 'cells', '--mix', 'remember:5,apply:5', '--no-save']);
    assert.deepEqual(ok.values, { topic: 'cells', mix: 'remember:5,apply:5', save: false, watch: true });
  });

  it('answers help for every form of asking', () => {
    for (const argv of [[], ['--help'], ['help'], ['-h']]) {
      const parsed = parseCommandLine(argv);
      assert.equal(parsed.kind, 'help');
      assert.match((parsed as { text: string }).text, /Usage: quizgen <command>/);
    }
    for (const argv of [
      ['jobs', '--help'],
      ['help', 'jobs'],
    ]) {
      const parsed = parseCommandLine(argv);
      assert.match((parsed as { text: string }).text, /Usage: quizgen jobs \[--status S\]/);
    }
    const group = parseCommandLine(['generate', '--help']) as { text: string };
    assert.match(group.text, /quizgen generate career-level/);
    assert.deepEqual(parseCommandLine(['--version']), { kind: 'version' });
  });

  it('documents every option of every command', () => {
    for (const command of COMMANDS) {
      const help = commandHelp(command);
      for (const option of command.options)
        assert.ok(help.includes(`-${option.name}`), `${command.name} --${option.name}`);
    }
  });
});
