/**
 * Which Gemini model a content request runs on. The seed's clients name other providers' models
 * (`gpt-4o-mini`), so a name this service cannot call falls back to the default with a note.
 */
import { isRetired, liveModels, priceTable } from '#platform/gemini/pricing.ts';
import type { GenerationConfig } from './request.ts';

/**
 * The Gemini model a request runs on: `config.aiModel` when it names a live model of the price
 * table (the only models this service calls and can price), otherwise `defaultModel`, with a
 * note saying why the requested one was not used (a request kept from before its model's
 * shutdown runs on the default).
 */
export function chooseModel(
  config: GenerationConfig,
  defaultModel: string,
  at: number = Date.now(),
): { model: string; note?: string } {
  const requested = config.aiModel?.trim();
  if (!requested || requested === defaultModel) return { model: defaultModel };
  const name = requested.replace(/^models\//, '');
  if (priceTable.models[name] && isRetired(name, at)) {
    const note = `config.aiModel "${requested}" was shut down on ${priceTable.models[name]?.retires_on}; ${defaultModel} is used.`;
    return { model: defaultModel, note };
  }
  if (priceTable.models[name]) return { model: name };
  const known = liveModels(at).join(', ');
  const why = /^gemini/i.test(name)
    ? `is not one of the Gemini models this service offers (${known})`
    : `is not a Gemini model; this service generates with Gemini (${known})`;
  return { model: defaultModel, note: `config.aiModel "${requested}" ${why}; ${defaultModel} is used.` };
}
