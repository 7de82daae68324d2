import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { z } from 'zod';
import languagesJson from '#data/languages.json' with { type: 'json' };
import { validate } from '#platform/http.ts';
import {
  DEFAULT_LANGUAGE,
  isLanguageCode,
  LANGUAGE_CODES,
  languageField,
  languageInstruction,
  languageName,
  languageProblem,
} from '#platform/language.ts';

describe('ISO 639-1 codes', () => {
  it('are the 184 two-letter codes of the Library of Congress registry, lower case, sorted', () => {
    assert.equal(LANGUAGE_CODES.length, 184);
    assert.ok(LANGUAGE_CODES.every((c) => /^[a-z]{2}$/.test(c)));
    assert.deepEqual([...LANGUAGE_CODES], [...LANGUAGE_CODES].sort());
    assert.match(languagesJson.source, /loc\.gov\/standards\/iso639-2/);
    for (const code of ['en', 'fr', 'es', 'vi', 'ru', 'hi', 'zh', 'ja', 'ko', 'ar', 'bh']) {
      assert.ok(isLanguageCode(code), code);
    }
    // Not ISO 639-1: three-letter codes, and the withdrawn "sh" (Serbo-Croatian).
    for (const code of ['eng', 'fra', 'sh', 'xx', 'EN', '']) assert.equal(isLanguageCode(code), false, code);
  });

  it('have English names for prompts', () => {
    assert.equal(languageName('fr'), 'French');
    assert.equal(languageName('hi'), 'Hindi');
    assert.equal(
      languageInstruction('fr', 'the questions'),
      'Write the questions in French (ISO 639-1 "fr").',
    );
  });
});

describe('languageField', () => {
  const body = z.strictObject({ language: languageField });
  const parse = (value: unknown) => validate(body, value, 'body');
  const problem = (value: unknown) => {
    try {
      parse(value);
    } catch (error) {
      return (error as Error).message;
    }
    assert.fail(`${JSON.stringify(value)} was accepted`);
  };

  it('defaults to "en" and keeps a code as given', () => {
    assert.equal(parse({}).language, DEFAULT_LANGUAGE);
    assert.equal(parse({ language: 'fr' }).language, 'fr');
  });

  it('refuses a tag with a region, naming the code to send', () => {
    assert.equal(
      problem({ language: 'pt-BR' }),
      'body.language: must be an ISO 639-1 code alone, without region or script: "language": "pt" for "pt-BR"',
    );
  });

  it('refuses upper case, naming the lower-case code', () => {
    assert.equal(
      problem({ language: 'FR' }),
      'body.language: must be an ISO 639-1 code in lower case: "language": "fr"',
    );
  });

  it('refuses names, three-letter codes, unknown codes and non-strings with an example', () => {
    for (const value of ['French', 'fra', 'xx', '', 42, null]) {
      assert.match(
        problem({ language: value }),
        /^body\.language: must be an ISO 639-1 language code of two lower-case letters, such as "language": "fr" \(default "en"\)$/,
        String(value),
      );
    }
  });

  it('gives the content API the phrase after "must be"', () => {
    assert.equal(languageProblem('fr'), undefined);
    assert.equal(
      languageProblem('zh_Hant'),
      'an ISO 639-1 code alone, without region or script: "language": "zh" for "zh_Hant"',
    );
  });
});
