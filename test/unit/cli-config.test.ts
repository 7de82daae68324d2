import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { configure } from '../../cli/commands.ts';
import {
  configPath,
  connectionOf,
  maskKey,
  normalizeUrl,
  readConfig,
  resolveSettings,
} from '../../cli/config.ts';
import { type CliError, EXIT } from '../../cli/errors.ts';

describe('resolveSettings', () => {
  const file = { url: 'http://file:1', key: 'file-key' };
  const env = { QUIZGEN_URL: 'http://env:2', QUIZGEN_API_KEY: 'env-key' };

  it('prefers flags over the environment over the file', () => {
    assert.deepEqual(resolveSettings({ url: 'http://flag:3', key: 'flag-key' }, env, file), {
      url: { value: 'http://flag:3', source: 'flag' },
      key: { value: 'flag-key', source: 'flag' },
    });
    assert.deepEqual(resolveSettings({}, env, file), {
      url: { value: 'http://env:2', source: 'env' },
      key: { value: 'env-key', source: 'env' },
    });
    assert.deepEqual(resolveSettings({}, {}, file), {
      url: { value: 'http://file:1', source: 'file' },
      key: { value: 'file-key', source: 'file' },
    });
  });

  it('mixes sources per setting and treats empty variables as unset', () => {
    const resolved = resolveSettings(
      { key: 'flag-key' },
      { QUIZGEN_URL: '', QUIZGEN_API_KEY: 'env-key' },
      file,
    );
    assert.deepEqual(resolved.url, { value: 'http://file:1', source: 'file' });
    assert.deepEqual(resolved.key, { value: 'flag-key', source: 'flag' });
  });
});

describe('connectionOf', () => {
  it('hints at the place each setting came from', () => {
    const connection = connectionOf({
      url: { value: 'http://localhost:3000/', source: 'env' },
      key: { value: ' k ', source: 'file' },
    });
    assert.equal(connection.url, 'http://localhost:3000');
    assert.equal(connection.key, 'k');
    assert.match(connection.urlHint, /QUIZGEN_URL/);
    assert.match(connection.keyHint, /quizgen configure --key/);
  });

  it('stops without a URL (exit 3) or a key (exit 2)', () => {
    assert.throws(
      () => connectionOf({ key: { value: 'k', source: 'flag' } }),
      (e: CliError) => e.exitCode === EXIT.unreachable && /quizgen configure --url/.test(e.message),
    );
    assert.throws(
      () => connectionOf({ url: { value: 'http://x', source: 'flag' } }),
      (e: CliError) => e.exitCode === EXIT.keyRefused && /quizgen configure --key/.test(e.message),
    );
  });
});

describe('normalizeUrl', () => {
  it('keeps the stage path and drops a pasted quiz base path and slashes', () => {
    assert.equal(
      normalizeUrl('https://a.execute-api.eu-west-1.amazonaws.com/prod/'),
      'https://a.execute-api.eu-west-1.amazonaws.com/prod',
    );
    assert.equal(normalizeUrl('http://localhost:3000/api/v1/quiz-generator/'), 'http://localhost:3000');
  });

  it('refuses what is not an http URL', () => {
    assert.throws(() => normalizeUrl('localhost:3000'), /not an http or https URL|not a URL/);
    assert.throws(() => normalizeUrl('nonsense'), /not a URL/);
  });
});

describe('the config file', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'quizgen-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lives under XDG_CONFIG_HOME, else ~/.config', () => {
    assert.equal(configPath({ XDG_CONFIG_HOME: '/x' }), '/x/quizgen/config.json');
    assert.equal(configPath({ HOME: '/home/u' }), '/home/u/.config/quizgen/config.json');
    assert.equal(
      configPath({ XDG_CONFIG_HOME: 'relative', HOME: '/home/u' }),
      '/home/u/.config/quizgen/config.json',
    );
  });

  it('is written with mode 0600 and updated one setting at a time', async () => {
    const path = configPath({ XDG_CONFIG_HOME: dir });
    assert.deepEqual(await readConfig(path), {});
    await configure(path, { url: 'http://localhost:3000/', key: 'secret-key-123' });
    await configure(path, { key: 'other-key-456' });
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), {
      url: 'http://localhost:3000',
      key: 'other-key-456',
    });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  it('says how to fix a file that is not JSON', async () => {
    const path = join(dir, 'broken.json');
    await writeFile(path, '{nope');
    await assert.rejects(readConfig(path), /not a valid quizgen configuration; run quizgen configure/);
  });
});

describe('maskKey', () => {
  it('shows the ends of a key only', () => {
    assert.equal(maskKey('oj4uhbJ8Sa0dELT8fKx8'), 'oj4u************fKx8');
    assert.equal(maskKey('short'), '*****');
  });
});
