/**
 * A content job's questions (quiz categories, module assessments) in the review API
 * (lambdas/review/): recorded pending when their section is kept, and `review=` of the job's
 * content, which keeps only the questions in one review state, each as last edited.
 *
 * The review API names a question by a UUID, and the content names it by its place (a quiz
 * question's `category_1_q2`, an assessment's listed id or none). A content question's review id
 * is derived from its job, section and place (`contentQuestionId`), so the assembled content
 * needs no extra field (the seed's shape stays as it is) and `review=` finds each question's record
 * from the plan alone. A section written again (a retry, a quality round) writes its questions
 * over the same records: new questions, pending again, version 1. So that no decision is lost to
 * a quality round, the review API refuses decisions and edits while one may still come
 * (review/content-edit-gate.ts `stillBeingWritten`).
 */
import { createHash } from 'node:crypto';
import { recordsWithReplacements, replacementsOf } from '#review/review-filter.ts';
import {
  type QuestionContent,
  type ReviewRecord,
  type ReviewState,
  recordQuestions,
} from '#review/review-store.ts';
import { sectionChunkKey } from './chunk-keys.ts';
import { isObject, objs, type Rec, str, strs } from './output-fields.ts';
import type { SectionSpec } from './sections.ts';

/** The review type of a content question (review-store.ts `QUESTION_TYPES`). */
export const CONTENT_QUESTION = 'content';

/** Room left in `order` for one section's questions (at most 30 each). */
const ORDER_PER_SECTION = 1000;

/**
 * A UUID for the `index`-th question of a section: a version 8 UUID (RFC 9562 section 5.8,
 * "custom", for ids derived by the application) from a SHA-256 of the job, section and place, so
 * GET /questions and PATCH /questions/{id} take it like any question id.
 */
export function contentQuestionId(jobId: string, sectionId: string, index: number): string {
  const hex = createHash('sha256').update(`content-question/${jobId}/${sectionId}/${index}`).digest('hex');
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `8${hex.slice(13, 16)}`,
    `${variant}${hex.slice(17, 20)}`,
    hex.slice(20, 32),
  ].join('-');
}

function questionsOf(output: unknown): Rec[] {
  return isObject(output) ? objs(output, 'questions') : [];
}

/**
 * A kept section's questions as the review API keeps them: the fields a reviewer edits under the
 * review API's names (`correct_answer`, the correct option's text or the expected answer), the
 * question's own type as `question_type`, and where it is in the content.
 */
export function reviewedQuestionsOf(jobId: string, section: SectionSpec, output: unknown): QuestionContent[] {
  return questionsOf(output).map((q, i) => {
    const listed = section.questions?.[i];
    const contentId =
      section.kind === 'quiz_category' ? (listed?.id ?? `${section.contentId}_q${i + 1}`) : listed?.id;
    const context = str(q, 'context');
    const hints = strs(q, 'hints');
    // Content questions have no Bloom level (see review-store.ts QUESTION_TYPES): the record
    // is written without one.
    return {
      id: contentQuestionId(jobId, section.id, i),
      question: str(q, 'question'),
      question_type: listed?.type ?? (str(q, 'type') || 'multiple_choice'),
      options: strs(q, 'options'),
      correct_answer: section.kind === 'quiz_category' ? str(q, 'correctAnswer') : str(q, 'answer'),
      explanation: str(q, 'explanation'),
      ...(context ? { context } : {}),
      ...(section.kind === 'quiz_category' ? { hints } : {}),
      category: section.title,
      ...(listed?.topic !== undefined ? { question_topic: listed.topic } : {}),
      section_id: section.id,
      section_kind: section.kind,
      ...(contentId !== undefined ? { content_id: contentId } : {}),
    } as unknown as QuestionContent;
  });
}

/**
 * A regenerated question (content/regenerate.ts) as the review API keeps it: the new texts of
 * the one question of `output` (checked for `section`, asked for that question alone), in the old
 * question's place (its content id, type, topic, section and category), under its own review `id`.
 */
export function replacementQuestion(
  old: QuestionContent,
  section: SectionSpec,
  output: unknown,
  id: string,
): QuestionContent {
  const [fresh] = reviewedQuestionsOf('', section, output);
  if (!fresh) throw new Error(`The replacement of question ${old.id} holds no question`);
  const { question, options, correct_answer, explanation, context, hints } = fresh;
  const { context: _context, hints: _hints, ...place } = old;
  return {
    ...place,
    id,
    question,
    options,
    correct_answer,
    explanation,
    ...(context !== undefined ? { context } : {}),
    ...(hints !== undefined ? { hints } : {}),
  };
}

/** Records a kept section's questions as pending; `topic` is the content's. */
export async function recordSectionQuestions(
  owner: string,
  jobId: string,
  plan: readonly SectionSpec[],
  section: SectionSpec,
  output: unknown,
  topic: string,
): Promise<void> {
  const questions = reviewedQuestionsOf(jobId, section, output);
  if (questions.length === 0) return;
  await recordQuestions(
    owner,
    {
      job_id: jobId,
      chunk_key: sectionChunkKey(section.id),
      // No quiz bank holds them: an edit's near-duplicate check runs against the section's
      // other questions, as the section's own gate does (review/content-edit-gate.ts).
      bank_scope: `content/${jobId}/${section.id}`,
      topic,
      order: Math.max(0, plan.indexOf(section)) * ORDER_PER_SECTION,
    },
    questions,
    CONTENT_QUESTION,
  );
}

// --- review= of the job's content

/** The ids of every question of the content, by section in plan order. */
function idsOf(jobId: string, plan: readonly SectionSpec[], content: Rec): Map<string, string[]> {
  const ids = new Map<string, string[]>();
  for (const [section, questions] of questionLists(plan, content)) {
    ids.set(
      section.id,
      questions.map((_, i) => contentQuestionId(jobId, section.id, i)),
    );
  }
  return ids;
}

/**
 * The content's question lists with the sections that wrote them: a quiz's categories in the
 * plan's order, a course's modules with their assessment section (assemble.ts builds both so).
 */
function questionLists(plan: readonly SectionSpec[], content: Rec): [SectionSpec, Rec[], Rec][] {
  const lists: [SectionSpec, Rec[], Rec][] = [];
  const quiz = content.quizContent as Rec | undefined;
  if (quiz && Array.isArray(quiz.categories)) {
    const sections = plan.filter((s) => s.kind === 'quiz_category');
    (quiz.categories as Rec[]).forEach((category, k) => {
      const section = sections[k];
      if (section && Array.isArray(category.questions)) lists.push([section, category.questions, category]);
    });
  }
  const course = content.courseContent as Rec | undefined;
  if (course && Array.isArray(course.modules)) {
    const intros = plan.filter((s) => s.kind === 'module_introduction');
    (course.modules as Rec[]).forEach((module, m) => {
      const group = intros[m]?.group;
      const section = plan.find((s) => s.kind === 'module_assessment' && s.group === group);
      const assessment = module.assessment as Rec | undefined;
      if (section && assessment && Array.isArray(assessment.questions)) {
        lists.push([section, assessment.questions as Rec[], assessment]);
      }
    });
  }
  return lists;
}

/**
 * The content with only the questions in `state`, each as last edited; everything else as it
 * was. A question without a record (kept before records were written) counts as pending. A
 * regenerated question's replacement (POST /questions/{id}/regenerate, content/regenerate.ts)
 * takes the old one's place, with its id in the content, as review-filter.ts does for a quiz
 * bank: the replacement's record is its only copy, and the old place keeps the job's key balance.
 */
export async function contentInState<C>(
  owner: string,
  jobId: string,
  plan: readonly SectionSpec[],
  content: C,
  state: ReviewState,
): Promise<C> {
  const copy = structuredClone(content) as Rec;
  const ids = idsOf(jobId, plan, copy);
  const records = await recordsWithReplacements(owner, [...ids.values()].flat());
  for (const [section, questions, holder] of questionLists(plan, copy)) {
    const sectionIds = ids.get(section.id) ?? [];
    holder.questions = questions.flatMap((q, i) => {
      const record = records.get(sectionIds[i] ?? '');
      const out: Rec[] = [];
      if ((record?.state ?? 'pending') === state) out.push(record ? edited(q, record, section) : q);
      for (const next of replacementsOf(record, records)) {
        if (next.state === state) out.push(edited(q, next, section));
      }
      return out;
    });
  }
  return copy as C;
}

/**
 * A content question as its record has it (a reviewer's edits, or a replacement's own text),
 * under the content's own field names; its id and type stay the content's.
 */
function edited(q: Rec, record: ReviewRecord, section: SectionSpec): Rec {
  const { question, options, correct_answer, explanation, hints, context } = record.question;
  const answerField = section.kind === 'quiz_category' ? 'correctAnswer' : 'answer';
  const out: Rec = { ...q, question, options, [answerField]: correct_answer, explanation };
  if (Array.isArray(hints)) out.hints = hints;
  // Recorded only when the question has one (reviewedQuestionsOf): a replacement may not.
  if (typeof context === 'string' && context) out.context = context;
  else delete out.context;
  return out;
}
