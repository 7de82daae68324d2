/**
 * The language of generated text: an ISO 639-1 code (two lower-case letters), `en` unless a
 * request says otherwise. The codes are the ISO 639-1 column of the Library of Congress's
 * ISO 639-2 registry (`data/languages.json` names its sources).
 *
 * Only the bare code is accepted. A BCP 47 tag with a region or script ("pt-BR", "zh-Hant") is
 * refused with a message naming the code to send instead: the service cannot honour the region
 * (prompts say "Portuguese", not "Brazilian Portuguese"), and quietly dropping it would hand a
 * client something other than what it asked for. Upper case ("FR") is refused the same way,
 * so every job, question and export carries one spelling per language.
 */
import * as z from 'zod';
import languagesJson from '#data/languages.json' with { type: 'json' };

export const DEFAULT_LANGUAGE = 'en';

const NAMES: Readonly<Record<string, string>> = languagesJson.languages;

export const LANGUAGE_CODES: readonly string[] = Object.keys(NAMES);

export function isLanguageCode(code: string): boolean {
  return Object.hasOwn(NAMES, code);
}

/** The language's English name, for prompts ("French"); the code itself when it is unknown. */
export function languageName(code: string): string {
  return NAMES[code] ?? code;
}

const EXPECTED = `an ISO 639-1 language code of two lower-case letters, such as "language": "fr" (default "${DEFAULT_LANGUAGE}")`;

/**
 * What a value that is not a language code must be instead, as the phrase after "must be"
 * (each API puts it in its own sentence); undefined when it is a code.
 */
export function languageProblem(value: string): string | undefined {
  if (isLanguageCode(value)) return undefined;
  const primary = value.split(/[-_]/)[0]?.toLowerCase() ?? '';
  if (isLanguageCode(primary) && primary !== value) {
    return value.length === 2
      ? `an ISO 639-1 code in lower case: "language": "${primary}"`
      : `an ISO 639-1 code alone, without region or script: "language": "${primary}" for "${value}"`;
  }
  return EXPECTED;
}

/** A language code, or an issue whose message is the phrase after "must be". */
export const languageCode = z.string({ error: EXPECTED }).superRefine((value, ctx) => {
  const problem = languageProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** A request's `language` in the APIs whose messages read "<field>: must be ...": `en` when absent. */
export const languageField = z
  .string({ error: `must be ${EXPECTED}` })
  .superRefine((value, ctx) => {
    const problem = languageProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `must be ${problem}` });
  })
  .default(DEFAULT_LANGUAGE);

/** A line for prompts: the model writes every text the reader sees in the job's language. */
export function languageInstruction(code: string, what: string): string {
  return `Write ${what} in ${languageName(code)} (ISO 639-1 "${code}").`;
}
