/** Powertools instances shared by every function (service name from POWERTOOLS_SERVICE_NAME). */
import './stack-traces.ts';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'quizgen';

export const logger = new Logger({ serviceName });
// Most invocations of the API and pipeline functions add no metric, and Metrics warns about
// each such flush; only its errors are worth a log line.
export const metrics = new Metrics({
  serviceName,
  namespace: 'QuizGen',
  logger: logger.createChild({ logLevel: 'ERROR' }),
});
export const tracer = new Tracer({ serviceName });
