/**
 * Deployment settings: typed, read from CDK context (`cdk synth -c llmMaxConcurrency=20`, or the
 * `context` block of cdk.json), validated before anything is built so a bad value fails synth
 * with a message that names the setting instead of a CloudFormation error twenty minutes later.
 *
 * The defaults the handlers share come from `lambdas/platform/config.ts` DEFAULTS, so a deployed
 * stack and a function started without those variables behave the same.
 */
import type { Construct } from 'constructs';
import { ENV } from '#platform/config.ts';
import { SETTING_DEFAULTS, SETTING_NAMES, type Settings } from './setting-values.ts';
import { chunkLifetimeSeconds, validateSettings } from './settings-checks.ts';

export * from './setting-values.ts';
export * from './settings-checks.ts';

/** `-c name=value` always arrives as a string; cdk.json and tests may pass real JSON values. */
function coerce(name: keyof Settings, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const fallback = SETTING_DEFAULTS[name];
  const text = value.trim();
  if (typeof fallback === 'number') return text === '' ? Number.NaN : Number(text);
  if (typeof fallback === 'boolean') {
    if (text === 'true') return true;
    if (text === 'false') return false;
    return text;
  }
  return name === 'apiQuotaPeriod' || name.endsWith('ThinkingLevel') ? text.toUpperCase() : text;
}

/**
 * Settings for a construct tree: explicit overrides first, then CDK context, then defaults.
 * Throws InvalidSettingsError listing every bad value at once.
 */
export function readSettings(scope: Construct, overrides: Partial<Settings> = {}): Settings {
  const merged: Record<string, unknown> = { ...SETTING_DEFAULTS };
  const given = new Set<keyof Settings>();
  for (const name of SETTING_NAMES) {
    const fromContext = scope.node.tryGetContext(name);
    if (fromContext !== undefined) merged[name] = coerce(name, fromContext);
    const override = overrides[name];
    if (override !== undefined) merged[name] = override;
    if (fromContext !== undefined || override !== undefined) given.add(name);
  }
  if (!given.has('chunkTimeoutSeconds')) {
    merged.chunkTimeoutSeconds = defaultChunkTimeoutSeconds(merged as unknown as Settings);
  }
  return validateSettings(merged as unknown as Settings);
}

/**
 * The chunk timeout when none is given: the default, or what the other settings need if that is
 * more (fewer workers, longer runs, more jobs at once), in whole 10 minutes. A value given is
 * checked instead, so a deployment that sets it knows when it falls short.
 */
function defaultChunkTimeoutSeconds(s: Settings): number {
  const inputs = [
    s.plannedConcurrentJobs,
    s.mapMaxConcurrency,
    s.llmMaxConcurrency,
    s.chunkMaxReceives,
    s.workerTimeoutSeconds,
  ];
  if (!inputs.every((n) => Number.isInteger(n) && n > 0)) return SETTING_DEFAULTS.chunkTimeoutSeconds;
  const { queueWait, deliveries } = chunkLifetimeSeconds(s);
  return Math.max(SETTING_DEFAULTS.chunkTimeoutSeconds, Math.ceil((queueWait + deliveries) / 600) * 600);
}

/**
 * The settings a function reads through `lambdas/platform/config.ts`, as environment variables.
 * Every pipeline and API function gets the same values so they agree on the budget and sizes.
 */
export function settingsEnvironment(s: Settings): Record<string, string> {
  return {
    [ENV.geminiModel]: s.geminiModel,
    [ENV.llmMaxConcurrency]: String(s.llmMaxConcurrency),
    [ENV.llmRequestsPerMinute]: String(s.llmRequestsPerMinute),
    [ENV.questionsPerCareerLevel]: String(s.questionsPerCareerLevel),
    [ENV.questionsPerSoftSkillsJob]: String(s.questionsPerSoftSkillsJob),
    [ENV.syncWaitSeconds]: String(s.syncWaitSeconds),
    [ENV.jobRetentionDays]: String(s.jobRetentionDays),
    [ENV.chunkMaxReceives]: String(s.chunkMaxReceives),
    [ENV.resultInlineMaxBytes]: String(s.resultInlineMaxBytes),
    [ENV.geminiTimeoutSeconds]: String(s.geminiTimeoutSeconds),
    [ENV.jobReconcileAfterSeconds]: String(s.jobReconcileAfterSeconds),
    [ENV.geminiEmbeddingModel]: s.geminiEmbeddingModel,
    [ENV.embeddingDimensions]: String(s.embeddingDimensions),
    [ENV.embeddingRequestsPerMinute]: String(s.embeddingRequestsPerMinute),
    [ENV.documentMaxBytes]: String(s.documentMaxBytes),
    [ENV.inlineUploadMaxBytes]: String(s.inlineUploadMaxBytes),
    [ENV.ingestTimeoutSeconds]: String(s.ingestTimeoutSeconds),
    [ENV.assessmentTimeoutSeconds]: String(s.assessmentTimeoutSeconds),
    [ENV.assessmentRetentionHours]: String(s.assessmentRetentionHours),
    [ENV.contentRequestsPerMinute]: String(s.contentRequestsPerMinute),
    [ENV.contentMaxConcurrentJobs]: String(s.contentMaxConcurrentJobs),
    [ENV.contentInlineMaxBytes]: String(s.contentInlineMaxBytes),
    [ENV.webhookTimeoutSeconds]: String(s.webhookTimeoutSeconds),
    [ENV.nearDuplicateThreshold]: String(s.nearDuplicateThreshold),
    [ENV.allowAllNoneOfAbove]: String(s.allowAllNoneOfAbove),
    [ENV.batchPollSeconds]: String(s.batchPollSeconds),
    // Only when set: without it the SDK calls Gemini itself.
    ...(s.geminiBaseUrl ? { [ENV.geminiBaseUrl]: s.geminiBaseUrl } : {}),
    [ENV.questionsThinkingLevel]: s.questionsThinkingLevel,
    [ENV.sectionsThinkingLevel]: s.sectionsThinkingLevel,
    [ENV.outlineThinkingLevel]: s.outlineThinkingLevel,
    [ENV.repairThinkingLevel]: s.repairThinkingLevel,
    [ENV.batchPollMaxSeconds]: String(s.batchPollMaxSeconds),
    [ENV.batchWindowSeconds]: String(s.batchWindowSeconds),
  };
}
