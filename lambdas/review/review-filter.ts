/**
 * `review=` of result downloads and exports: only the questions in one review state, each as its
 * latest version (an approved edit is what gets exported). A question without a review record
 * (kept before reviews were recorded) counts as pending, the state every question starts in.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { validate } from '#platform/http.ts';
import { reviewFilterSchema } from './review-schemas.ts';
import { getReviews, listReviews, type ReviewRecord, type ReviewState } from './review-store.ts';

/** The request's `review=`, validated; undefined when absent (every question, as before). */
export function reviewFilterOf(event: APIGatewayProxyEvent): ReviewState | undefined {
  const value = event.queryStringParameters?.review;
  return value === undefined || value === null
    ? undefined
    : validate(reviewFilterSchema, value, 'query.review');
}

interface IdentifiedQuestion {
  id?: unknown;
}

/** The most replacements followed from one question (each is a reviewer's regeneration). */
const MAX_REPLACEMENTS = 20;

/**
 * Keeps `questions` in `state`, each replaced by its latest version's texts. A regenerated
 * question (`replaced_by`) is followed by its replacement, and that by its own, in the place the
 * old one holds in the file: the new question's record is its only copy (replacement.ts),
 * and taking that place keeps the file's order and the bank's key positions. `records` must hold
 * the replacements too (recordsWithReplacements).
 */
export function inState<Q extends IdentifiedQuestion>(
  questions: readonly Q[],
  records: ReadonlyMap<string, ReviewRecord>,
  state: ReviewState,
): Q[] {
  return questions.flatMap((q) => {
    const record = typeof q.id === 'string' ? records.get(q.id) : undefined;
    const out: Q[] = [];
    if ((record?.state ?? 'pending') === state) out.push(record ? latest(q, record) : q);
    for (const next of replacementsOf(record, records)) {
      if (next.state === state) out.push({ ...q, ...next.question });
    }
    return out;
  });
}

/**
 * The chain of replacements a question leads to, in order (its replacement, that one's, …), as
 * far as `records` holds them (recordsWithReplacements). A product whose result names questions
 * otherwise (content/question-review.ts) puts them in the old one's place with it.
 */
export function replacementsOf(
  record: ReviewRecord | undefined,
  records: ReadonlyMap<string, ReviewRecord>,
): ReviewRecord[] {
  const chain: ReviewRecord[] = [];
  let next = record?.replaced_by ? records.get(record.replaced_by) : undefined;
  for (let hops = 0; next && hops < MAX_REPLACEMENTS; hops++) {
    chain.push(next);
    next = next.replaced_by ? records.get(next.replaced_by) : undefined;
  }
  return chain;
}

function latest<Q extends IdentifiedQuestion>(q: Q, record: ReviewRecord): Q {
  const { question, options, correct_answer, explanation } = record.question;
  return { ...q, question, options, correct_answer, explanation };
}

/** The records of `ids`, with the chains of replacements they lead to. */
export async function recordsWithReplacements(
  owner: string,
  ids: readonly string[],
): Promise<Map<string, ReviewRecord>> {
  const records = await getReviews(owner, ids);
  let wanted = [...records.values()].flatMap((r) => (r.replaced_by ? [r.replaced_by] : []));
  for (let hops = 0; wanted.length > 0 && hops < MAX_REPLACEMENTS; hops++) {
    const found = await getReviews(owner, wanted);
    for (const [id, record] of found) records.set(id, record);
    wanted = [...found.values()].flatMap((r) =>
      r.replaced_by && !records.has(r.replaced_by) ? [r.replaced_by] : [],
    );
  }
  return records;
}

/**
 * A quiz-bank result file (a career level, a sector file, the combined bank: any JSON whose
 * `quiz_pool` lists hold the questions) with only the questions in `state`.
 */
export async function reviewedResult(owner: string, result: unknown, state: ReviewState): Promise<unknown> {
  const pools: IdentifiedQuestion[][] = [];
  walk(result, (pool) => pools.push(pool));
  const ids = pools.flat().flatMap((q) => (typeof q.id === 'string' ? [q.id] : []));
  const records = await recordsWithReplacements(owner, ids);
  return rebuild(result, (pool) => inState(pool, records, state));
}

type Pool = IdentifiedQuestion[];

function walk(value: unknown, visit: (pool: Pool) => void): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    if (key === 'quiz_pool' && Array.isArray(child)) visit(child as Pool);
    else walk(child, visit);
  }
}

function rebuild(value: unknown, filter: (pool: Pool) => Pool): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => rebuild(item, filter));
  return Object.fromEntries(
    Object.entries(value).map(([key, child]) => [
      key,
      key === 'quiz_pool' && Array.isArray(child) ? filter(child as Pool) : rebuild(child, filter),
    ]),
  );
}

/**
 * An assessment job's questions in `state`, in the job's order, as their latest versions, in the
 * seed's shapes (the review id left out): its MCQs and its open questions.
 */
export async function assessmentInState(
  owner: string,
  jobId: string,
  state: ReviewState,
): Promise<{ mcqs: Record<string, unknown>[]; open: Record<string, unknown>[] }> {
  const records: ReviewRecord[] = [];
  let after: string | undefined;
  do {
    const page = await listReviews(owner, { job_id: jobId, review: state }, 200, after);
    records.push(...page.records);
    after = page.nextAfter;
  } while (after);
  records.sort((a, b) => (a.order ?? 0) - (b.order ?? 0));
  const shape = (r: ReviewRecord) => {
    const { id: _id, ...question } = r.question;
    return question;
  };
  return {
    mcqs: records.filter((r) => r.type === 'mcq').map(shape),
    open: records
      .filter((r) => r.type === 'open')
      .map((r, i) => ({ ...shape(r), question_no: String(i + 1) })),
  };
}
