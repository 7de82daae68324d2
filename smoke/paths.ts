/**
 * The requests `npm run smoke:gemini` sends: one small request per path the service takes to
 * Gemini, built by the same functions the workers use (prompts, response schemas, generation
 * settings), so a live answer to each says that path works against the API as it is today.
 */
import {
  ASSESSMENT_SYSTEM_INSTRUCTION,
  assessmentPrompt,
  assessmentResponseSchema,
  type PassageRef,
} from '#assessments/assessment.ts';
import {
  checkOpenQuestions,
  OPEN_SYSTEM_INSTRUCTION,
  openPrompt,
  openResponseSchema,
} from '#assessments/open-questions.ts';
import {
  needsOutline,
  outlineCallTuning,
  outlinePrompt,
  outlineSchema,
  structureFromOutline,
} from '#content/outline.ts';
import { planSections } from '#content/plan.ts';
import { generationSettings, sectionPrompt, systemInstructionFor } from '#content/prompts.ts';
import { type ExecuteRequest, parseExecuteRequest, STRUCTURE_TYPES } from '#content/request.ts';
import { sectionSchema } from '#content/response-schemas.ts';
import type { SectionKind, SectionSpec } from '#content/sections.ts';
import { questionCallTuning } from '#jobs/chunk-common.ts';
import { questionsResponseSchema } from '#jobs/questions.ts';
import { NearDuplicateIndex } from '#jobs/similarity.ts';
import type { GenerationSettings } from '#platform/config.ts';
import type { ThinkingLevel } from '#platform/gemini/model-capabilities.ts';
import { careersOf, sectorIds, softSkillTopics } from '#quiz-bank/catalog.ts';
import { careerLevelKey, softSkillsKey } from '#quiz-bank/chunks.ts';
import {
  bloomLevelsFor,
  chunkPrompt,
  SOFT_SKILLS_BLOOM_LEVELS,
  SYSTEM_INSTRUCTION,
} from '#quiz-bank/prompts.ts';

/** What one path sends; `check` judges the parsed answer beyond "it is JSON". */
export interface SmokeRequest {
  path: string;
  systemInstruction: string;
  prompt: string;
  responseSchema: unknown;
  temperature?: number;
  thinkingLevel?: ThinkingLevel;
  maxOutputTokens?: number;
  check?: (answer: unknown) => string | undefined;
}

/** Questions per smoke request: enough to exercise the array schema, few enough to stay cheap. */
const QUESTIONS = 2;

const questionsOf = (answer: unknown): unknown[] | undefined =>
  typeof answer === 'object' &&
  answer !== null &&
  Array.isArray((answer as { questions?: unknown }).questions)
    ? (answer as { questions: unknown[] }).questions
    : undefined;

const exactlyQuestions = (answer: unknown) => {
  const count = questionsOf(answer)?.length;
  return count === QUESTIONS ? undefined : `expected ${QUESTIONS} questions, got ${count ?? 'none'}`;
};

/** The service's settings the requests depend on: its model and thinking levels. */
export type SmokeSettings = Pick<GenerationSettings, 'model' | 'thinking'>;

/** A first question call's thinking level and output limit, as the workers size it. */
const questionTuning = (settings: SmokeSettings) =>
  questionCallTuning(settings, settings.model, 1, { need: QUESTIONS, maxTokensStops: 0 });

/** A career level and a soft-skills topic: the quiz bank's two chunk kinds. */
export function quizRequests(settings: SmokeSettings): SmokeRequest[] {
  const sector = sectorIds()[0];
  const career = sector ? careersOf(sector)[0] : undefined;
  const topic = softSkillTopics()[0];
  if (!sector || !career || !topic) throw new Error('The catalog has no sector, career or soft-skills topic');
  const level = 1 as const;
  return [
    {
      path: 'quiz bank: career level',
      systemInstruction: SYSTEM_INSTRUCTION,
      prompt: chunkPrompt({
        chunk: {
          kind: 'career_level',
          key: careerLevelKey(sector, career.id, level),
          sector,
          career: career.id,
          level,
          questionCount: QUESTIONS,
          language: 'en',
        },
        count: QUESTIONS,
        avoid: [],
      }),
      responseSchema: questionsResponseSchema(QUESTIONS, bloomLevelsFor(level)),
      ...questionTuning(settings),
      check: exactlyQuestions,
    },
    {
      path: 'quiz bank: soft skills',
      systemInstruction: SYSTEM_INSTRUCTION,
      prompt: chunkPrompt({
        chunk: {
          kind: 'soft_skills',
          key: softSkillsKey(topic.id),
          topic: topic.id,
          questionCount: QUESTIONS,
          language: 'en',
        },
        count: QUESTIONS,
        avoid: [],
      }),
      responseSchema: questionsResponseSchema(QUESTIONS, SOFT_SKILLS_BLOOM_LEVELS),
      ...questionTuning(settings),
      check: exactlyQuestions,
    },
  ];
}

const PASSAGES: PassageRef[] = [
  {
    id: 'p1',
    page: 1,
    text: 'Photosynthesis turns light energy into chemical energy. Chlorophyll in the chloroplasts absorbs mostly red and blue light.',
  },
  {
    id: 'p2',
    page: 1,
    text: 'The light-dependent reactions make ATP and NADPH; the Calvin cycle then fixes carbon dioxide into sugars.',
  },
];

/** An assessment level with a document's passages, and one without a document. */
export function assessmentRequests(settings: SmokeSettings): SmokeRequest[] {
  const base = {
    query: 'Photosynthesis in plants',
    bloomLevel: 'apply' as const,
    count: QUESTIONS,
    avoid: [],
    rejections: [],
  };
  return [
    {
      path: 'assessment: grounded in a document',
      systemInstruction: ASSESSMENT_SYSTEM_INSTRUCTION,
      prompt: assessmentPrompt({ ...base, passages: PASSAGES }),
      responseSchema: assessmentResponseSchema(
        QUESTIONS,
        base.bloomLevel,
        PASSAGES.map((p) => p.id),
      ),
      ...questionTuning(settings),
      check: exactlyQuestions,
    },
    {
      path: 'assessment: open questions grounded in a document',
      systemInstruction: OPEN_SYSTEM_INSTRUCTION,
      prompt: openPrompt({ ...base, passages: PASSAGES }),
      responseSchema: openResponseSchema(
        QUESTIONS,
        base.bloomLevel,
        PASSAGES.map((p) => p.id),
      ),
      ...questionTuning(settings),
      // The gate itself: a model answer its cited passage does not support fails the path.
      check: (answer) => {
        const items = questionsOf(answer) ?? [];
        const { accepted, rejected } = checkOpenQuestions(items, {
          bloomLevel: base.bloomLevel,
          passages: new Map(PASSAGES.map((p) => [p.id, p])),
          bank: new NearDuplicateIndex(),
          nearDuplicateThreshold: 0.7,
        });
        if (accepted.length === QUESTIONS) return undefined;
        return `${accepted.length} of ${QUESTIONS} open questions passed the gate: ${rejected.flatMap((r) => r.reasons).join('; ') || 'too few returned'}`;
      },
    },
    {
      path: 'assessment: without a document',
      systemInstruction: ASSESSMENT_SYSTEM_INSTRUCTION,
      prompt: assessmentPrompt({ ...base, passages: [] }),
      responseSchema: assessmentResponseSchema(QUESTIONS, base.bloomLevel, []),
      ...questionTuning(settings),
      check: exactlyQuestions,
    },
  ];
}

/** A small content request of each structure type, without a structure of its own, so it needs an outline. */
export function contentRequest(structureType: (typeof STRUCTURE_TYPES)[number]): ExecuteRequest {
  return parseExecuteRequest({
    action: 'generate',
    input: {
      topic: 'Photosynthesis for beginners',
      structureType,
      // An empty structure asks the service to outline the content itself.
      structure: {},
      wordCountEstimates: { total: 800 },
    },
  });
}

export function outlineRequests(settings: SmokeSettings): { request: ExecuteRequest; smoke: SmokeRequest }[] {
  return STRUCTURE_TYPES.map((type) => {
    const request = contentRequest(type);
    if (!needsOutline(request))
      throw new Error(`A ${type} request without a structure should need an outline`);
    return {
      request,
      smoke: {
        path: `content outline: ${type}`,
        systemInstruction: systemInstructionFor(request),
        prompt: outlinePrompt(request),
        responseSchema: outlineSchema(request),
        ...outlineCallTuning(settings.thinking, settings.model, 1, 0),
        check: (answer) => {
          const outline = structureFromOutline(request, answer);
          return outline.ok ? undefined : outline.problems.join('; ');
        },
      },
    };
  });
}

/**
 * One request per section kind the outlines lead to: the first section of each kind, in the
 * order the plans reach them. Earlier sections' answers are not fed in (the smoke checks the
 * request shapes, not the content).
 */
export function sectionRequests(
  settings: SmokeSettings,
  outlined: { request: ExecuteRequest; structure: Record<string, unknown> }[],
): { requests: SmokeRequest[]; kinds: Set<SectionKind> } {
  const seen = new Set<SectionKind>();
  const requests: SmokeRequest[] = [];
  for (const { request, structure } of outlined) {
    const plan: SectionSpec[] = planSections(request, structure);
    for (const section of plan) {
      if (seen.has(section.kind)) continue;
      seen.add(section.kind);
      const tuning = generationSettings(request, section, settings.model, settings.thinking);
      requests.push({
        path: `content section: ${section.kind}`,
        systemInstruction: systemInstructionFor(request),
        prompt: sectionPrompt(request, plan, section, new Map()),
        responseSchema: sectionSchema(section, plan),
        ...tuning,
      });
    }
  }
  return { requests, kinds: seen };
}
