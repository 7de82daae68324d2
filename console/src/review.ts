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
 * are strings with the key's text there (the review API keeps each product's own shape).
 */
type Option = string | { id: string; text: string };

const textOf = (o: Option) => (typeof o === 'string' ? o : o.text);
const isKey = (q: Question, o: Option) => (typeof o === 'string' ? o : o.id) === q.correct_answer;

export interface Question {
  id: string;
  question: string;
  options: Option[];
  correct_answer: string;
  explanation?: string;
  review: {
    state: string;
    reviewer?: string | null;
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
  card.replaceChildren(
    h(
      'p',
      {},
      h('span', { class: 'state' }, q.review.state),
      ` version ${q.review.version}`,
      q.replaces ? ` · replaces ${q.replaces}` : '',
    ),
    h('p', { class: 'stem' }, q.question),
    h(
      'ol',
      { type: 'A' },
      ...q.options.map((o) =>
        h('li', isKey(q, o) ? { class: 'correct' } : {}, textOf(o), isKey(q, o) ? ' (correct)' : ''),
      ),
    ),
    q.explanation ? h('p', {}, h('strong', {}, 'Explanation: '), q.explanation) : '',
    q.review.note ? h('p', {}, h('strong', {}, 'Note: '), q.review.note) : '',
  );
}

export async function loadQueue(): Promise<void> {
  if (!source) return;
  const review = $<HTMLSelectElement>('review-filter').value;
  const params = new URLSearchParams({ job_id: source.jobId, limit: '200' });
  if (review) params.set('review', review);
  const all: Question[] = [];
  let cursor: string | null = null;
  do {
    if (cursor) params.set('cursor', cursor);
    const page: { questions: Question[]; next_cursor: string | null } = await api(
      'GET',
      `/questions?${params}`,
    );
    all.push(...page.questions);
    cursor = page.next_cursor;
  } while (cursor);
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
  const options = $('edit-options');
  options.replaceChildren(
    h('legend', {}, 'Options'),
    ...q.options.flatMap((o, i) => {
      const id = `edit-option-${i}`;
      const input = h('input', { id, 'data-option': i, required: true });
      input.value = textOf(o);
      return [h('label', { for: id }, `Option ${String.fromCharCode(65 + i)}`), input];
    }),
  );
  const answer = $<HTMLSelectElement>('edit-answer');
  answer.replaceChildren(
    ...q.options.map((_, i) => h('option', { value: String(i) }, `Option ${String.fromCharCode(65 + i)}`)),
  );
  answer.value = String(
    Math.max(
      0,
      q.options.findIndex((o) => isKey(q, o)),
    ),
  );
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
  // Sent back in the question's own shape: ids stay with their positions, the key by id or text.
  const options: Option[] = q.options.map((o, i) =>
    typeof o === 'string' ? (texts[i] ?? '') : { id: o.id, text: texts[i] ?? '' },
  );
  const key = options[answerIndex];
  try {
    await api('PATCH', `/questions/${encodeURIComponent(q.id)}`, {
      question: $<HTMLTextAreaElement>('edit-question').value,
      options,
      correct_answer: key === undefined ? '' : typeof key === 'string' ? key : key.id,
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
  const url = URL.createObjectURL(await response.blob());
  const link = h('a', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
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
  $('export').hidden = !next.exportPath;
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
