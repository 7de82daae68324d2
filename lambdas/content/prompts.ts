/**
 * The prompt and model settings for each section kind.
 *
 * Every prompt names the topic, audience, tone, style and language, the section's title and
 * place in the whole, its exact word target split over its fields, and the text of the sections
 * it depends on (`prompt-context.ts`), rendered through the section kind's template
 * (`prompt-templates.ts`). The model answers with JSON of the section's response schema
 * (`response-schemas.ts`), which `output-checks.ts` checks before the section is kept.
 */

import type { GenerationSettings } from '#platform/config.ts';
import { capabilitiesOf, outputLimit, type ThinkingLevel } from '#platform/gemini/model-capabilities.ts';
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
import type { SectionSpec } from './sections.ts';

export const PROMPT_VERSION = 'content-section/2';

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
  // A stored template written for counts still gets the structure's own questions.
  if (section.questions && !template.includes('{questionPlan}')) {
    parts.push(
      `Questions to write (this list replaces any other count or type above): ${values.questionPlan}`,
    );
  }
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
 * Model settings for one section's call. The output limit is the visible answer's room
 * (`config.maxTokens` can raise it but not lower it below what the word target needs: a cut-off
 * answer is unusable JSON, paid for and failed) plus room for the thoughts of the call's level,
 * since Gemini counts thoughts against `maxOutputTokens`; it doubles for each earlier answer of
 * the section that ended MAX_TOKENS. The first call thinks at the sections' level, revisions at
 * the repair level. `config.temperature` is passed on; `generationConfigFor` sends it only to a
 * model that documents sampling parameters.
 */
export function generationSettings(
  request: ExecuteRequest,
  section: SectionSpec,
  model: string,
  thinking: Pick<GenerationSettings['thinking'], 'sections' | 'repair'>,
  call = 1,
  maxTokensStops = 0,
): { temperature?: number; maxOutputTokens: number; thinkingLevel: ThinkingLevel } {
  const thinkingLevel = call === 1 ? thinking.sections : thinking.repair;
  return {
    ...(request.config.temperature !== undefined ? { temperature: request.config.temperature } : {}),
    thinkingLevel,
    maxOutputTokens: outputLimit({
      model,
      visibleTokens: Math.max(request.config.maxTokens ?? 0, maxTokensFor(section.targetWords)),
      level: thinkingLevel,
      maxTokensStops,
    }),
  };
}

/**
 * The note a job records when the client's `config.temperature` is not sent: the model does not
 * document sampling parameters (deprecated from Gemini 3.6 on), so it keeps its own default.
 */
export function temperatureNote(request: ExecuteRequest, model: string): string | undefined {
  if (request.config.temperature === undefined || capabilitiesOf(model).samplingParameters) return undefined;
  return `config.temperature (${request.config.temperature}) was not sent: ${model} does not document sampling parameters (deprecated from Gemini 3.6 on), so it keeps its default`;
}
