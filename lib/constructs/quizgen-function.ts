import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { HANDLER_ENTRIES } from '#contract/pipeline.ts';
import { REQUIRE_BANNER } from '../bundling.ts';
import { ENTRY_METADATA_KEY, type HandlerRole, ROLE_METADATA_KEY } from '../definition.ts';
import { acknowledgeWildcards } from '../nag.ts';

/** The repository root: entries and the lock file are found from here, whatever the cwd. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const SERVICE_NAME = 'quizgen';
export const METRICS_NAMESPACE = 'QuizGen';

export interface QuizgenFunctionProps {
  /** Which handler of HANDLER_ENTRIES this function runs. */
  role: HandlerRole;
  description: string;
  /** @default 30 seconds */
  timeout?: cdk.Duration;
  /** @default 512 */
  memorySize?: number;
  environment?: Record<string, string>;
  /**
   * Files built into the asset beside the bundle: `'console'` runs `console/build.ts` into
   * `console/` (the web console the health function serves).
   */
  extraFiles?: 'console';
}

/**
 * A Lambda function running one of the handlers in `lambdas/`, with the defaults every function
 * of this service shares: Node 24 on ARM64, ESM bundle split into chunks (lib/bundling.ts) with
 * source maps (read when a stack trace is, by lambdas/platform/stack-traces.ts), X-Ray, JSON logs
 * in its own log group, Powertools service name.
 */
export class QuizgenFunction extends nodejs.NodejsFunction {
  readonly handlerRole: HandlerRole;
  readonly entryPath: string;

  constructor(scope: Construct, id: string, props: QuizgenFunctionProps) {
    const entryPath = HANDLER_ENTRIES[props.role];
    // Children must be created before super() can receive them, so the role and log group live
    // in the parent scope under ids derived from this function's id.
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: logs.RetentionDays.ONE_MONTH,
      // Logs age out anyway; keeping the group after the stack is gone only leaves an orphan.
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });
    // An own role instead of AWSLambdaBasicExecutionRole: that managed policy may write to
    // every log group in the account, this one only to the function's own group.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the ${props.role} handler (${entryPath})`,
    });
    logGroup.grantWrite(role);

    super(scope, id, {
      entry: join(REPO_ROOT, entryPath),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? cdk.Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        ...props.environment,
      },
      bundling: {
        // NodejsFunction's own esbuild pass, with the options of lib/bundling.ts less splitting
        // (it writes --outfile, which esbuild refuses with --splitting); afterBundling then
        // rebuilds the entry split into chunks, into the same folder (lib/split-bundle.ts).
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        // Bundle the AWS SDK too, so deployed code runs the SDK versions the tests ran against
        // rather than whichever copy the Lambda runtime ships.
        externalModules: [],
        banner: REQUIRE_BANNER,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => [
            `node "${join(inputDir, 'lib', 'split-bundle.ts')}" "${join(inputDir, entryPath)}" "${outputDir}"`,
            ...(props.extraFiles === 'console'
              ? [`node "${join(inputDir, 'console', 'build.ts')}" "${join(outputDir, 'console')}"`]
              : []),
          ],
        },
      },
    });

    this.handlerRole = props.role;
    this.entryPath = entryPath;

    const cfn = this.node.defaultChild as cdk.CfnResource;
    cfn.addMetadata(ENTRY_METADATA_KEY, entryPath);
    cfn.addMetadata(ROLE_METADATA_KEY, props.role);

    acknowledgeWildcards(
      role,
      { resources: ['*'] },
      'X-Ray PutTraceSegments and PutTelemetryRecords do not support resource-level permissions.',
    );
  }
}
