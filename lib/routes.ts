/**
 * The REST routes, as data. The API construct builds one API Gateway resource and method per
 * entry; the local gateway and the infrastructure tests read the same list, so a route added
 * here exists everywhere. Kept free of aws-cdk-lib imports so the local gateway loads it cheaply.
 */
import type { HANDLER_ENTRIES } from '#contract/pipeline.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type ApiHandlerRole = Extract<
  keyof typeof HANDLER_ENTRIES,
  'quizGeneratorApi' | 'healthApi' | 'docsApi' | 'assessmentsApi' | 'contentApi'
>;

export interface Route {
  method: HttpMethod;
  /** API Gateway resource path, with `{name}` path parameters, as it appears in `event.resource`. */
  path: string;
  handler: ApiHandlerRole;
  apiKeyRequired: boolean;
}

export const API_STAGE_NAME = 'prod';
export const API_BASE_PATH = '/api/v1/quiz-generator';

const api = (method: HttpMethod, path: string): Route => ({
  method,
  path: `${API_BASE_PATH}/${path}`,
  handler: 'quizGeneratorApi',
  apiKeyRequired: true,
});

/** The assessment service's routes sit at the API root, where its specification puts them. */
const assessments = (method: HttpMethod, path: string): Route => ({
  method,
  path: `/${path}`,
  handler: 'assessmentsApi',
  apiKeyRequired: true,
});

/** The Content Generator's routes sit at the API root too, its endpoints under `/api`. */
const content = (method: HttpMethod, path: string, apiKeyRequired = true): Route => ({
  method,
  path: `/${path}`,
  handler: 'contentApi',
  apiKeyRequired,
});

/**
 * Response headers a browser may read besides the CORS-safelisted ones: the content API's
 * rate-limit headers, and when to come back after a 429.
 */
export const CORS_EXPOSED_HEADERS = [
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'Retry-After',
  'Content-Disposition',
] as const;

/** Request headers a browser may send: the API key (either form), a worker id and a JSON body's type. */
export const CORS_ALLOWED_HEADERS = ['Content-Type', 'X-API-Key', 'Authorization', 'X-Worker-ID'] as const;

export const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/health', handler: 'healthApi', apiKeyRequired: false },
  // The API's description (lambdas/api-docs/): every route below is described there.
  { method: 'GET', path: '/openapi.json', handler: 'docsApi', apiKeyRequired: false },
  { method: 'GET', path: '/docs', handler: 'docsApi', apiKeyRequired: false },
  // The web console's page and its files: public, they hold no data (lambdas/gateway/console.ts).
  { method: 'GET', path: '/console', handler: 'healthApi', apiKeyRequired: false },
  { method: 'GET', path: '/console/{asset}', handler: 'healthApi', apiKeyRequired: false },
  api('GET', 'sectors'),
  api('GET', 'checkpoint'),
  api('GET', 'api-status'),
  api('GET', 'jobs'),
  api('GET', 'jobs/{job_id}'),
  api('DELETE', 'jobs/{job_id}'),
  api('POST', 'jobs/{job_id}/cancel'),
  // Not in the seed: the quality gate's report of a job, and the key's monthly budget.
  api('GET', 'jobs/{job_id}/quality'),
  api('GET', 'budget'),
  api('PUT', 'budget'),
  api('POST', 'generate/career-level'),
  api('POST', 'generate/soft-skills'),
  api('POST', 'generate/sector'),
  api('POST', 'generate/career-level/async'),
  api('POST', 'generate/soft-skills/async'),
  api('POST', 'generate/sector/async'),
  api('POST', 'generate/full/async'),
  api('GET', 'results/combined'),
  api('GET', 'results/soft-skills'),
  api('GET', 'results/sectors/{sector}'),
  api('GET', 'results/sectors/{sector}/careers/{career}/levels/{level}'),
  assessments('GET', 'job_status'),
  assessments('POST', 'generate_assessment'),
  // EduMate's own route for MCQs and open questions (suyash-sketch/edu-mate generation.py).
  assessments('POST', 'generate'),
  assessments('GET', 'documents'),
  assessments('POST', 'documents'),
  assessments('GET', 'documents/{document_id}'),
  assessments('DELETE', 'documents/{document_id}'),
  assessments('POST', 'documents/{document_id}/complete'),
  assessments('GET', 'assessments'),
  assessments('POST', 'assessments'),
  assessments('GET', 'assessments/{assessment_id}'),
  assessments('PUT', 'assessments/{assessment_id}'),
  assessments('DELETE', 'assessments/{assessment_id}'),
  // EduMate's own routes (its client's frontend/src/api.js), aliases over the ones above.
  assessments('POST', 'chunking'),
  assessments('GET', 'chunking/status'),
  assessments('POST', 'chat'),
  assessments('POST', 'api/assessments/save'),
  assessments('GET', 'api/assessments/history'),
  assessments('GET', 'api/assessments/{assessment_id}'),
  // The review API (lambdas/review/review-api.ts), served by the assessments API's handler.
  assessments('GET', 'questions'),
  assessments('POST', 'questions/review'),
  assessments('PATCH', 'questions/{id}'),
  assessments('GET', 'questions/{id}/history'),
  assessments('POST', 'questions/{id}/regenerate'),
  // The seed's health check and documentation are public; `/health` is the health function's.
  content('GET', '', false),
  content('GET', 'help', false),
  content('POST', 'api/execute'),
  content('GET', 'api/templates'),
  content('POST', 'api/templates'),
  content('GET', 'api/templates/{name}'),
  content('PUT', 'api/templates/{name}'),
  content('GET', 'api/jobs'),
  content('GET', 'api/jobs/{id}'),
  content('GET', 'api/jobs/{id}/status'),
  content('GET', 'api/jobs/{id}/content'),
  content('POST', 'api/jobs/{id}/retry'),
  content('POST', 'api/jobs/{id}/cancel'),
  content('GET', 'api/stats'),
  content('GET', 'api/analytics'),
  content('GET', 'api/economy/pricing'),
  content('POST', 'api/economy/estimate'),
  content('GET', 'api/economy/stats'),
  // Not in the seed: how an integrator learns the secret that signs their webhooks.
  content('GET', 'api/webhooks/secret'),
];

export interface RouteMatch {
  route: Route;
  pathParameters: Record<string, string> | null;
}

/**
 * Finds the route for a request path (without stage), the way API Gateway does: literal path
 * segments win over `{param}` segments. Path parameter values are URL-decoded. Returns
 * `undefined` when no route has this method and path; `pathExists` tells the two cases apart.
 */
export function matchRoute(method: string, path: string): RouteMatch | undefined {
  const candidates = ROUTES.map((route) => ({ route, params: matchPath(route.path, path) })).filter(
    (c) => c.params !== undefined && c.route.method === method.toUpperCase(),
  );
  candidates.sort((a, b) => paramCount(a.route.path) - paramCount(b.route.path));
  const best = candidates[0];
  if (best?.params === undefined) return undefined;
  return {
    route: best.route,
    pathParameters: Object.keys(best.params).length > 0 ? best.params : null,
  };
}

/** Whether any route has this path, whatever its method. */
export function pathExists(path: string): boolean {
  return ROUTES.some((route) => matchPath(route.path, path) !== undefined);
}

function paramCount(template: string): number {
  return template.split('/').filter((s) => s.startsWith('{')).length;
}

function matchPath(template: string, path: string): Record<string, string> | undefined {
  const want = template.split('/').filter(Boolean);
  const got = path.split('?')[0]?.split('/').filter(Boolean) ?? [];
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, segment] of want.entries()) {
    const actual = got[i] ?? '';
    if (segment.startsWith('{') && segment.endsWith('}')) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
      params[segment.slice(1, -1)] = decoded;
    } else if (segment !== actual) {
      return undefined;
    }
  }
  return params;
}
