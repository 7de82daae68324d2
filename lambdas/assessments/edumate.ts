/**
 * EduMate's routes as use cases over what this service already does: a "collection" is a
 * document of the key's (its id is the collection name, and the chunking job's id too), a chat
 * is an assessment job grounded in it, and a saved assessment is one of the key's saved
 * assessments, so it shows in `GET /assessments` and exports like any other.
 *
 * What the routes answer follows EduMate's backend and client as published in
 * suyash-sketch/edu-mate at commit e36119690f28094105c3f3adacfcba313ac55470:
 * `backend/app/api/v1/endpoints/generation.py` (/chunking, /chunking/status, /chat, /job_status),
 * `backend/app/api/v1/endpoints/assessments.py` with `backend/app/schemas/assessment.py`
 * (save, history, detail), `frontend/src/api.js` (the calls) and `frontend/src/App.jsx`,
 * `frontend/src/components/AssessmentView.jsx` (the fields the client reads).
 */
import { randomUUID } from 'node:crypto';
import { DomainError } from '#platform/errors.ts';
import type { AssessmentQuestion } from './assessment.ts';
import { type BloomMix, MAX_ASSESSMENT_QUESTIONS, parseBloomMix } from './bloom.ts';
import { DocumentNotFound, ownedDocument } from './documents/document-service.ts';
import type { DocumentRecord } from './documents/document-store.ts';
import type { EduMateGenerate } from './edumate-generate.ts';
import type { OpenQuestion } from './open-questions.ts';
import { AssessmentNotFound, ownedAssessment } from './saved-assessments.ts';
import * as saved from './saved-store.ts';
import { startAssessment } from './start-assessment.ts';

/** `POST /chat`'s default `blooms_requirements`, as generation.py declares it. */
export const EDUMATE_DEFAULT_BLOOMS = '5 remember, 3 understand, 4 apply, 3 analyze, 2 evaluate, 3 create';

/** The job parameter that marks an assessment EduMate's routes started (see `withEduMateNames`). */
export const EDUMATE_CLIENT = 'edumate';

/** 404 with EduMate's own message (assessments.py: `HTTPException(404, "Assessment not found")`). */
export class EduMateAssessmentNotFound extends DomainError {
  constructor() {
    super('Assessment not found', 404);
  }
}

/** 404: `collection_name` names no document of this key. */
export class CollectionNotFound extends DomainError {
  constructor(name: string) {
    super(
      `Collection not found: ${name.slice(0, 100)}. Use the collection_name POST /chunking answered, with the same API key`,
      404,
    );
  }
}

/** 409: the collection's document is not indexed (yet, or at all). */
export class CollectionNotReady extends DomainError {
  constructor(message: string) {
    super(message, 409);
  }
}

/** The key's document named by a job id or collection name (both are its id), if any. */
async function collectionOf(owner: string, id: string): Promise<DocumentRecord | undefined> {
  try {
    return await ownedDocument(owner, id);
  } catch (error) {
    if (error instanceof DocumentNotFound) return undefined;
    throw error;
  }
}

/** The key's indexed document a collection name names: 404 when there is none, 409 until ready. */
async function readyCollection(owner: string, name: string): Promise<DocumentRecord> {
  const document = await collectionOf(owner, name);
  if (!document) throw new CollectionNotFound(name);
  if (document.status !== 'ready') {
    const id = document.document_id;
    throw new CollectionNotReady(
      document.status === 'failed'
        ? `Collection ${id} failed to index (${document.error}); upload the file again with POST /chunking`
        : `Collection ${id} is not indexed yet; poll GET /chunking/status?job_id=${id} until its status is "chunked"`,
    );
  }
  return document;
}

// --- chunking ------------------------------------------------------------------------------

/** What `POST /chunking` answers for the document it made. */
export const chunkingStarted = (document: DocumentRecord) => ({
  status: 'queued',
  job_id: document.document_id,
  collection_name: document.document_id,
});

/**
 * `GET /chunking/status`: RQ's statuses for the document's ingestion. An unknown id, or another
 * key's, is `{"status": null}` as EduMate answers for a job RQ does not know. A document waiting
 * for its file is `queued`; one being ingested `started` (there is no separate "picked up" mark
 * to tell the two apart); an indexed one `chunked` with what was indexed, where EduMate's own
 * result has `stored`, `chunks`, `source` and `collection_name`.
 */
export async function chunkingStatus(owner: string, jobId: string) {
  const document = await collectionOf(owner, jobId);
  if (!document) return { status: null };
  switch (document.status) {
    case 'awaiting_upload':
      return { status: 'queued' };
    case 'ingesting':
      return { status: 'started' };
    case 'failed':
      return { status: 'failed', error: document.error ?? 'Ingestion failed' };
    case 'ready':
      return {
        status: 'chunked',
        result: {
          stored: true,
          collection_name: document.document_id,
          document_id: document.document_id,
          source: document.filename,
          chunks: document.passages,
          pages: document.pages,
          characters: document.characters,
        },
      };
  }
}

// --- chat ----------------------------------------------------------------------------------

export interface ChatRequest {
  query: string;
  collectionName: string;
  bloomsRequirements: string;
  /** ISO 639-1 code of the language to write in. */
  language: string;
}

/**
 * `POST /chat`: the assessment job `POST /generate_assessment` starts, grounded in the
 * collection's document, with the same retention and timeout.
 */
export async function startChat(owner: string, request: ChatRequest) {
  const mix: BloomMix = parseBloomMix(request.bloomsRequirements, MAX_ASSESSMENT_QUESTIONS);
  const document = await readyCollection(owner, request.collectionName);
  const job = await startAssessment(owner, {
    query: request.query,
    bloom_mix: mix,
    language: request.language,
    document_id: document.document_id,
    client: EDUMATE_CLIENT,
  });
  return { status: 'queued', job_id: job.job_id };
}

/**
 * `POST /generate`: MCQs and open questions at the Bloom counts asked for, grounded in the
 * collection's document. Its MCQs carry EduMate's names too, as its backend's `SingleMCQ` has them.
 */
export async function startGenerate(owner: string, request: EduMateGenerate) {
  const document = await readyCollection(owner, request.collectionName);
  const job = await startAssessment(owner, {
    query: request.query,
    bloom_mix: request.mcqMix,
    subjective_mix: request.subjectiveMix,
    language: request.language,
    document_id: document.document_id,
    client: EDUMATE_CLIENT,
  });
  return {
    status: 'queued',
    job_id: job.job_id,
    mcq_count: request.mcqCount,
    subjective_count: request.subjectiveCount,
  };
}

/**
 * A question of a job `POST /chat` started, as EduMate's client reads it besides the seed's
 * fields: AssessmentView.jsx numbers questions by `question_no`, lists `answer_options` (it calls
 * `.map` on them, so without them the page fails) and shows `explaination`, the names of
 * EduMate's own `SingleMCQ` (backend/app/services/question_generation/mcq.py).
 */
export function withEduMateNames<Q extends AssessmentQuestion>(question: Q, index: number) {
  return {
    ...question,
    question_no: String(index + 1),
    answer_options: question.options,
    explaination: question.explanation,
  };
}

// --- saved assessments -----------------------------------------------------------------------

export interface EduMateSave {
  chapterName: string;
  bloomFactors: Record<string, number>;
  mcqs: AssessmentQuestion[];
  subjectiveQuestions?: OpenQuestion[] | undefined;
}

/** `POST /api/assessments/save`: a saved assessment of the key's, made from `content_json`. */
export async function saveContent(owner: string, save: EduMateSave) {
  const now = new Date().toISOString();
  const assessment: saved.SavedAssessment = {
    assessment_id: randomUUID(),
    owner,
    title: save.chapterName,
    query: null,
    // The questions say which document they come from; EduMate's save does not name it.
    document_id: save.mcqs.find((q) => q.source)?.source?.document_id ?? null,
    job_id: null,
    mcqs: save.mcqs,
    bloom_factors: save.bloomFactors,
    ...(save.subjectiveQuestions ? { subjective_questions: save.subjectiveQuestions } : {}),
    created_at: now,
    updated_at: now,
  };
  await saved.putAssessment(assessment);
  return { status: 'saved', id: assessment.assessment_id };
}

/**
 * `GET /api/assessments/history`: every saved assessment of the key's, newest first. `questions`
 * counts the MCQs only, as EduMate's `_count_questions` does (`len(content_json["mcqs"])`).
 */
export async function history(owner: string) {
  const list = await saved.listAssessments(owner);
  return list.map((a) => ({
    id: a.assessment_id,
    chapter_name: a.title,
    // EduMate counts the MCQs only (assessments.py `_count_questions`: `len(content_json["mcqs"])`).
    questions: a.question_count - (a.subjective_count ?? 0),
    created_at: a.created_at,
    status: 'completed',
  }));
}

/** `GET /api/assessments/{id}`: the content as saved (checked); another key's is not found. */
export async function detail(owner: string, id: string) {
  let assessment: saved.SavedAssessment;
  try {
    assessment = await ownedAssessment(owner, id);
  } catch (error) {
    if (error instanceof AssessmentNotFound) throw new EduMateAssessmentNotFound();
    throw error;
  }
  return {
    id: assessment.assessment_id,
    chapter_name: assessment.title,
    // The client shows them with AssessmentView.jsx, which reads EduMate's field names.
    content: {
      mcqs: assessment.mcqs.map(withEduMateNames),
      ...(assessment.subjective_questions ? { subjective_questions: assessment.subjective_questions } : {}),
    },
  };
}
