/**
 * `quizgen review list|approve|reject|regenerate`: the review API (lambdas/review/review-api.ts) from the
 * command line. Wire types come from the server's modules.
 */
import type { BulkReviewBody, ListQuestionsQuery, RegenerateBody } from '#review/review-schemas.ts';
import type { Client, Query } from './client.ts';

export interface ListedQuestion {
  id: string;
  type: string;
  question: string;
  job_id: string;
  review: {
    state: string;
    /** The deciding API key's name (its id if the name was unknown); null while pending. */
    reviewer: string | null;
    reviewer_key_id: string | null;
    reviewed_at: string | null;
    note: string | null;
    version: number;
  };
}

export interface QuestionPage {
  questions: ListedQuestion[];
  next_cursor: string | null;
}

/** `GET /questions` with the filters given (the level as the query string carries it). */
export async function listQuestions(
  client: Client,
  filters: Partial<Record<keyof ListQuestionsQuery, string | number | undefined>>,
): Promise<QuestionPage> {
  const query: Query = {};
  for (const [name, value] of Object.entries(filters)) if (value !== undefined) query[name] = String(value);
  return client.json<QuestionPage>('GET', '/questions', { query });
}

/** `POST /questions/review`: one decision for the listed ids. */
export async function decide(client: Client, body: BulkReviewBody): Promise<{ questions: ListedQuestion[] }> {
  return client.json('POST', '/questions/review', { body });
}

/** `POST /questions/{id}/regenerate`: starts the job writing the question's replacement. */
export async function regenerate(
  client: Client,
  id: string,
  body: RegenerateBody,
): Promise<{ job_id: string }> {
  return client.json('POST', `/questions/${encodeURIComponent(id)}/regenerate`, { body });
}

/** Ids from `--ids a,b c`: commas or spaces. */
export function idsOf(text: string): string[] {
  return text.split(/[\s,]+/).filter(Boolean);
}

export function questionsTable(page: QuestionPage): string {
  const lines = page.questions.map((q) => {
    const note = q.review.note ? `  (${q.review.note})` : '';
    const by = q.review.reviewer ? `  by ${q.review.reviewer}` : '';
    const stem = q.question.length > 70 ? `${q.question.slice(0, 69)}…` : q.question;
    return `${q.id}  ${q.review.state.padEnd(8)}  v${q.review.version}  ${q.type.padEnd(4)}  ${stem}${note}${by}`;
  });
  if (page.next_cursor) lines.push(`More: add --cursor ${page.next_cursor}`);
  return lines.join('\n');
}
