import { Template } from 'aws-cdk-lib/assertions';
import { createApp } from '../../lib/app.ts';
import type { CfnTemplate } from '../../lib/definition.ts';
import type { Settings } from '../../lib/settings.ts';

/** Every value differs from its default, so a test cannot pass by reading the default. */
export const CUSTOM_SETTINGS = {
  llmMaxConcurrency: 7,
  mapMaxConcurrency: 12,
  chunkMaxReceives: 6,
  plannedConcurrentJobs: 3,
  chunkTimeoutSeconds: 5400,
  workerTimeoutSeconds: 300,
  rawResponseRetentionDays: 9,
  apiThrottleRateLimit: 11,
  apiThrottleBurstLimit: 22,
  apiStageThrottleRateLimit: 111,
  apiStageThrottleBurstLimit: 222,
  apiQuotaLimit: 3333,
  apiQuotaPeriod: 'WEEK',
  geminiModel: 'gemini-3.6-flash',
  geminiEmbeddingModel: 'gemini-embedding-2',
  embeddingDimensions: 1536,
  embeddingRequestsPerMinute: 900,
  documentMaxBytes: 50 * 1024 * 1024,
  inlineUploadMaxBytes: 2 * 1024 * 1024,
  ingestTimeoutSeconds: 600,
  ingestMaxConcurrency: 3,
  assessmentTimeoutSeconds: 300,
  assessmentRetentionHours: 12,
  contentRequestsPerMinute: 40,
  contentMaxConcurrentJobs: 4,
  contentInlineMaxBytes: 50_000,
  webhookTimeoutSeconds: 7,
} satisfies Partial<Settings>;

/** Synthesizes the stack in-process without esbuild bundling (the template is all these tests need). */
export function synthesize(settings: Partial<Settings> = CUSTOM_SETTINGS) {
  const { app, stack } = createApp({ bundle: false, settings });
  const template = Template.fromStack(stack);
  return { app, stack, template, json: template.toJSON() as CfnTemplate };
}
