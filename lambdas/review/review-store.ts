/**
 * Review records (`reviewKey`, `reviewVersionKey` in keys.ts): one item per generated question
 * with its current version and review state, and one item per version for its history. Written
 * when a chunk's questions are kept (`recordQuestions`, two small items per question, 25 puts per
 * batch write); each item holds one question, far under DynamoDB's 400 KB item limit (a question
 * is bounded by the gate's LIMITS, about 6 KB at most).
 *
 * All of an owner's records share one partition: listing, filtering and paging read it in
 * sort-key order (the question id), and filters are applied as the pages are read, so a page
 * never needs an index and another key's questions are never read.
 */
import { BatchGetCommand, type BatchGetCommandOutput, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { BloomLevel, Question } from '#jobs/questions.ts';
import { dynamo } from '#platform/clients.ts';
import { REVIEW_SK_PREFIX, reviewKey, reviewPk, reviewVersionKey } from '#platform/keys.ts';
import {
  isConditionFailure,
  queryAll,
  queryPages,
  tableName,
  withoutKeys,
  writeBatch,
} from '#platform/table.ts';

export const REVIEW_STATES = ['pending', 'approved', 'rejected'] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

/**
 * The kinds of question reviewed: a quiz bank's (jobs/questions.ts `Question`), an assessment's
 * MCQ (options as strings, the answer as the correct option's text) or open question, or a
 * content job's quiz or module-assessment question (`content`: options as strings and the answer
 * as text like an MCQ, but multiple choice, true/false or short answer as its `question_type`
 * says, and held to the content sections' gate: jobs/text-questions.ts). Content questions are
 * asked at no Bloom level: their records have none, whatever the type says, and a bloom_level
 * filter leaves them out.
 */
export const QUESTION_TYPES = ['quiz', 'mcq', 'open', 'content'] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

/** A question as its product keeps it, with the id the review API names it by. */
export interface QuestionContent {
  id: string;
  question: string;
  bloom_level: BloomLevel;
  explanation: string;
  [field: string]: unknown;
}

/** Where a question came from: its job and chunk, and what the filters of GET /questions match. */
export interface QuestionOrigin {
  job_id: string;
  chunk_key: string;
  /** The bank its near-duplicate check runs against (bank-store.ts scope). */
  bank_scope: string;
  sector?: string;
  career?: string;
  level?: number;
  topic?: string;
  /** The assessment job a question belongs to. */
  assessment_id?: string;
  /** Where the question stands in its job's result (chunk order, then place in the chunk). */
  order?: number;
}

export interface ReviewRecord extends QuestionOrigin {
  id: string;
  type: QuestionType;
  question: QuestionContent;
  bloom_level: BloomLevel;
  state: ReviewState;
  /**
   * The name of the API key that decided last (null while pending and never decided); the key's
   * id when its name could not be looked up. Records decided before names hold the id here.
   */
  reviewer: string | null;
  /** That key's id (absent on records decided before names were kept). */
  reviewer_key_id?: string | null;
  reviewed_at: string | null;
  note: string | null;
  version: number;
  /** The question this one was generated to replace. */
  replaces?: string;
  /**
   * The question generated to replace this one (POST /questions/{id}/regenerate). Result files
   * keep listing this question; review= downloads put the replacement in its place (review-filter.ts).
   */
  replaced_by?: string;
  /** The job regenerating this question, from its request until it finishes (one at a time). */
  regenerating?: string;
  /** When the request claimed it (a claim whose job never got a record expires). */
  regenerating_since?: string;
  /** Who asked for the regeneration: the old question is rejected in their name. */
  regenerating_by?: { name: string; keyId: string };
  created_at: string;
  /** Bumped by every write: what a write checks so that it never overwrites one it did not see. */
  revision: number;
}

export interface VersionRecord {
  id: string;
  version: number;
  question: QuestionContent;
  /** Who made the version: `generator` for the generated one, else the editor's key name. */
  author: string;
  /** The editor's key id (none for the generated version and for edits made before names). */
  author_key_id?: string;
  created_at: string;
  note: string | null;
}

export const GENERATOR = 'generator';

/**
 * Records a chunk's kept questions as pending, version 1; `origin.order`, when given, is the
 * first question's place and the others follow it.
 */
export async function recordQuestions(
  owner: string,
  origin: QuestionOrigin & { replaces?: string },
  questions: readonly (Question | QuestionContent)[],
  type: QuestionType = 'quiz',
  createdAt = new Date().toISOString(),
): Promise<void> {
  const items = questions.flatMap((q, i) => {
    const question = q as QuestionContent;
    const record: ReviewRecord = {
      ...origin,
      ...(origin.order !== undefined ? { order: origin.order + i } : {}),
      id: question.id,
      type,
      question,
      bloom_level: question.bloom_level,
      state: 'pending',
      reviewer: null,
      reviewer_key_id: null,
      reviewed_at: null,
      note: null,
      version: 1,
      created_at: createdAt,
      revision: 1,
    };
    const version: VersionRecord = {
      id: question.id,
      version: 1,
      question,
      author: GENERATOR,
      created_at: createdAt,
      note: null,
    };
    return [
      { ...reviewKey(owner, question.id), ...record },
      { ...reviewVersionKey(owner, question.id, 1), ...version },
    ];
  });
  for (let i = 0; i < items.length; i += 25) {
    await writeBatch(items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })));
  }
}

export async function getReview(owner: string, id: string): Promise<ReviewRecord | undefined> {
  const result = await dynamo.send(
    new GetCommand({ TableName: tableName(), Key: reviewKey(owner, id), ConsistentRead: true }),
  );
  return result.Item ? withoutKeys<ReviewRecord>(result.Item) : undefined;
}

/** The records of `ids` that exist, by id (100 keys per BatchGetItem, unprocessed keys retried). */
export async function getReviews(owner: string, ids: readonly string[]): Promise<Map<string, ReviewRecord>> {
  const found = new Map<string, ReviewRecord>();
  const table = tableName();
  const unique = [...new Set(ids)];
  for (let i = 0; i < unique.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = unique
      .slice(i, i + 100)
      .map((id) => reviewKey(owner, id));
    for (let attempt = 0; keys && keys.length > 0; attempt++) {
      if (attempt > 8) throw new Error('DynamoDB kept returning unprocessed keys');
      const result: BatchGetCommandOutput = await dynamo.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: keys } } }),
      );
      for (const item of result.Responses?.[table] ?? []) {
        const record = withoutKeys<ReviewRecord>(item);
        found.set(record.id, record);
      }
      keys = result.UnprocessedKeys?.[table]?.Keys;
      if (keys && keys.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
  }
  return found;
}

export interface ReviewFilters {
  job_id?: string;
  sector?: string;
  career?: string;
  level?: number;
  assessment_id?: string;
  review?: ReviewState;
  bloom_level?: BloomLevel;
}

export function matches(record: ReviewRecord, filters: ReviewFilters): boolean {
  return (
    (filters.job_id === undefined || record.job_id === filters.job_id) &&
    (filters.sector === undefined || record.sector === filters.sector) &&
    (filters.career === undefined || record.career === filters.career) &&
    (filters.level === undefined || record.level === filters.level) &&
    (filters.assessment_id === undefined || record.assessment_id === filters.assessment_id) &&
    (filters.review === undefined || record.state === filters.review) &&
    (filters.bloom_level === undefined || record.bloom_level === filters.bloom_level)
  );
}

/**
 * One page of the owner's records that match `filters`, in id order, from after `after` (the
 * last id of the previous page). `nextAfter` is the last id returned when more may follow.
 */
export async function listReviews(
  owner: string,
  filters: ReviewFilters,
  limit: number,
  after?: string,
): Promise<{ records: ReviewRecord[]; nextAfter?: string }> {
  const records: ReviewRecord[] = [];
  const query = {
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': reviewPk(owner), ':prefix': REVIEW_SK_PREFIX },
    Limit: 100,
  };
  const start = after === undefined ? undefined : reviewKey(owner, after);
  for await (const page of queryPages(query, start)) {
    const items = page.Items ?? [];
    for (const [i, item] of items.entries()) {
      const record = withoutKeys<ReviewRecord>(item);
      if (!matches(record, filters)) continue;
      records.push(record);
      if (records.length === limit) {
        const more = i < items.length - 1 || page.LastEvaluatedKey !== undefined;
        return more ? { records, nextAfter: record.id } : { records };
      }
    }
  }
  return { records };
}

/** How many of a job's questions are in each review state. */
export async function reviewCounts(owner: string, jobId: string): Promise<Record<ReviewState, number>> {
  const counts: Record<ReviewState, number> = { pending: 0, approved: 0, rejected: 0 };
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    FilterExpression: 'job_id = :job',
    ExpressionAttributeValues: { ':pk': reviewPk(owner), ':prefix': REVIEW_SK_PREFIX, ':job': jobId },
    ProjectionExpression: '#state',
    ExpressionAttributeNames: { '#state': 'state' },
  });
  for (const item of items) {
    const state = item.state as ReviewState;
    if (state in counts) counts[state] += 1;
  }
  return counts;
}

/** Someone else changed the record first: the caller reads it again and retries. */
export class ReviewConflict extends Error {
  constructor(id: string) {
    super(`Question ${id} was changed by another request; read it again and retry`);
    this.name = 'ReviewConflict';
  }
}

/**
 * Writes `next` over the record read as `current`, refused (ReviewConflict) when the record
 * changed since: a decision or an edit that raced another one never overwrites it unseen. A new
 * version's history item is written first and only if it does not exist, so two edits of one
 * version cannot both win.
 */
export async function saveReview(
  owner: string,
  current: ReviewRecord,
  next: ReviewRecord,
  newVersion?: VersionRecord,
): Promise<void> {
  try {
    if (newVersion) {
      await dynamo.send(
        new PutCommand({
          TableName: tableName(),
          Item: { ...reviewVersionKey(owner, next.id, newVersion.version), ...newVersion },
          ConditionExpression: 'attribute_not_exists(sk)',
        }),
      );
    }
    await dynamo.send(
      new PutCommand({
        TableName: tableName(),
        Item: { ...reviewKey(owner, next.id), ...next, revision: current.revision + 1 },
        ConditionExpression: '#revision = :revision',
        ExpressionAttributeNames: { '#revision': 'revision' },
        ExpressionAttributeValues: { ':revision': current.revision },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) throw new ReviewConflict(next.id);
    throw error;
  }
}

/** Every version of a question, oldest first. */
export async function listVersions(owner: string, id: string): Promise<VersionRecord[]> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: { ':pk': reviewPk(owner), ':prefix': `H#${id}#` },
    ConsistentRead: true,
  });
  return items.map((item) => withoutKeys<VersionRecord>(item));
}
