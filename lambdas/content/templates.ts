/**
 * Prompt templates: the shipped defaults (one per section kind, `content/prompt-templates.ts`)
 * and each owner's own, which override a default of the same name for that owner's jobs. Usage
 * count, average quality and time are kept per owner and template as counters.
 *
 * DynamoDB: TPL#<owner> / <name> (a user's template), TPLSTAT#<owner> / <name> (its counters).
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { dynamo } from '#platform/clients.ts';
import { templateKey, templatePk, templateStatsKey, templateStatsPk } from '#platform/keys.ts';
import { queryAll, tableName, withoutKeys } from '#platform/table.ts';
import { DEFAULT_TEMPLATES, type PromptTemplate, templateVariables } from './prompt-templates.ts';
import { STRUCTURE_TYPES } from './request.ts';

export const templateInputSchema = z.object({
  name: z
    .string({ error: 'is required' })
    .regex(
      /^[a-z][a-z0-9_]{1,63}$/,
      'must be 2–64 lower-case letters, digits or underscores, starting with a letter',
    ),
  contentType: z.string({ error: 'is required, e.g. "lesson"' }).min(1).max(64),
  structureType: z.enum(STRUCTURE_TYPES, { error: `must be one of ${STRUCTURE_TYPES.join(', ')}` }),
  template: z.string({ error: 'is required: the prompt text with {variables}' }).min(10).max(20_000),
  systemPrompt: z.string().max(10_000).optional(),
  recommendedModel: z.string().max(100).optional(),
  temperature: z.number().min(0).max(2).default(0.7),
  maxTokens: z.number().int().min(256).max(65_536).default(4000),
});
export type TemplateInput = z.infer<typeof templateInputSchema>;

interface StoredTemplate extends PromptTemplate {
  createdAt: string;
  updatedAt: string;
}

interface TemplateStats {
  usageCount: number;
  avgQualityScore: number | null;
  avgGenerationTimeMs: number | null;
}

const SHIPPED_AT = '2026-11-22T00:00:00Z';

async function ownTemplates(owner: string): Promise<StoredTemplate[]> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': templatePk(owner) },
  });
  return items.map((item) => withoutKeys<StoredTemplate>(item));
}

async function statsOf(owner: string): Promise<Map<string, TemplateStats>> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': templateStatsPk(owner) },
  });
  const stats = new Map<string, TemplateStats>();
  for (const item of items) {
    const uses = Number(item.uses ?? 0);
    const rated = Number(item.rated ?? 0);
    stats.set(String(item.sk), {
      usageCount: uses,
      avgQualityScore: rated > 0 ? Math.round((Number(item.quality_sum) / rated) * 10) / 10 : null,
      avgGenerationTimeMs: uses > 0 ? Math.round(Number(item.time_ms_sum ?? 0) / uses) : null,
    });
  }
  return stats;
}

/** Defaults overlaid with the owner's templates, in a stable order with the seed's numeric ids. */
async function allTemplates(owner: string) {
  const own = await ownTemplates(owner);
  const byName = new Map<string, StoredTemplate & { source: 'default' | 'custom' }>();
  for (const t of DEFAULT_TEMPLATES)
    byName.set(t.name, { ...t, createdAt: SHIPPED_AT, updatedAt: SHIPPED_AT, source: 'default' });
  for (const t of own) byName.set(t.name, { ...t, source: 'custom' });
  const stats = await statsOf(owner);
  return [...byName.values()].map((t, i) => ({
    id: i + 1,
    ...t,
    ...(stats.get(t.name) ?? { usageCount: 0, avgQualityScore: null, avgGenerationTimeMs: null }),
  }));
}

export async function listTemplates(owner: string, filter: { contentType?: string; structureType?: string }) {
  return (await allTemplates(owner))
    .filter((t) => !filter.contentType || t.contentType === filter.contentType)
    .filter((t) => !filter.structureType || t.structureType === filter.structureType)
    .map(({ template: _t, systemPrompt: _s, variables: _v, ...summary }) => summary);
}

export async function getTemplate(owner: string, name: string) {
  return (await allTemplates(owner)).find((t) => t.name === name);
}

/** The owner's own version of a template, when they made one. */
export async function customTemplate(owner: string, name: string): Promise<StoredTemplate | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: tableName(), Key: templateKey(owner, name) }),
  );
  return Item ? withoutKeys<StoredTemplate>(Item) : undefined;
}

export async function putTemplate(owner: string, input: TemplateInput) {
  const now = new Date().toISOString();
  const existing = await customTemplate(owner, input.name);
  const stored: StoredTemplate = {
    name: input.name,
    contentType: input.contentType,
    structureType: input.structureType,
    template: input.template,
    variables: templateVariables(input.template),
    systemPrompt: input.systemPrompt ?? DEFAULT_TEMPLATES[0]?.systemPrompt ?? '',
    ...(input.recommendedModel ? { recommendedModel: input.recommendedModel } : {}),
    temperature: input.temperature,
    maxTokens: input.maxTokens,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  };
  await dynamo.send(
    new PutCommand({ TableName: tableName(), Item: { ...templateKey(owner, input.name), ...stored } }),
  );
  return getTemplate(owner, input.name);
}

/** Counts one use of a template (one section generated with it) and how long it took. */
export async function recordTemplateUse(owner: string, name: string, timeMs: number): Promise<void> {
  await dynamo.send(
    new UpdateCommand({
      TableName: tableName(),
      Key: templateStatsKey(owner, name),
      UpdateExpression: 'ADD uses :one, time_ms_sum :t',
      ExpressionAttributeValues: { ':one': 1, ':t': Math.round(timeMs) },
    }),
  );
}

/** Counts a finished job's quality score once for each template its sections used. */
export async function recordTemplateQuality(
  owner: string,
  names: Iterable<string>,
  quality: number,
): Promise<void> {
  await Promise.all(
    [...new Set(names)].map((name) =>
      dynamo.send(
        new UpdateCommand({
          TableName: tableName(),
          Key: templateStatsKey(owner, name),
          UpdateExpression: 'ADD quality_sum :q, rated :one',
          ExpressionAttributeValues: { ':q': quality, ':one': 1 },
        }),
      ),
    ),
  );
}
