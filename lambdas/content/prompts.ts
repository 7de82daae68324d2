/**
 * The prompt and model settings for each section kind.
 *
 * Every prompt names the topic, audience, tone, style and language, the section's title and
 * place in the whole, its exact word target split over its fields, and the text of the sections
 * it depends on (`prompt-context.ts`), rendered through the section kind's template
 * (`prompt-templates.ts`). The model answers with JSON of the section's response schema
 * (`response-schemas.ts`), which `output-checks.ts` checks before the section is kept.
 */

import { promptVariables } from './prompt-context.ts';
import {
  DEFAULT_SYSTEM_PROMPT,
  LENGTH,
  maxTokensFor,
  type PromptTemplate,
  renderTemplate,
  TEMPLATE_TEXT,
} from './prompt-templates.ts';
import type { ExecuteRequest } from './request.ts';
import { KINDS, type SectionSpec } from './sections.ts';

export const PROMPT_VERSION = 'content-section/1';

const JSON_RULE = 'Answer only with JSON that matches the response schema.';

/**
 * The prompt for one section. `template` replaces the default template text (a stored or user
 * template); the word target and the dependency text are appended when it leaves them out.
 */
export function sectionPrompt(
  request: ExecuteRequest,
  plan: SectionSpec[],
  section: SectionSpec,
  outputs: ReadonlyMap<string, unknown>,
  template: string = TEMPLATE_TEXT[section.kind],
): string {
  const values = promptVariables(request, plan, section, outputs);
  const parts = [renderTemplate(template, values)];
  if (!template.includes('{wordTarget}')) parts.push(renderTemplate(LENGTH, values));
  if (!template.includes('{dependencies}') && values.dependencies) parts.push(values.dependencies);
  return parts
    .join('\n\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The system instruction: the client's `systemPrompt` when given, and always the JSON rule. */
export function systemInstructionFor(request: ExecuteRequest, template?: PromptTemplate): string {
  const base = request.config.systemPrompt ?? template?.systemPrompt ?? DEFAULT_SYSTEM_PROMPT;
  return `${base} ${JSON_RULE}`;
}

/**
 * Model settings for one section. `config.maxTokens` can raise the output limit but not lower it
 * below what the section's word target needs: a cut-off answer is unusable JSON, which would
 * only fail the section after paying for it.
 */
export function generationSettings(
  request: ExecuteRequest,
  section: SectionSpec,
): { temperature: number; maxOutputTokens: number } {
  return {
    temperature: request.config.temperature ?? KINDS[section.kind].temperature,
    maxOutputTokens: Math.max(request.config.maxTokens ?? 0, maxTokensFor(section.targetWords)),
  };
}
