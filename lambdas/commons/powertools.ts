/** Powertools instances shared by every function (service name from POWERTOOLS_SERVICE_NAME). */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'quizgen';

export const logger = new Logger({ serviceName });
// Metrics' own warnings (e.g. an invocation that added none) go through the structured logger.
export const metrics = new Metrics({ serviceName, namespace: 'QuizGen', logger });
export const tracer = new Tracer({ serviceName });
