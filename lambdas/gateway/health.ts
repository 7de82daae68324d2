/**
 * The public function: `GET /health` says the function runs and which model it is set to use;
 * `GET /console` and its files are the web console (`console.ts`). Neither needs a key nor
 * touches data, so one function without grants serves both.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { generationSettings } from '#platform/config.ts';
import { json } from '#platform/http.ts';
import { withPowertools } from '#platform/middleware.ts';
import { serveConsole } from './console.ts';

export const handler = withPowertools(async (event?: APIGatewayProxyEvent) => {
  if (event?.resource?.startsWith('/console')) return serveConsole(event);
  return json(200, {
    status: 'ok',
    service: 'quizgen',
    model: generationSettings().model,
    time: new Date().toISOString(),
  });
});
