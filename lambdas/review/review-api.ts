/**
 * The review API's routes, at the API root next to `/documents`, served by the assessments API's
 * handler (same root, same `{"detail": "..."}` envelope). A key sees only its own questions:
 * another key's id is a 404, like one that does not exist.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { InvalidRequest } from '#platform/errors.ts';
import { json, parseBody, parseQuery, type RouteTable, validate } from '#platform/http.ts';
import { keyNameOf } from '#platform/key-names.ts';
import { requestRegeneration } from './regenerate-service.ts';
import {
  bulkReviewBodySchema,
  DEFAULT_PAGE_SIZE,
  listQuestionsQuerySchema,
  patchQuestionBodySchema,
  questionIdSchema,
  regenerateBodySchema,
} from './review-schemas.ts';
import {
  type EditGates,
  EditRefused,
  ownedQuestion,
  patchQuestion,
  type Reviewer,
  reviewMany,
} from './review-service.ts';
import { GENERATOR, listReviews, listVersions, type ReviewRecord } from './review-store.ts';

/** A question as the review API shows it: the question, where it came from, and its review. */
export function questionView(record: ReviewRecord) {
  const {
    question,
    state,
    reviewer,
    reviewer_key_id,
    reviewed_at,
    note,
    version,
    replaces,
    revision: _revision,
    order: _order,
    type: _type,
    bank_scope: _scope,
    ...origin
  } = record;
  return {
    ...question,
    ...origin,
    id: record.id,
    type: record.type ?? 'quiz',
    // Records decided before reviewers were named hold the key's id in `reviewer` and no key id.
    review: { state, reviewer, reviewer_key_id: reviewer_key_id ?? reviewer, reviewed_at, note, version },
    ...(replaces ? { replaces } : {}),
  };
}

/**
 * Who decided: the key's name, and its id. API Gateway's request context names the key by its id
 * only (`requestContext.identity.apiKeyId`, the owner); the name comes from API Gateway's control
 * plane (key-names.ts), or is the id when that lookup fails.
 */
const reviewerOf = async (owner: string): Promise<Reviewer> => ({
  name: await keyNameOf(owner),
  keyId: owner,
});

const questionIdOf = (event: APIGatewayProxyEvent) =>
  validate(questionIdSchema, event.pathParameters?.id ?? '', 'path.id');

/** A cursor is the last id of the previous page, base64url-encoded so clients treat it as opaque. */
const encodeCursor = (id: string) => Buffer.from(id, 'utf8').toString('base64url');
function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!questionIdSchema.safeParse(id).success) {
    throw new InvalidRequest('query.cursor: is not a cursor this API returned; pass next_cursor as it came');
  }
  return id;
}

/** The routes, with the edit gates of the question types the serving product adds. */
export const reviewRoutes = (gates: EditGates = {}): RouteTable => ({
  'GET /questions': async (event, owner) => {
    const { limit, cursor, ...filters } = parseQuery(event, listQuestionsQuerySchema);
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const page = await listReviews(owner, filters, limit ?? DEFAULT_PAGE_SIZE, after);
    return json(200, {
      questions: page.records.map(questionView),
      next_cursor: page.nextAfter === undefined ? null : encodeCursor(page.nextAfter),
    });
  },
  'POST /questions/review': async (event, owner) => {
    const body = parseBody(event, bulkReviewBodySchema);
    const done = await reviewMany(owner, await reviewerOf(owner), body);
    return json(200, { questions: done.map(questionView) });
  },
  'PATCH /questions/{id}': async (event, owner) => {
    const id = questionIdOf(event);
    const body = parseBody(event, patchQuestionBodySchema);
    try {
      const reviewer = await reviewerOf(owner);
      return json(200, questionView(await patchQuestion(owner, reviewer, id, body, gates)));
    } catch (error) {
      // The gate's reasons as a list too, so a form can show each beside the question.
      if (error instanceof EditRefused) return json(400, { detail: error.message, reasons: error.reasons });
      throw error;
    }
  },
  'POST /questions/{id}/regenerate': async (event, owner) => {
    const id = questionIdOf(event);
    const body = parseBody(event, regenerateBodySchema);
    return json(202, await requestRegeneration(owner, id, body, await reviewerOf(owner)));
  },
  'GET /questions/{id}/history': async (event, owner) => {
    const id = questionIdOf(event);
    const record = await ownedQuestion(owner, id);
    const versions = await listVersions(owner, id);
    return json(200, {
      id,
      review: questionView(record).review,
      versions: versions.map(({ version, author, author_key_id, created_at, note, question }) => ({
        version,
        author,
        // The generator's version has no key; older edits held the key's id as their author.
        author_key_id: author_key_id ?? (author === GENERATOR ? null : author),
        created_at,
        note,
        question,
      })),
    });
  },
});
