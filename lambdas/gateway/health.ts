/** `GET /health`: no key needed; says the function runs and which model it is set to use. */
import { generationSettings } from '#platform/config.ts';
import { json } from '#platform/http.ts';
import { withPowertools } from '#platform/middleware.ts';

export const handler = withPowertools(async () =>
  json(200, {
    status: 'ok',
    service: 'quizgen',
    model: generationSettings().model,
    time: new Date().toISOString(),
  }),
);
