/**
 * Assessment questions in the seed's shape (`question`, four `options` as strings,
 * `correct_answer` equal to one of them, `bloom_level`, `explanation`) plus `source` when the
 * question is grounded in a document: which document, passage and page it can be answered from.
 */

import * as z from 'zod';
import { KEY_CUE_INSTRUCTION } from '#jobs/key-cues.ts';
import {
  BLOOM_LEVELS,
  type BloomLevel,
  exactlyQuestions,
  normalizeText,
  OPTION_IDS,
  type Provenance,
  type Question,
  type Rejection,
} from '#jobs/questions.ts';
import { Type } from '#platform/gemini/schema-type.ts';
import { DEFAULT_LANGUAGE, languageCode, languageInstruction } from '#platform/language.ts';
import { BLOOM_GUIDANCE } from './bloom.ts';

export interface PassageRef {
  id: string;
  page: number;
  text: string;
}

/** What every question of an assessment has, multiple-choice or open. */
export interface AssessmentItem {
  question: string;
  bloom_level: BloomLevel;
  explanation: string;
  source?: { document_id: string; passage_id: string; page: number; excerpt?: string };
  /** ISO 639-1 code of the language the question is written in. */
  language?: string;
  /** How the question was made and checked (absent on questions edited by hand). */
  provenance?: Provenance;
}

export interface AssessmentQuestion extends AssessmentItem {
  options: string[];
  correct_answer: string;
}

/** 2: the language line. 3: the correct option no longer than the others, no letters in explanations. */
export const ASSESSMENT_PROMPT_VERSION = 'assessment-chunk/3';

export const ASSESSMENT_SYSTEM_INSTRUCTION = [
  'You write multiple-choice questions for assessments that teachers give their students.',
  'Every question has exactly four options with ids a, b, c and d, exactly one of which is correct.',
  'Options are plausible, distinct and similar in length; never "all of the above" or "none of the above".',
  'The correct option must not be longer or more detailed than the others.',
  KEY_CUE_INSTRUCTION,
  'When passages from the course material are given, every question must be answerable from the passage it cites,',
  'and must not rely on knowledge the material does not contain.',
  'Answer only with JSON that matches the response schema.',
].join(' ');

/** The response schema: `source_passage_id` is limited to the passages the prompt gave. */
export function assessmentResponseSchema(count: number, bloomLevel: BloomLevel, passageIds: string[]) {
  const grounded = passageIds.length > 0;
  const properties: Record<string, unknown> = {
    question: { type: Type.STRING },
    options: {
      type: Type.ARRAY,
      minItems: '4',
      maxItems: '4',
      items: {
        type: Type.OBJECT,
        properties: { id: { type: Type.STRING, enum: [...OPTION_IDS] }, text: { type: Type.STRING } },
        required: ['id', 'text'],
        propertyOrdering: ['id', 'text'],
      },
    },
    correct_answer: { type: Type.STRING, enum: [...OPTION_IDS] },
    explanation: { type: Type.STRING },
    bloom_level: { type: Type.STRING, enum: [bloomLevel] },
  };
  const required = ['question', 'options', 'correct_answer', 'explanation', 'bloom_level'];
  if (grounded) {
    properties.source_passage_id = {
      type: Type.STRING,
      enum: passageIds,
      description: 'Id of the passage the question can be answered from.',
    };
    required.push('source_passage_id');
  }
  return exactlyQuestions(count, { type: Type.OBJECT, properties, required, propertyOrdering: required });
}

export interface AssessmentPromptInput {
  query: string;
  bloomLevel: BloomLevel;
  count: number;
  passages: PassageRef[];
  avoid: string[];
  rejections: Rejection[];
  /** ISO 639-1 code of the language to write in; English when absent. */
  language?: string;
}

export function assessmentPrompt(input: AssessmentPromptInput): string {
  const lines = [
    `Write exactly ${input.count} multiple-choice questions about: ${input.query}`,
    `Bloom's taxonomy level "${input.bloomLevel}": the learner must ${BLOOM_GUIDANCE[input.bloomLevel]}. Set bloom_level to "${input.bloomLevel}".`,
    languageInstruction(
      input.language ?? DEFAULT_LANGUAGE,
      'the questions, the options and the explanations',
    ),
  ];
  if (input.passages.length > 0) {
    lines.push(
      'Base every question only on the course material below, and set source_passage_id to the passage it comes from.',
      'Spread the questions over different passages where the material allows.',
      '',
      'Course material:',
      ...input.passages.map((p) => `[${p.id}] (page ${p.page}) ${p.text}`),
    );
  }
  lines.push(...repairLines(input.rejections, input.avoid, 'Do not repeat or paraphrase these questions:'));
  return lines.join('\n');
}

/**
 * How an assessment prompt of either type ends: the questions the gate rejected, with why, and
 * the questions already kept, which a new one must not repeat.
 */
export function repairLines(rejections: Rejection[], avoid: string[], avoidHeading: string): string[] {
  const lines: string[] = [];
  if (rejections.length > 0) {
    lines.push(
      '',
      'These earlier questions were rejected; write different ones that avoid the same problems:',
    );
    for (const r of rejections.slice(0, 20))
      lines.push(`- "${r.question.slice(0, 160)}": ${r.reasons.join('; ')}`);
  }
  if (avoid.length > 0) {
    lines.push('', avoidHeading);
    for (const q of avoid.slice(-60)) lines.push(`- ${q.slice(0, 160)}`);
  }
  return lines;
}

/** Rejection reasons specific to assessments: the level asked for, and a passage that was given. */
export function assessmentProblems(
  item: Record<string, unknown>,
  bloomLevel: BloomLevel,
  passageIds: Set<string>,
) {
  const reasons: string[] = [];
  if (item.bloom_level !== bloomLevel) reasons.push(`bloom_level must be "${bloomLevel}"`);
  if (
    passageIds.size > 0 &&
    (typeof item.source_passage_id !== 'string' || !passageIds.has(item.source_passage_id))
  ) {
    reasons.push('source_passage_id must be the id of one of the passages given');
  }
  return reasons;
}

/** The seed's shape: options as strings, the answer as the correct option's text. */
export function toAssessmentQuestion(
  question: Question,
  bloomLevel: BloomLevel,
  source: { document_id: string; passage: PassageRef } | undefined,
): AssessmentQuestion {
  const options = question.options.map((o) => o.text);
  const answer = question.options.find((o) => o.id === question.correct_answer)?.text ?? '';
  return {
    question: question.question,
    options,
    correct_answer: answer,
    bloom_level: bloomLevel,
    explanation: question.explanation,
    ...(source
      ? {
          source: {
            document_id: source.document_id,
            passage_id: source.passage.id,
            page: source.passage.page,
            excerpt: source.passage.text.slice(0, 300),
          },
        }
      : {}),
  };
}

/** The fields every edited assessment question has, MCQ or open (see open-questions.ts). */
export const editedItemShape = {
  bloom_level: z.enum(BLOOM_LEVELS, { error: `must be one of ${BLOOM_LEVELS.join(', ')}` }),
  explanation: z.string().max(2000).default(''),
  source: z
    .object({
      document_id: z.string(),
      passage_id: z.string(),
      page: z.number().int().min(1),
      excerpt: z.string().max(2000).optional(),
    })
    .optional(),
  /** Kept through saves and edits, so exports still say which language a question is in. */
  language: languageCode.optional(),
};

/** Checks a question a user edited before saving: the same rules the generator applies. */
export const editedQuestionSchema = z
  .object({
    question: z.string().trim().min(1, 'must not be empty').max(1000),
    options: z
      .array(z.string().trim().min(1, 'an option must not be empty').max(500))
      .length(4, 'must be exactly four options'),
    correct_answer: z.string().trim().min(1, 'must not be empty'),
    ...editedItemShape,
  })
  .superRefine((q, ctx) => {
    const normalized = q.options.map(normalizeText);
    if (new Set(normalized).size !== normalized.length) {
      ctx.addIssue({ code: 'custom', path: ['options'], message: 'two options have the same text' });
    }
    const matches = normalized.filter((o) => o === normalizeText(q.correct_answer)).length;
    if (matches !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['correct_answer'],
        message: 'must be exactly one of the options',
      });
    }
  })
  .transform((q) => {
    // Stored in the option's own spelling, so clients can compare strings directly.
    const answer =
      q.options.find((o) => normalizeText(o) === normalizeText(q.correct_answer)) ?? q.correct_answer;
    return { ...q, correct_answer: answer };
  });

export type EditedQuestion = z.infer<typeof editedQuestionSchema>;
