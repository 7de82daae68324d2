import * as cdk from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { STATE_NAMES } from '#contract/pipeline.ts';
import { ENV } from '#platform/config.ts';
import { acknowledgeWildcards } from '../nag.ts';
import { queueVisibilitySeconds, type Settings, settingsEnvironment } from '../settings.ts';
import type { GeminiSecret } from './gemini-secret.ts';
import { QuizgenFunction } from './quizgen-function.ts';
import type { Storage } from './storage.ts';

const DEAD_LETTER_TIMEOUT_SECONDS = 30;
/** Eleven attempts of 10 s and their back-off (1 s doubling to 30 s) take about 290 s. */
const WEBHOOK_SENDER_TIMEOUT_SECONDS = 300;

export interface PipelineProps {
  settings: Settings;
  storage: Storage;
  geminiSecret: GeminiSecret;
}

/**
 * The job pipeline: a Step Functions state machine that plans a job into stages of chunks, sends
 * each chunk of a stage to an SQS queue with a task token and waits for the whole stage before
 * starting the next, then assembles and finalizes; the worker that drains the queue within the
 * LLM budget; and the rule that marks a job failed when its execution ends without reaching
 * "Finalize job" or "Mark job failed".
 */
export class Pipeline extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly stateMachine: sfn.StateMachine;
  readonly functions: {
    planChunks: QuizgenFunction;
    assembleResults: QuizgenFunction;
    finalizeJob: QuizgenFunction;
    markJobFailed: QuizgenFunction;
    executionEnded: QuizgenFunction;
    generateChunkWorker: QuizgenFunction;
    deadLetter: QuizgenFunction;
    batchRound: QuizgenFunction;
  };

  constructor(scope: Construct, id: string, props: PipelineProps) {
    super(scope, id);
    const { settings, storage, geminiSecret } = props;
    const environment = settingsEnvironment(settings);

    this.deadLetterQueue = new sqs.Queue(this, 'ChunkDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: cdk.Duration.days(14),
      visibilityTimeout: cdk.Duration.seconds(6 * DEAD_LETTER_TIMEOUT_SECONDS),
    });
    this.queue = new sqs.Queue(this, 'ChunkQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the worker's timeout, as AWS recommends for a Lambda event source (see
      // queueVisibilitySeconds): MaximumConcurrency does not stop every throttle (the account's
      // or the function's concurrency can still run out), and a throttled invocation is retried
      // only while its message stays invisible. Transient failures set their own, shorter delay
      // with ChangeMessageVisibility, so only a crashed worker's chunk waits this long.
      visibilityTimeout: cdk.Duration.seconds(queueVisibilitySeconds(settings.workerTimeoutSeconds)),
      // Past the task timeout the iteration has already given up on the chunk; its message is
      // no use to anyone.
      retentionPeriod: cdk.Duration.seconds(settings.chunkTimeoutSeconds),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.chunkMaxReceives },
    });

    const fn = (role: keyof Pipeline['functions'], description: string, timeoutSeconds = 60) =>
      new QuizgenFunction(this, `${role[0]?.toUpperCase()}${role.slice(1)}Function`, {
        role,
        description,
        timeout: cdk.Duration.seconds(timeoutSeconds),
        environment,
      });
    this.functions = {
      // Content jobs with an empty structure are outlined by one model call while planning.
      planChunks: fn('planChunks', 'Expands a job into chunks, skipping those already checkpointed', 300),
      assembleResults: fn(
        'assembleResults',
        'Merges chunk files into the sector files and the combined bank',
        300,
      ),
      // The three functions that end a job send its completion or failure webhook: long enough
      // for a usual delivery's retries (callbackRetries × webhookTimeoutSeconds + back-off).
      // Retries that do not fit stop before the function's deadline, so a timed-out function is
      // never retried into sending the webhook again (content/webhooks.ts `deadline`).
      finalizeJob: fn(
        'finalizeJob',
        'Sets the final job status, summary, usage and cost; sends the webhook',
        WEBHOOK_SENDER_TIMEOUT_SECONDS,
      ),
      markJobFailed: fn(
        'markJobFailed',
        'Marks a job failed when a pipeline step fails; sends the webhook',
        WEBHOOK_SENDER_TIMEOUT_SECONDS,
      ),
      executionEnded: fn(
        'executionEnded',
        'Marks a job failed when its execution fails, times out or is aborted; sends the webhook',
        WEBHOOK_SENDER_TIMEOUT_SECONDS,
      ),
      generateChunkWorker: fn(
        'generateChunkWorker',
        'Generates one chunk with Gemini and returns the result to its waiting Map iteration',
        settings.workerTimeoutSeconds,
      ),
      deadLetter: fn(
        'deadLetter',
        'Fails the waiting Map iteration of a chunk whose worker died on every delivery',
        DEAD_LETTER_TIMEOUT_SECONDS,
      ),
      // Taking in a finished batch checks and keeps every chunk's answer: up to a full bank's.
      batchRound: fn(
        'batchRound',
        "Batch mode: submits a round of chunk requests to Gemini's Batch API, or takes in its answers",
        900,
      ),
    };
    const { assembleResults, executionEnded, generateChunkWorker, deadLetter, planChunks, batchRound } =
      this.functions;

    // Least privilege from what each handler calls: only the worker and "Assemble results" touch
    // S3 in the pipeline; the others read and write job records only. The worker grounds
    // assessment questions in a document's passages and writes each chunk file (quiz chunks to
    // the checkpoint, assessment chunks next to their job, content sections next to theirs,
    // reading the sections of earlier stages they build on); nothing in the pipeline deletes.
    for (const f of Object.values(this.functions)) storage.useTable(f);
    storage.useBucket(generateChunkWorker, {
      read: ['documents', 'content'],
      write: ['checkpoints', 'assessments', 'content', 'raw'],
    });
    storage.useBucket(assembleResults, {
      read: ['checkpoints', 'results', 'assessments', 'content'],
      write: ['results', 'assessments', 'content'],
    });
    // Planning a content job reads its request, may ask Gemini for an outline, and writes the
    // section plan; it also checks which sections a retried job already has.
    storage.useBucket(planChunks, { read: ['content'], write: ['content'] });
    // Batch mode does the worker's job for quiz chunks, round by round, keeping its state in batches/.
    storage.useBucket(batchRound, {
      read: ['batches'],
      write: ['checkpoints', 'batches', 'raw'],
    });
    geminiSecret.useKey(generateChunkWorker);
    geminiSecret.useKey(planChunks);
    geminiSecret.useKey(batchRound);

    this.stateMachine = this.buildStateMachine(settings);

    // The worker extends a message's visibility while it backs off on a 429, so it needs the
    // queue URL as well as the event source.
    generateChunkWorker.addEnvironment(ENV.chunkQueueUrl, this.queue.queueUrl);
    this.queue.grant(generateChunkWorker, 'sqs:ChangeMessageVisibility');
    generateChunkWorker.addEventSource(
      new eventSources.SqsEventSource(this.queue, {
        batchSize: 1,
        reportBatchItemFailures: true,
        maxConcurrency: settings.llmMaxConcurrency,
      }),
    );
    // Success or failure for its chunk; grantTaskResponse would add SendTaskHeartbeat, never sent.
    this.stateMachine.grant(generateChunkWorker, 'states:SendTaskSuccess', 'states:SendTaskFailure');

    deadLetter.addEventSource(
      new eventSources.SqsEventSource(this.deadLetterQueue, { batchSize: 10, reportBatchItemFailures: true }),
    );
    // It only ever fails the waiting iteration.
    this.stateMachine.grant(deadLetter, 'states:SendTaskFailure');

    new events.Rule(this, 'ExecutionEndedRule', {
      description: 'A job execution failed, timed out or was aborted: make sure the job is not left running',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [this.stateMachine.stateMachineArn],
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
        },
      },
      targets: [new targets.LambdaFunction(executionEnded, { retryAttempts: 8 })],
    });
  }

  private buildStateMachine(settings: Settings): sfn.StateMachine {
    const { planChunks, assembleResults, finalizeJob, markJobFailed, batchRound } = this.functions;
    const catchAll = { errors: [sfn.Errors.ALL], resultPath: '$.error' };

    const plan = new tasks.LambdaInvoke(this, STATE_NAMES.plan, {
      lambdaFunction: planChunks,
      payloadResponseOnly: true,
    });

    const generate = new tasks.SqsSendMessage(this, STATE_NAMES.generate, {
      queue: this.queue,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      messageBody: sfn.TaskInput.fromObject({
        task_token: sfn.JsonPath.taskToken,
        job_id: sfn.JsonPath.stringAt('$.job_id'),
        owner: sfn.JsonPath.stringAt('$.owner'),
        chunk_key: sfn.JsonPath.stringAt('$.chunk_key'),
      }),
      // The owner (the API key's id) names the tenant: on a standard queue a MessageGroupId makes
      // it a fair queue, which delivers quiet tenants' messages before a noisy one's backlog
      // ("Amazon SQS fair queues", SQS Developer Guide:
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-fair-queues.html).
      // The queue itself needs no setting, and stays standard (no ordering, no per-group limits).
      messageGroupId: sfn.JsonPath.stringAt('$.owner'),
      taskTimeout: sfn.Timeout.duration(cdk.Duration.seconds(settings.chunkTimeoutSeconds)),
    });
    // A failed chunk becomes a result like any other, so one bad chunk never fails the job.
    const recordFailure = new sfn.Pass(this, STATE_NAMES.chunkFailed, {
      parameters: {
        chunk_key: sfn.JsonPath.stringAt('$.chunk_key'),
        status: 'failed',
        error: sfn.JsonPath.stringAt('$.error.Cause'),
      },
    });
    generate.addCatch(recordFailure, catchAll);

    const chunks = new sfn.Map(this, STATE_NAMES.map, {
      itemsPath: '$.chunks',
      maxConcurrency: settings.mapMaxConcurrency,
      itemSelector: {
        job_id: sfn.JsonPath.stringAt('$.job_id'),
        owner: sfn.JsonPath.stringAt('$.owner'),
        chunk_key: sfn.JsonPath.stringAt('$$.Map.Item.Value'),
      },
    });
    chunks.itemProcessor(generate);

    // Stages run in order, each only once every chunk of the one before has an answer, so a
    // chunk can read what an earlier stage wrote. The result is one list of chunk results per
    // stage; the handlers flatten it (see flatChunkResults).
    const stages = new sfn.Map(this, STATE_NAMES.stages, {
      itemsPath: '$.stages',
      maxConcurrency: 1,
      itemSelector: {
        job_id: sfn.JsonPath.stringAt('$.job_id'),
        owner: sfn.JsonPath.stringAt('$.owner'),
        stage: sfn.JsonPath.numberAt('$$.Map.Item.Index'),
        chunks: sfn.JsonPath.listAt('$$.Map.Item.Value'),
      },
      resultPath: '$.chunk_results',
    });
    stages.itemProcessor(chunks);

    const assemble = new tasks.LambdaInvoke(this, STATE_NAMES.assemble, {
      lambdaFunction: assembleResults,
      payloadResponseOnly: true,
      resultPath: '$.assembled',
    });
    const finalize = new tasks.LambdaInvoke(this, STATE_NAMES.finalize, {
      lambdaFunction: finalizeJob,
      payloadResponseOnly: true,
      resultPath: '$.finalized',
    });

    // The error stays in the state (resultPath DISCARD) so "Job failed" reports it in the console.
    const markFailed = new tasks.LambdaInvoke(this, STATE_NAMES.markFailed, {
      lambdaFunction: markJobFailed,
      payloadResponseOnly: true,
      resultPath: sfn.JsonPath.DISCARD,
    });
    markFailed.next(
      new sfn.Fail(this, STATE_NAMES.fail, { errorPath: '$.error.Error', causePath: '$.error.Cause' }),
    );
    // Batch mode: a loop of "Run batch round" and a wait, until every chunk has an outcome; its
    // results take the place of the stages' for "Assemble results".
    const round = new tasks.LambdaInvoke(this, STATE_NAMES.batchRound, {
      lambdaFunction: batchRound,
      payloadResponseOnly: true,
      resultPath: '$.batch',
    });
    // A round is idempotent (its state is in S3), so a failed call is simply made again.
    round.addRetry({
      errors: [sfn.Errors.ALL],
      interval: cdk.Duration.seconds(10),
      maxAttempts: 5,
      backoffRate: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });
    const collect = new sfn.Pass(this, STATE_NAMES.batchResults, {
      inputPath: '$.batch.chunk_results',
      resultPath: '$.chunk_results',
    });
    const wait = new sfn.Wait(this, STATE_NAMES.batchWait, {
      time: sfn.WaitTime.secondsPath('$.batch.wait_seconds'),
    });
    round.next(
      new sfn.Choice(this, STATE_NAMES.batchDone)
        .when(sfn.Condition.booleanEquals('$.batch.done', true), collect.next(assemble))
        .otherwise(wait.next(round)),
    );
    const byMode = new sfn.Choice(this, STATE_NAMES.batchMode)
      .when(sfn.Condition.stringEquals('$.mode', 'batch'), round)
      .otherwise(stages);

    for (const step of [plan, stages, round, assemble, finalize]) step.addCatch(markFailed, catchAll);
    // Lambda's own throttling is not in the default service-error retry, and a burst of jobs
    // finishing together can hit it.
    for (const task of [plan, assemble, finalize, markFailed]) {
      task.addRetry({
        errors: ['Lambda.TooManyRequestsException'],
        interval: cdk.Duration.seconds(2),
        maxAttempts: 6,
        backoffRate: 2,
        jitterStrategy: sfn.JitterType.FULL,
      });
    }

    stages.next(assemble);
    assemble.next(
      new sfn.Choice(this, STATE_NAMES.qualityCheck)
        // A Choice on a missing path is a runtime error, so the flag is checked for first.
        .when(
          sfn.Condition.and(
            sfn.Condition.isPresent('$.assembled.regenerate'),
            sfn.Condition.booleanEquals('$.assembled.regenerate', true),
          ),
          plan,
        )
        .otherwise(finalize),
    );

    const logGroup = new logs.LogGroup(this, 'StateMachineLogGroup', {
      // Vended-logs names keep the CloudWatch Logs resource policy small as state machines grow.
      logGroupName: `/aws/vendedlogs/states/${cdk.Stack.of(this).stackName}-pipeline`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });

    const stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      comment:
        'One generation job: plan chunks in stages, generate the chunks of each stage through SQS (or in rounds of Gemini batches), assemble, finalize',
      stateMachineType: sfn.StateMachineType.STANDARD,
      definitionBody: sfn.DefinitionBody.fromChainable(plan.next(byMode)),
      // An execution that outlives every bound of its settings (lib/settings.ts checks the
      // timeout covers them) ends TIMED_OUT, and the execution-ended rule fails its job.
      timeout: cdk.Duration.seconds(settings.executionTimeoutSeconds),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });

    acknowledgeWildcards(
      stateMachine.role,
      {
        resources: [
          '*',
          ...[planChunks, assembleResults, finalizeJob, markJobFailed, batchRound].map(
            (f) => `${f.functionArn}:*`,
          ),
        ],
      },
      'Resource * is required by X-Ray (PutTraceSegments, GetSampling*) and by CloudWatch Logs delivery (CreateLogDelivery and friends), which have no resource-level permissions; <function>:* are the versions and aliases of the five pipeline functions the tasks invoke.',
    );
    return stateMachine;
  }

  /** The ARN pattern of this state machine's executions, for Stop/DescribeExecution grants. */
  executionArnPattern(): string {
    return cdk.Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.stateMachine.stateMachineName}:*`,
      arnFormat: cdk.ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /** STATE_MACHINE_ARN and the rights to start, stop and describe job executions. */
  useStateMachine(fnToGrant: QuizgenFunction): void {
    fnToGrant.addEnvironment(ENV.stateMachineArn, this.stateMachine.stateMachineArn);
    this.stateMachine.grantStartExecution(fnToGrant);
    const executions = this.executionArnPattern();
    fnToGrant.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:StopExecution', 'states:DescribeExecution'],
        resources: [executions],
      }),
    );
    acknowledgeWildcards(
      fnToGrant.role ?? fnToGrant,
      { resources: [executions] },
      'Execution ARNs of this one state machine; an execution is named after its job id, known only at run time.',
    );
  }
}
