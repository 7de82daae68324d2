/**
 * The Quiz Generator API, `/api/v1/quiz-generator/...`: the seed's endpoints plus job
 * cancellation and result downloads, as JSON or exported for an LMS (`?format=`). Thin: each
 * route validates, calls a service, answers; the HTTP edge (`httpApi`) routes and answers errors.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import { isExportFormat } from '#exports/index.ts';
import { exportResponse, requestedFormat } from '#exports/response.ts';
import type { ChunkFile } from '#jobs/chunk-generator.ts';
import { JOB_STATUSES, type JobParameters, type JobRecord, toApiJob } from '#jobs/job.ts';
import * as service from '#jobs/job-service.ts';
import * as jobStore from '#jobs/job-store.ts';
import * as results from '#jobs/results-store.ts';
import { DEFAULTS, ENV, intEnv } from '#platform/config.ts';
import { InvalidRequest, JobNotFound, ResultNotFound } from '#platform/errors.ts';
import { geminiApiKey } from '#platform/gemini/api-key.ts';
import {
  detailEnvelope,
  httpApi,
  json,
  noContent,
  parseBody,
  parseQuery,
  type Route,
  type RouteTable,
  validate,
} from '#platform/http.ts';
import { s3Keys } from '#platform/keys.ts';
import { languageField } from '#platform/language.ts';
import { withPowertools } from '#platform/middleware.ts';
import { reviewedResult, reviewFilterOf } from '#review/review-filter.ts';
import { reviewCounts } from '#review/review-store.ts';
import {
  catalog,
  LEVELS,
  levelDescription,
  requireCareer,
  requireLevel,
  requireSector,
  sectorDetails,
  sectorIds,
  softSkillTopics,
} from './catalog.ts';
import { careerLevelKey, type QuizJobType, SOFT_SKILLS } from './chunks.ts';
import { jobTitle, quizBankBasics } from './kind-basics.ts';

export const BASE_PATH = '/api/v1/quiz-generator';
const PRESIGNED_URL_SECONDS = 900;

const regenerate = z.boolean({ error: 'must be true or false' }).optional();
/**
 * The smallest amount of dollars a limit may be: a millionth, as the content API's maxCostUsd.
 * DynamoDB stores no number below 1e-130, so a smaller positive one would fail the write.
 */
const MIN_USD = 0.000001;
/** Not in the seed: cost control on every generate request. */
const costControl = {
  /** Answer what the job would do (chunks, tokens, cost, time) without starting it. */
  dry_run: z.boolean({ error: 'must be true or false' }).optional(),
  max_cost_usd: z
    .number({ error: 'must be a number of US dollars, such as 2.5' })
    .min(MIN_USD, `must be more than 0: at least ${MIN_USD}`)
    .max(100_000, 'must be at most 100000')
    .optional(),
  /** `batch`: through Gemini's Batch API, at half the price, finished within hours. */
  mode: z
    .enum(['interactive', 'batch'], { error: 'must be "interactive" (the default) or "batch"' })
    .optional(),
  /** Not in the seed: the language questions are written in (ISO 639-1, default "en"). */
  language: languageField,
};
const careerLevelBody = z.strictObject({
  sector: z.string({ error: 'must be a sector id such as "technology"' }).default('technology'),
  career: z.string({ error: 'is required: a career id such as "FRONTEND_DEVELOPER" (see GET /sectors)' }),
  level: z.number({ error: 'is required: an integer from 1 to 5' }),
  regenerate,
  ...costControl,
});
const sectorBody = z.strictObject({
  sector: z.string({ error: 'is required: a sector id such as "finance" (see GET /sectors)' }),
  regenerate,
  ...costControl,
});
const softSkillsBody = z.strictObject({ regenerate, ...costControl });
const fullBody = z.strictObject({
  include_soft_skills: z.boolean({ error: 'must be true or false' }).default(true),
  regenerate,
  ...costControl,
});
const budgetBody = z.strictObject({
  monthly_usd: z
    .number({ error: 'must be a number of US dollars, or null for no budget' })
    .min(MIN_USD, `must be more than 0: at least ${MIN_USD} (or null for no budget)`)
    .max(1_000_000, 'must be at most 1000000')
    .nullable(),
});
const listQuery = z.object({
  status: z.enum(JOB_STATUSES, { error: `must be one of ${JOB_STATUSES.join(', ')}` }).optional(),
  limit: z.coerce
    .number({ error: 'must be an integer from 1 to 100' })
    .int('must be an integer from 1 to 100')
    .min(1, 'must be at least 1')
    .max(100, 'must be at most 100')
    .default(50),
  offset: z.coerce
    .number({ error: 'must be a non-negative integer' })
    .int('must be a non-negative integer')
    .min(0, 'must be 0 or more')
    .default(0),
});
/** The results routes' own `?format=`s besides the exports; `inline`, json's old name, still works. */
const RESULT_FORMATS = ['json', 'url'] as const;
const RESULT_FORMAT_ALIASES = { inline: 'json' } as const;
const resultFormat = (event: APIGatewayProxyEvent) =>
  requestedFormat(event, RESULT_FORMATS, RESULT_FORMAT_ALIASES);
const uuid = z.uuid();
/** The results routes' `?language=`: which language's bank (each has its own files). */
const resultsQuery = z.object({ language: languageField });
/** The request schemas, for the OpenAPI document (quiz-generator-openapi.ts). */
export const quizGeneratorSchemas = {
  careerLevelBody,
  sectorBody,
  softSkillsBody,
  fullBody,
  budgetBody,
  listQuery,
  resultsQuery,
};
const languageOf = (event: APIGatewayProxyEvent) =>
  validate(resultsQuery, { language: event.queryStringParameters?.language }, 'query').language;

interface ParsedRequest {
  type: QuizJobType;
  parameters: JobParameters;
  dryRun: boolean;
  maxCostUsd?: number;
  mode?: 'interactive' | 'batch';
}

const costOptions = (body: {
  dry_run?: boolean | undefined;
  max_cost_usd?: number | undefined;
  mode?: 'interactive' | 'batch' | undefined;
}) => ({
  dryRun: body.dry_run === true,
  ...(body.max_cost_usd !== undefined ? { maxCostUsd: body.max_cost_usd } : {}),
  ...(body.mode ? { mode: body.mode } : {}),
});

function parseGenerate(event: APIGatewayProxyEvent, type: QuizJobType): ParsedRequest {
  switch (type) {
    case 'career_level': {
      const body = parseBody(event, careerLevelBody);
      const sector = requireSector(body.sector);
      const career = requireCareer(sector, body.career).id;
      const level = requireLevel(body.level);
      return {
        type,
        parameters: {
          sector,
          career,
          level,
          language: body.language,
          ...(body.regenerate ? { regenerate: true } : {}),
        },
        ...costOptions(body),
      };
    }
    case 'sector': {
      const body = parseBody(event, sectorBody);
      return {
        type,
        parameters: {
          sector: requireSector(body.sector),
          language: body.language,
          ...(body.regenerate ? { regenerate: true } : {}),
        },
        ...costOptions(body),
      };
    }
    case 'soft_skills': {
      const body = parseBody(event, softSkillsBody);
      return {
        type,
        parameters: {
          type: 'soft_skills',
          language: body.language,
          ...(body.regenerate ? { regenerate: true } : {}),
        },
        ...costOptions(body),
      };
    }
    case 'full': {
      const body = parseBody(event, fullBody);
      return {
        type,
        parameters: {
          include_soft_skills: body.include_soft_skills,
          language: body.language,
          ...(body.regenerate ? { regenerate: true } : {}),
        },
        ...costOptions(body),
      };
    }
  }
}

/** Where the API is mounted (the stage prefix in API Gateway, nothing locally). */
function jobLocation(event: APIGatewayProxyEvent, jobId: string): string {
  const fullPath = event.requestContext?.path ?? event.path;
  const prefix = fullPath.slice(0, Math.max(0, fullPath.indexOf(BASE_PATH)));
  return `${prefix}${BASE_PATH}/jobs/${jobId}`;
}

function startedMessage(job: JobRecord): string {
  const p = job.parameters;
  switch (job.job_type) {
    case 'career_level':
      return `Generation started for ${p.sector}/${p.career} Level ${p.level}`;
    case 'soft_skills':
      return 'Soft skills generation started';
    case 'sector':
      return `Sector generation started for '${p.sector}'`;
    case 'full':
      return p.include_soft_skills === false
        ? 'Full generation started (all sectors, without soft skills)'
        : 'Full generation started (all sectors)';
    default:
      return `Generation started for ${jobTitle(job.job_type, p)}`;
  }
}

function syncSuccess(job: JobRecord) {
  const p = job.parameters;
  const n = job.questions_generated;
  const [message, details] = ((): [string, Record<string, unknown>] => {
    switch (job.job_type) {
      case 'career_level':
        return [
          `Generated ${n} questions for ${p.sector}/${p.career} Level ${p.level}`,
          { sector: p.sector, career: p.career, level: p.level },
        ];
      case 'soft_skills':
        return [`Generated ${n} soft skills questions`, { type: 'soft_skills' }];
      case 'sector':
        return [`Generated ${n} questions for sector '${p.sector}'`, { sector: p.sector }];
      case 'full':
        return [
          `Generated ${n} questions for all sectors`,
          { include_soft_skills: p.include_soft_skills !== false },
        ];
      default:
        return [`Generated ${n} questions for ${jobTitle(job.job_type, p)}`, { query: p.query }];
    }
  })();
  // The seed's field order, with the job id added to the details.
  return { success: true, message, questions_generated: n, details: { ...details, job_id: job.job_id } };
}

const dryRun = (owner: string, request: ParsedRequest) =>
  service.dryRun(owner, quizBankBasics, request.type, request.parameters, {
    maxCostUsd: request.maxCostUsd,
    mode: request.mode,
  });
const start = (owner: string, request: ParsedRequest) =>
  service.startJob(owner, quizBankBasics, request.type, request.parameters, {
    maxCostUsd: request.maxCostUsd,
    mode: request.mode,
  });

function generateAsync(type: QuizJobType): Route {
  return async (event, owner) => {
    const request = parseGenerate(event, type);
    if (request.dryRun) return json(200, await dryRun(owner, request));
    const job = await start(owner, request);
    const location = jobLocation(event, job.job_id);
    return json(
      202,
      { message: startedMessage(job), job_id: job.job_id, job_type: job.job_type, status: job.status },
      { location },
    );
  };
}

/**
 * The seed's blocking endpoints, bounded: API Gateway cuts requests at 29 s, so they wait up
 * to SYNC_WAIT_SECONDS and then answer 202 with where to follow the job.
 */
function generateSync(type: QuizJobType): Route {
  return async (event, owner) => {
    const request = parseGenerate(event, type);
    if (request.dryRun) return json(200, await dryRun(owner, request));
    const started = await start(owner, request);
    const waitSeconds = intEnv(ENV.syncWaitSeconds, DEFAULTS.syncWaitSeconds, 0);
    const job = await service.waitForJob(owner, started.job_id, waitSeconds * 1000);
    const location = jobLocation(event, job.job_id);
    if (job.status === 'completed') return json(200, syncSuccess(job));
    // Stopped by the request's own max_cost_usd or the key's monthly budget: the client's limit
    // (402, as a used-up budget is when a job starts), not a fault of the service.
    if (job.status === 'failed' && job.stop_reason === 'budget') {
      return json(402, {
        detail: `Generation of ${jobTitle(job.job_type, job.parameters)} stopped: ${job.error_message ?? 'its budget was reached'} (job ${job.job_id})`,
      });
    }
    // Cancelled (POST .../cancel) while this request waited: a conflict with another request of
    // the client's, not a failure of the service.
    if (job.status === 'cancelled') {
      return json(409, {
        detail: `Generation of ${jobTitle(job.job_type, job.parameters)} was cancelled while this request waited (job ${job.job_id}); start it again to resume from what was saved`,
      });
    }
    if (job.status === 'failed') {
      return json(500, {
        detail: `Generation of ${jobTitle(job.job_type, job.parameters)} ${job.status}: ${job.error_message ?? 'no details'} (job ${job.job_id})`,
      });
    }
    return json(
      202,
      {
        message: `Generation of ${jobTitle(job.job_type, job.parameters)} is still running after ${waitSeconds} s; follow it at ${location}`,
        job_id: job.job_id,
        job_type: job.job_type,
        status: job.status,
        progress_percent: job.progress_percent,
      },
      { location },
    );
  };
}

function jobIdOf(event: APIGatewayProxyEvent): string {
  const id = event.pathParameters?.job_id ?? '';
  if (!uuid.safeParse(id).success)
    throw new JobNotFound(`${id} (job ids are UUIDs, as returned when a job starts)`);
  return id;
}

/**
 * Where an export too large for a response goes: beside the owner's results, under the prefix
 * the function may write, one object per source and format (each request replaces it).
 */
const exportKey = (owner: string, source: string) => (filename: string) =>
  `results/${owner}/exports/${source}/${filename}`;

interface ResultFile {
  key: string;
  /** The bank's title in exports, which also names the file. */
  title: string;
  /** Names the file's exports in S3. */
  source: string;
  /** The 404's message while the file does not exist. */
  missing: string;
}

async function sendResult(
  event: APIGatewayProxyEvent,
  owner: string,
  { key, title, source, missing }: ResultFile,
): Promise<APIGatewayProxyResult> {
  const format = resultFormat(event);
  const review = reviewFilterOf(event);
  if (isExportFormat(format)) {
    const result = await results.getJson<unknown>(key);
    if (result === undefined) throw new ResultNotFound(missing);
    const chosen = review ? await reviewedResult(owner, result, review) : result;
    // Exports of a review state are stored apart from the whole bank's.
    const stored = review ? `${source}/${review}` : source;
    return exportResponse((x) => x.bankFromResult(title, chosen), format, exportKey(owner, stored));
  }
  if (review) {
    // The questions of one review state, answered inline: a filtered file is not in S3 to link to.
    if (format === 'url')
      throw new InvalidRequest('query.review: works with format=json and the export formats, not url');
    const result = await results.getJson<unknown>(key);
    if (result === undefined) throw new ResultNotFound(missing);
    return json(200, await reviewedResult(owner, result, review));
  }
  const size = await results.sizeOf(key);
  if (size === undefined) throw new ResultNotFound(missing);
  const inlineMax = intEnv(ENV.resultInlineMaxBytes, DEFAULTS.resultInlineMaxBytes, 0);
  if (format !== 'url' && size <= inlineMax) {
    const text = await results.getText(key);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: text ?? '{}' };
  }
  const url = await results.presignedGetUrl(key, PRESIGNED_URL_SECONDS);
  const body = { download_url: url, expires_in_seconds: PRESIGNED_URL_SECONDS, size_bytes: size };
  // Too large to inline (or asked for a link): point at S3 directly.
  return format === 'url' ? json(200, body) : json(303, body, { location: url });
}

const routes: RouteTable = {
  'GET /sectors': async () =>
    json(200, {
      sectors: sectorIds(),
      sector_details: sectorDetails(),
      soft_skills_topics: softSkillTopics().map((t) => t.id),
      levels: Object.fromEntries(LEVELS.map((l) => [String(l), levelDescription(l)])),
      questions_per_career_level: intEnv(ENV.questionsPerCareerLevel, DEFAULTS.questionsPerCareerLevel, 1),
      questions_per_soft_skills_job: intEnv(
        ENV.questionsPerSoftSkillsJob,
        DEFAULTS.questionsPerSoftSkillsJob,
        1,
      ),
    }),
  'GET /checkpoint': async (_event, owner) => {
    const entries = await jobStore.listCheckpoint(owner);
    return json(200, {
      has_checkpoint: entries.length > 0,
      completed_chunks: entries.length,
      chunks: entries.map((e) => e.chunk_key),
    });
  },
  'GET /api-status': async () => {
    const configured = Boolean(await geminiApiKey());
    return json(200, {
      api_key_configured: configured,
      message: configured ? 'Ready for generation' : 'GEMINI_API_KEY not configured',
    });
  },
  'GET /jobs': async (event, owner) => {
    const query = parseQuery(event, listQuery);
    const page = await service.listJobs(owner, query.status, query.limit, query.offset);
    return json(200, { jobs: page.jobs.map(toApiJob), total: page.total });
  },
  'GET /jobs/{job_id}': async (event, owner) =>
    json(200, toApiJob(await service.getJob(owner, jobIdOf(event)))),
  'DELETE /jobs/{job_id}': async (event, owner) => {
    await service.deleteJob(owner, jobIdOf(event));
    return noContent();
  },
  'GET /budget': async (_event, owner) => json(200, await service.getBudget(owner)),
  'PUT /budget': async (event, owner) =>
    json(200, await service.setBudget(owner, parseBody(event, budgetBody).monthly_usd)),
  'GET /jobs/{job_id}/quality': async (event, owner) => {
    const jobId = jobIdOf(event);
    const report = await service.qualityReport(owner, jobId);
    // How many of the job's questions are pending, approved and rejected (lambdas/review/).
    return json(200, { ...report, review: await reviewCounts(owner, jobId) });
  },
  'POST /jobs/{job_id}/cancel': async (event, owner) =>
    json(200, toApiJob(await service.cancelJob(owner, jobIdOf(event)))),
  'POST /generate/career-level': generateSync('career_level'),
  'POST /generate/soft-skills': generateSync('soft_skills'),
  'POST /generate/sector': generateSync('sector'),
  'POST /generate/career-level/async': generateAsync('career_level'),
  'POST /generate/soft-skills/async': generateAsync('soft_skills'),
  'POST /generate/sector/async': generateAsync('sector'),
  'POST /generate/full/async': generateAsync('full'),
  'GET /results/combined': async (event, owner) =>
    sendResult(event, owner, {
      key: s3Keys.combined(owner, languageOf(event)),
      title: 'All sectors quiz bank',
      source: 'combined',
      missing: 'No combined quiz bank yet; it is written when a generation job finishes',
    }),
  'GET /results/soft-skills': async (event, owner) =>
    sendResult(event, owner, {
      key: s3Keys.groupFile(owner, SOFT_SKILLS, languageOf(event)),
      title: `${catalog.soft_skills.title} quiz bank`,
      source: SOFT_SKILLS,
      missing: 'No soft skills questions yet; start POST /generate/soft-skills/async',
    }),
  'GET /results/sectors/{sector}': async (event, owner) => {
    const sector = requireSector(event.pathParameters?.sector ?? '');
    return sendResult(event, owner, {
      key: s3Keys.groupFile(owner, sector, languageOf(event)),
      title: `${catalog.sectors[sector]?.title ?? sector} quiz bank`,
      source: sector,
      missing: `No questions for sector '${sector}' yet; start POST /generate/sector/async with {"sector": "${sector}"}`,
    });
  },
  'GET /results/sectors/{sector}/careers/{career}/levels/{level}': async (event, owner) => {
    const sector = requireSector(event.pathParameters?.sector ?? '');
    const career = requireCareer(sector, event.pathParameters?.career ?? '');
    const levelText = event.pathParameters?.level ?? '';
    const level = requireLevel(/^\d+$/.test(levelText) ? Number(levelText) : levelText);
    // A career level is always answered inline (it is small), so `url` answers as `json` does.
    const format = resultFormat(event);
    const review = reviewFilterOf(event);
    const language = languageOf(event);
    const chunkKey = careerLevelKey(sector, career.id, level, language);
    const file = await results.getJson<ChunkFile>(s3Keys.chunk(owner, chunkKey));
    if (!file) {
      throw new ResultNotFound(
        `No questions for ${sector}/${career.id} Level ${level} yet; start POST /generate/career-level/async`,
      );
    }
    const whole = {
      sector,
      career: career.id,
      level,
      language,
      chunk_key: chunkKey,
      generated_at: file.generated_at,
      job_id: file.job_id,
      model: file.model,
      quiz_pool: file.questions,
    };
    const body = review ? await reviewedResult(owner, whole, review) : whole;
    if (!isExportFormat(format)) return json(200, body);
    const title = `${catalog.sectors[sector]?.title ?? sector}: ${career.title}, Level ${level}`;
    const stored = review ? `${chunkKey}/${review}` : chunkKey;
    return exportResponse((x) => x.bankFromResult(title, body), format, exportKey(owner, stored));
  },
};

export const route = httpApi({ routes, envelope: detailEnvelope, basePath: BASE_PATH });

export const handler = withPowertools(route);
