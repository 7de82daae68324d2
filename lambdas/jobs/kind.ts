/**
 * A job kind: what a product plugs into the job engine. The engine runs every job the same way
 * (plan its chunks, generate each one, assemble, finalize) and asks the job's kind for what only
 * the product knows: which chunks there are, how one is generated, what the results are, what
 * happens around progress and the end. The engine never looks at a job's type itself.
 *
 * Each product exports its kind from its folder's `kind.ts`; the kind registry
 * (`lambdas/kinds.ts`, the one module that imports products) lists them, and the engine's
 * handlers find a job's kind there by its `job_type`. Adding a kind is one folder plus one
 * registry line: the product's folder with its `kind.ts`, and the kind in the registry's list.
 * The engine's handlers are the composition roots: they take the kind from the registry and
 * hand it to the engine's modules, which import neither the registry nor any product.
 */
import type { AssembleInput, AssembleOutput } from '#contract/pipeline.ts';
import type { GenerationSettings } from '#platform/config.ts';
import type { GenerateChunkInput, GeneratedChunk } from './chunk-common.ts';
import type { JobParameters, JobRecord } from './job.ts';
import type { KeptChunk } from './job-store.ts';
import type { Question } from './questions.ts';
import type { RepairOutcome, RepairSpec } from './repair-loop.ts';

/**
 * What the job service needs of a kind to start, estimate, list and end its jobs, without the
 * code that generates them: a product's API hands its kind's basics (from its `kind-basics.ts`)
 * to the job service, and its bundle stays free of the model clients and the generation code.
 */
export interface KindBasics {
  /** The job types of this kind, as jobs record them in `job_type`; each belongs to one kind. */
  readonly types: readonly string[];
  /**
   * The job list its jobs appear in instead of the owner's main one, which the quiz-bank API
   * shows (the Content Generator API lists its own jobs).
   */
  readonly list?: string;
  /** How messages name a job: `sector 'finance'`. */
  title(job: Pick<JobRecord, 'job_type' | 'parameters'>): string;
  /**
   * Every chunk of a job whose parameters say which (quiz banks, assessments), with a first
   * guess of its prompt: starting a job lists them to refuse parameters naming what does not
   * exist (InvalidRequest), dry runs estimate them, budgets reserve a chunk's guess. A kind that
   * plans its chunks otherwise (content) has none.
   */
  chunks?(jobType: string, parameters: JobParameters, settings: GenerationSettings): ListedChunk[];
  /**
   * The job just reached its final status (content: usage counters, its slot, the completion
   * webhook). Nothing here may fail: the job is over whatever happens.
   */
  ended?(job: JobRecord): Promise<void>;
}

export interface JobKind extends KindBasics {
  /** "Plan chunks": the job's chunks in all, and those to generate now, in stages. */
  plan(job: JobRecord, context: PlanContext): Promise<Plan>;
  /** How progress messages name a chunk of the job; undefined when the job has no such chunk. */
  chunkLabel(job: JobRecord, chunkKey: string, settings: GenerationSettings): Promise<string | undefined>;
  /** "Generate chunk": the model calls, the checks, and the chunk's file. */
  generate(input: GenerateChunkInput): Promise<GeneratedChunk>;
  /**
   * A chunk the job kept without noting it on the chunk's record (quiz banks: the checkpoint
   * entry a batch round or a stopped delivery wrote), or undefined.
   */
  keptElsewhere?(job: Pick<JobRecord, 'job_id' | 'owner'>, chunkKey: string): Promise<KeptChunk | undefined>;
  /** A chunk is about to be generated (content: it becomes the job's current section). */
  chunkStarted?(job: JobRecord, chunkKey: string): Promise<void>;
  /** A generated chunk was counted; `job` as counted (content: the progress webhook). */
  chunkCompleted?(job: JobRecord, chunkKey: string): Promise<void>;
  /** "Assemble results": the job's result files from its chunks. */
  assemble(job: JobRecord, input: AssembleInput, settings: GenerationSettings): Promise<AssembleOutput>;
  /** Generation through Gemini's Batch API, for kinds that offer batch mode. */
  readonly batch?: BatchGeneration;
}

export interface PlanContext {
  /** The owner of the execution, whose checkpoint the plan skips. */
  owner: string;
  settings: GenerationSettings;
  /** Epoch ms by which planning must be done (model calls included). */
  deadline: number;
}

export interface Plan {
  /** Every chunk of the job, those already done included. */
  total: number;
  /** The chunk keys to generate now, by dependency: a stage starts when the one before it ends. */
  stages: string[][];
}

/**
 * A kind's chunks as the Batch API rounds generate them: each round asks for what every chunk
 * still lacks and puts the answers through the same checks as interactive generation.
 */
export interface BatchGeneration {
  systemInstruction: string;
  promptVersion: string;
  label(chunkKey: string, settings: GenerationSettings): string;
  /** What to ask for the chunk and how to check it, with the questions it holds from earlier rounds. */
  open(input: GenerateChunkInput, holding: string[]): Promise<RepairSpec<Question>>;
  /** Keeps a chunk whose questions are all there, at the batch price; fails one still short. */
  finish(input: GenerateChunkInput, outcome: RepairOutcome<Question>): Promise<GeneratedChunk>;
}

/**
 * A chunk a kind lists from a job's parameters: its key, the questions it asks for, and the
 * tokens of its first prompt (worked out only when an estimate needs them).
 */
export interface ListedChunk {
  key: string;
  questionCount: number;
  promptTokens(): number;
  /**
   * Output tokens of one of its questions when no history says otherwise; a kind sets it for
   * questions longer than a multiple-choice one (DEFAULT_OUTPUT_TOKENS_PER_QUESTION).
   */
  outputTokensPerQuestion?: number;
}

/** The kinds a caller works with, by job type: undefined for a type none of them owns. */
export type Kinds = (jobType: string) => KindBasics | undefined;

export function kindsOf<K extends KindBasics>(...kinds: K[]): (jobType: string) => K | undefined {
  const byType = new Map<string, K>();
  for (const kind of kinds) {
    for (const type of kind.types) {
      if (byType.has(type)) throw new Error(`Job type ${type} belongs to two kinds`);
      byType.set(type, kind);
    }
  }
  return (jobType) => byType.get(jobType);
}
