/**
 * Reviewing one job's questions through the review API: `GET /questions?job_id=&review=`,
 * `PATCH /questions/{id}` (a decision, or an edit the quality gate checks: a failing edit is a
 * 400 whose `detail` gives the gate's reasons, shown inline), `POST /questions/review` for bulk
 * decisions and `POST /questions/{id}/regenerate` (202 `{"job_id"}`). And the export of the
 * job's result, only the approved questions by default (`review=approved`).
 */
import { ApiError, api, request } from './api.ts';
import { $, h, say } from './dom.ts';
import { refreshJobs, type Source } from './jobs.ts';

/**
 * A quiz bank's options are `{id, text}` with the key's id in `correct_answer`; an assessment's
 * MCQs and a content job's questions have strings with the key's text there (the review API
 * keeps each product's own shape). Some questions have no options at all: an assessment's open
 * question (a `model_answer`), a content job's short-answer or true/false question (the answer as
 * text). The card and the edit form show what a question has, whatever product made it.
 */
type Option = string | { id: string; text: string };

const textOf = (o: Option) => (typeof o === 'string' ? o : o.text);
const isKey = (q: Question, o: Option) => (typeof o === 'string' ? o : o.id) === q.correct_answer;
const optionsOf = (q: Question): Option[] => (Array.isArray(q.options) ? q.options : []);
const letter = (i: number) => String.fromCharCode(65 + i);

export interface Question {
  id: string;
  type?: string;
  question: string;
  options?: Option[];
  correct_answer?: string;
  /** An open question's answer (assessments). */
  model_answer?: string;
  /** A content question's own kind: multiple_choice, true_false, short_answer... */
  question_type?: string;
  context?: string;
  hints?: string[];
  explanation?: string;
  review: {
    state: string;
    /** The deciding API key's name (its id when the name is unknown). */
    reviewer?: string | null;
    reviewer_key_id?: string | null;
    reviewed_at?: string | null;
    note?: string | null;
    version: number;
  };
  replaces?: string;
}

let source: Source | undefined;
let queue: Question[] = [];
let index = 0;

const current = (): Question | undefined => queue[index];

function renderCard(): void {
  const q = current();
  const card = $('card');
  $('queue-count').textContent = queue.length
    ? `Question ${index + 1} of ${queue.length}`
    : 'No questions in this view.';
  for (const id of ['approve', 'reject', 'edit', 'next']) ($(id) as HTMLButtonElement).disabled = !q;
  $<HTMLButtonElement>('bulk-approve').disabled = queue.length === 0;
  $<HTMLFormElement>('regen-form').hidden = !q;
  if (!q) {
    card.replaceChildren();
    return;
  }
  card.dataset.questionId = q.id;
  const options = optionsOf(q);
  const keyShown = options.some((o) => isKey(q, o));
  const field = (label: string, value: string | undefined) =>
    value ? h('p', {}, h('strong', {}, `${label}: `), value) : '';
  card.replaceChildren(
    h(
      'p',
      {},
      h('span', { class: 'state' }, q.review.state),
      q.review.reviewer ? ` by ${q.review.reviewer}` : '',
      ` · version ${q.review.version}`,
      q.question_type ? ` · ${q.question_type.replace(/_/g, ' ')}` : '',
      q.replaces ? ` · replaces ${q.replaces}` : '',
    ),
    field('Context', q.context),
    h('p', { class: 'stem' }, q.question),
    options.length > 0
      ? h(
          'ol',
          { type: 'A' },
          ...options.map((o) =>
            h('li', isKey(q, o) ? { class: 'correct' } : {}, textOf(o), isKey(q, o) ? ' (correct)' : ''),
          ),
        )
      : '',
    keyShown ? '' : field('Answer', q.correct_answer),
    field('Model answer', q.model_answer),
    q.hints && q.hints.length > 0 ? field('Hints', q.hints.join(' · ')) : '',
    field('Explanation', q.explanation),
    field('Note', q.review.note ?? undefined),
  );
}

export async function loadQueue(): Promise<void> {
  if (!source) return;
  const review = $<HTMLSelectElement>('review-filter').value;
  const params = new URLSearchParams({ job_id: source.jobId, limit: '200' });
  if (review) params.set('review', review);
  const all: Question[] = [];
  let cursor: string | null = null;
  try {
    do {
      if (cursor) params.set('cursor', cursor);
      const page: { questions: Question[]; next_cursor: string | null } = await api(
        'GET',
        `/questions?${params}`,
      );
      all.push(...page.questions);
      cursor = page.next_cursor;
    } while (cursor);
  } catch (error) {
    // A review API that does not take a content job's id as a job_id has none of its
    // questions: the job has nothing to review, and its content still downloads below.
    if (!(source.contentPath && error instanceof ApiError && error.status === 400)) throw error;
  }
  queue = all;
  index = Math.min(index, Math.max(0, queue.length - 1));
  renderCard();
}

async function decide(state: 'approved' | 'rejected'): Promise<void> {
  const q = current();
  if (!q) return;
  await api('PATCH', `/questions/${encodeURIComponent(q.id)}`, { review: state });
  say(`Question ${index + 1} ${state}.`);
  await loadQueue();
}

function next(): void {
  if (queue.length === 0) return;
  index = (index + 1) % queue.length;
  renderCard();
  $('card').focus();
}

function openEdit(): void {
  const q = current();
  if (!q) return;
  $('edit-errors').replaceChildren();
  $<HTMLTextAreaElement>('edit-question').value = q.question;
  $<HTMLTextAreaElement>('edit-explanation').value = q.explanation ?? '';
  const options = optionsOf(q);
  const fieldset = $('edit-options');
  fieldset.hidden = options.length === 0;
  fieldset.replaceChildren(
    h('legend', {}, 'Options'),
    ...options.flatMap((o, i) => {
      const id = `edit-option-${i}`;
      const input = h('input', { id, 'data-option': i, required: true });
      input.value = textOf(o);
      return [h('label', { for: id }, `Option ${letter(i)}`), input];
    }),
  );
  // The key among the options, or written out where a question has none (a short answer).
  const answer = $<HTMLSelectElement>('edit-answer');
  answer.replaceChildren(...options.map((_, i) => h('option', { value: String(i) }, `Option ${letter(i)}`)));
  answer.value = String(
    Math.max(
      0,
      options.findIndex((o) => isKey(q, o)),
    ),
  );
  $('edit-answer-row').hidden = options.length === 0;
  const written = $<HTMLInputElement>('edit-answer-text');
  written.value = q.correct_answer ?? '';
  $('edit-answer-text-row').hidden = options.length > 0 || q.correct_answer === undefined;
  $('edit-form').hidden = false;
  $('edit-question').focus();
}

function closeEdit(): void {
  $('edit-form').hidden = true;
  $('card').focus();
}

/**
 * The gate's reasons, one per line: the review API answers a refused edit with
 * `{"detail": "The edit did not pass the quality gate: …", "reasons": [...]}`
 * (lambdas/review/review-api.ts); any other 400 has its `detail` alone.
 */
function reasonsOf(error: ApiError): string[] {
  const reasons = (error.body as { reasons?: unknown } | null)?.reasons;
  if (Array.isArray(reasons) && reasons.length > 0) return reasons.map(String);
  return [error.message];
}

async function saveEdit(): Promise<void> {
  const q = current();
  if (!q) return;
  const texts = [...$('edit-options').querySelectorAll<HTMLInputElement>('input[data-option]')].map(
    (i) => i.value,
  );
  const answerIndex = Number($<HTMLSelectElement>('edit-answer').value);
  // Sent back in the question's own shape: ids stay with their positions, the key by id or text;
  // a question without options or an answer (an open question) is sent without them.
  const options: Option[] = optionsOf(q).map((o, i) =>
    typeof o === 'string' ? (texts[i] ?? '') : { id: o.id, text: texts[i] ?? '' },
  );
  const key = options[answerIndex];
  const answer =
    options.length > 0
      ? { options, correct_answer: key === undefined ? '' : typeof key === 'string' ? key : key.id }
      : q.correct_answer !== undefined
        ? { correct_answer: $<HTMLInputElement>('edit-answer-text').value }
        : {};
  try {
    await api('PATCH', `/questions/${encodeURIComponent(q.id)}`, {
      question: $<HTMLTextAreaElement>('edit-question').value,
      ...answer,
      explanation: $<HTMLTextAreaElement>('edit-explanation').value,
    });
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 400) throw error;
    const errors = $('edit-errors');
    errors.replaceChildren(
      h('p', {}, 'The quality gate refused this edit; nothing was changed:'),
      h('ul', {}, ...reasonsOf(error).map((r) => h('li', {}, r))),
    );
    errors.focus();
    return;
  }
  say('Edit saved as a new version.');
  closeEdit();
  await loadQueue();
}

async function regenerate(): Promise<void> {
  const q = current();
  if (!q) return;
  const instructions = $<HTMLInputElement>('regen-instructions').value.trim();
  const started = await api<{ job_id: string }>(
    'POST',
    `/questions/${encodeURIComponent(q.id)}/regenerate`,
    instructions ? { instructions } : {},
  );
  say(`Regenerating the question: job ${started.job_id}. The new one will be pending here when it finishes.`);
  await refreshJobs();
}

async function bulkApprove(): Promise<void> {
  if (queue.length === 0) return;
  const ids = queue.map((q) => q.id);
  await api('POST', '/questions/review', { ids, review: 'approved' });
  say(`${ids.length} questions approved.`);
  await loadQueue();
}

async function download(): Promise<void> {
  if (!source?.exportPath) return;
  const format = $<HTMLSelectElement>('format').value;
  const approved = $<HTMLInputElement>('approved-only').checked;
  const response = await request(
    'GET',
    `${source.exportPath}format=${format}${approved ? '&review=approved' : ''}`,
  );
  const name =
    /filename="?([^";]+)"?/.exec(response.headers.get('content-disposition') ?? '')?.[1] ??
    `export-${format}`;
  save(await response.blob(), name);
  say(`Downloaded ${name}.`);
}

/** Hands a file to the browser's downloads. */
function save(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A content job's result as the content API answers it (`data`), saved as a JSON file. */
async function downloadContent(): Promise<void> {
  if (!source?.contentPath) return;
  const body = await api<{ data?: { jobId?: unknown } }>('GET', source.contentPath);
  const name = `content-${String(body.data?.jobId ?? 'job')}.json`;
  save(new Blob([JSON.stringify(body.data, null, 2)], { type: 'application/json' }), name);
  say(`Downloaded ${name}.`);
}

/** Runs an action from a button or key, saying what failed instead of failing silently. */
function run(action: () => Promise<void> | void): () => void {
  return () => {
    Promise.resolve()
      .then(action)
      .catch((error: Error) => say(error.message, true));
  };
}

export function openSource(next: Source): void {
  source = next;
  index = 0;
  $('review').hidden = false;
  $('export').hidden = !next.exportPath && !next.contentPath;
  $('export-form').hidden = !next.exportPath;
  $('content-form').hidden = !next.contentPath;
  $('review-source').textContent = `Questions of ${next.label}`;
  $('export-source').textContent = `The result of ${next.label}`;
  $('edit-form').hidden = true;
  $('review-h').focus();
  run(loadQueue)();
}

export function initReview(): void {
  $('approve').addEventListener(
    'click',
    run(() => decide('approved')),
  );
  $('reject').addEventListener(
    'click',
    run(() => decide('rejected')),
  );
  $('edit').addEventListener('click', openEdit);
  $('next').addEventListener('click', next);
  $('edit-cancel').addEventListener('click', closeEdit);
  $('bulk-approve').addEventListener('click', run(bulkApprove));
  $('review-filter').addEventListener('change', run(loadQueue));
  $('edit-form').addEventListener('submit', (e) => {
    e.preventDefault();
    run(saveEdit)();
  });
  $('regen-form').addEventListener('submit', (e) => {
    e.preventDefault();
    run(regenerate)();
  });
  $('export-form').addEventListener('submit', (e) => {
    e.preventDefault();
    run(download)();
  });
  $('content-form').addEventListener('submit', (e) => {
    e.preventDefault();
    run(downloadContent)();
  });
  // Shortcuts only while the review is open and no field has the keyboard: typing "a" into
  // the edit form must not approve anything.
  document.addEventListener('keydown', (e) => {
    if ($('review').hidden || e.ctrlKey || e.metaKey || e.altKey) return;
    const target = e.target as HTMLElement;
    if (target.closest('input, textarea, select, [contenteditable]')) return;
    const actions: Record<string, () => void> = {
      a: run(() => decide('approved')),
      r: run(() => decide('rejected')),
      e: openEdit,
      n: next,
    };
    const action = actions[e.key];
    if (action && $('edit-form').hidden) {
      e.preventDefault();
      action();
    }
  });
}
