import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { REPO_ROOT } from './constructs/quizgen-function.ts';
import { QuizGenStack } from './quizgen-stack.ts';
import { readSettings, type Settings } from './settings.ts';

export const STACK_ID = 'QuizGen';

export interface CreateAppOptions {
  /** Bundle the functions with esbuild. Off for tests and the local runtime, which only need the template. @default true */
  bundle?: boolean;
  /** Setting values that win over CDK context and defaults. */
  settings?: Partial<Settings>;
  /** Extra CDK context, as `cdk -c` would give. */
  context?: Record<string, unknown>;
  /**
   * Run CDK's built-in CloudFormation validation at synth (about a second of WebAssembly).
   * @default the value of `bundle`: a fast in-process synth skips it, `cdk synth` runs it.
   */
  validate?: boolean;
}

/**
 * Builds the app and its one stack. The CLI runs it through bin/app.ts; tests and the local
 * runtime call it in-process and read the template from `Template.fromStack` or `app.synth()`.
 */
export function createApp(options: CreateAppOptions = {}): { app: cdk.App; stack: QuizGenStack } {
  const bundle = options.bundle ?? true;
  const app = new cdk.App({
    // The CLI passes cdk.json's context itself; an in-process app reads it here so feature flags
    // (and so the template) are the same either way. CLI context still wins over these.
    context: { ...cdkJsonContext(), ...options.context },
    // Empty bundling-stacks makes NodejsFunction skip esbuild and stage the source directory.
    postCliContext: bundle ? undefined : { 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: options.validate ?? bundle,
  });
  const settings = readSettings(app, options.settings);
  const stack = new QuizGenStack(app, STACK_ID, {
    settings,
    description:
      'Quiz bank and learning-content generation with Gemini (API Gateway, Step Functions, SQS, Lambda)',
  });
  return { app, stack };
}

function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}
