/** The middleware every function wears: logger context, metrics flush, tracing. */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { startInvocation } from './invocation.ts';
import { logger, metrics, tracer } from './powertools.ts';

export function withPowertools<TEvent, TResult>(fn: (event: TEvent, context: Context) => Promise<TResult>) {
  return middy<TEvent, TResult>(fn)
    .before((request) => startInvocation(request.context))
    .use(captureLambdaHandler(tracer))
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics));
}
