/**
 * The command line as data: every command's usage, options, help text and the rules across its
 * options. `args.ts` parses and checks argv against it and prints help from it.
 */

export type OptionType = 'string' | 'boolean' | 'integer' | 'number';

export interface OptionSpec {
  name: string;
  short?: string;
  type: OptionType;
  /** The value's placeholder in help and messages: `--sector S`. */
  value?: string;
  help: string;
  required?: boolean;
  choices?: readonly string[];
  min?: number;
  max?: number;
  /** A boolean that is on unless `--no-<name>` is given. */
  defaultTrue?: boolean;
}

export type OptionValue = string | number | boolean | undefined;
export type OptionValues = Record<string, OptionValue>;

export interface CommandSpec {
  /** `jobs`, or `generate career-level` for a group's command. */
  name: string;
  /** After `quizgen `: `jobs [--status S] [--limit N]`. */
  usage: string;
  summary: string;
  description?: string;
  /** Required arguments, in order. */
  positionals?: readonly { name: string; help: string }[];
  options: readonly OptionSpec[];
  examples?: readonly string[];
  /** Whether the command talks to the API (and so needs a URL and a key). */
  api: boolean;
  /** A rule across options; answers what is wrong, or undefined. */
  check?: (values: OptionValues) => string | undefined;
}

export const JOB_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
/** Formats the exports module serves; others are passed through for the server to judge. */
export const DOWNLOAD_FORMATS = ['json', 'qti21', 'qti30', 'moodle', 'gift', 'aiken', 'csv'] as const;

export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'url',
    type: 'string',
    value: 'URL',
    help: 'service URL for this run (overrides config and QUIZGEN_URL)',
  },
  {
    name: 'key',
    type: 'string',
    value: 'KEY',
    help: 'API key for this run (overrides config and QUIZGEN_API_KEY)',
  },
  { name: 'json', type: 'boolean', help: 'print one JSON document on stdout and nothing else' },
  { name: 'help', short: 'h', type: 'boolean', help: 'show help' },
];

const WATCH_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'watch',
    type: 'boolean',
    defaultTrue: true,
    help: 'print the job id and return instead of watching the job (--no-watch)',
  },
  {
    name: 'interval',
    type: 'number',
    value: 'SECONDS',
    min: 0.2,
    max: 3600,
    help: 'seconds between status polls (default 2)',
  },
];

const REGENERATE: OptionSpec = {
  name: 'regenerate',
  type: 'boolean',
  help: 'generate everything again, ignoring chunks already in the checkpoint',
};

/** Cost control on every generate command. */
const COST_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'dry-run',
    type: 'boolean',
    help: 'print what the job would generate and cost (chunks, tokens, USD, time) without starting it',
  },
  {
    name: 'max-cost',
    type: 'number',
    value: 'USD',
    min: 0.000001,
    max: 100_000,
    help: 'stop the job before it spends more than USD; finished chunks are kept',
  },
  {
    name: 'batch',
    type: 'boolean',
    help: "use Gemini's Batch API: half the price, finished within hours instead of minutes",
  },
];

/** The language of the questions, on every command that starts a generation. */
const LANGUAGE: OptionSpec = {
  name: 'language',
  type: 'string',
  value: 'CODE',
  help: 'write the questions in this language, an ISO 639-1 code such as fr (default en)',
};

const JOB_ARGUMENT = [{ name: 'JOB', help: 'the job id (a UUID, as printed when the job started)' }] as const;

export const GROUPS: Record<string, { summary: string; usage: string }> = {
  generate: {
    summary: 'Start a quiz-bank generation job and watch it',
    usage: 'generate career-level|sector|soft-skills|full [options]',
  },
  review: {
    summary: 'List generated questions by review state, approve, reject or regenerate them',
    usage: 'review list|approve|reject|regenerate [options]',
  },
};

/** Review states, as the review API names them (lambdas/review/review-store.ts). */
export const REVIEW_STATES = ['pending', 'approved', 'rejected'] as const;

const DECISION_OPTIONS: readonly OptionSpec[] = [
  {
    name: 'ids',
    type: 'string',
    value: 'IDS',
    required: true,
    help: 'question ids, separated by commas (at most 100), as review list prints them',
  },
  { name: 'note', type: 'string', value: 'TEXT', help: 'a note kept with the decision' },
];

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'configure',
    usage: 'configure [--url URL] [--key KEY] | configure --show',
    summary: 'Store the service URL and API key, or show them',
    description:
      'Saves the URL and key in $XDG_CONFIG_HOME/quizgen/config.json (default ~/.config/quizgen/config.json,\n' +
      'readable only by you). Give either or both; the other keeps its stored value. On a terminal,\n' +
      'without flags, it asks for them. QUIZGEN_URL and QUIZGEN_API_KEY override the file, and\n' +
      '--url and --key override both, on any command.',
    options: [{ name: 'show', type: 'boolean', help: 'print the stored and effective settings, key masked' }],
    examples: [
      'quizgen configure --url http://localhost:3000 --key oj4uhbJ8Sa0d…',
      'quizgen configure --url https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
      'quizgen configure --show',
    ],
    api: false,
  },
  {
    name: 'sectors',
    usage: 'sectors',
    summary: 'List the sectors, their careers and the levels',
    options: [],
    api: true,
  },
  {
    name: 'generate career-level',
    usage: 'generate career-level --sector S --career C --level N [options]',
    summary: "Generate one career level's questions",
    description:
      'Starts an async job for one career and level and, unless --no-watch, watches it to the end.',
    options: [
      { name: 'sector', type: 'string', value: 'S', required: true, help: 'sector id, e.g. technology' },
      {
        name: 'career',
        type: 'string',
        value: 'C',
        required: true,
        help: 'career id, e.g. FRONTEND_DEVELOPER (quizgen sectors lists them)',
      },
      {
        name: 'level',
        type: 'integer',
        value: 'N',
        required: true,
        min: 1,
        help: 'difficulty level, 1 to 5',
      },
      REGENERATE,
      LANGUAGE,
      ...COST_OPTIONS,
      ...WATCH_OPTIONS,
    ],
    examples: ['quizgen generate career-level --sector technology --career FRONTEND_DEVELOPER --level 1'],
    api: true,
  },
  {
    name: 'generate sector',
    usage: 'generate sector --sector S [options]',
    summary: 'Generate every career and level of a sector',
    options: [
      { name: 'sector', type: 'string', value: 'S', required: true, help: 'sector id, e.g. finance' },
      REGENERATE,
      LANGUAGE,
      ...COST_OPTIONS,
      ...WATCH_OPTIONS,
    ],
    examples: [
      'quizgen generate sector --sector finance --no-watch',
      'quizgen generate sector --sector finance --dry-run',
      'quizgen generate sector --sector finance --max-cost 2.5 --batch',
    ],
    api: true,
  },
  {
    name: 'generate soft-skills',
    usage: 'generate soft-skills [options]',
    summary: 'Generate the soft-skills questions',
    options: [REGENERATE, LANGUAGE, ...COST_OPTIONS, ...WATCH_OPTIONS],
    api: true,
  },
  {
    name: 'generate full',
    usage: 'generate full [--no-soft-skills] [options]',
    summary: 'Generate all sectors (and soft skills)',
    options: [
      {
        name: 'soft-skills',
        type: 'boolean',
        defaultTrue: true,
        help: 'leave the soft-skills questions out (--no-soft-skills)',
      },
      REGENERATE,
      LANGUAGE,
      ...COST_OPTIONS,
      ...WATCH_OPTIONS,
    ],
    api: true,
  },
  {
    name: 'assess',
    usage: 'assess --query TEXT --mix MIX [--document ID] [--title T] [options]',
    summary: 'Generate an assessment, grounded in a document if given',
    description:
      'Starts POST /generate_assessment, watches the job (GET /job_status) and saves the finished\n' +
      'assessment to your account, so that quizgen download --assessment ID fetches it later\n' +
      '(job results expire after 24 hours).',
    options: [
      {
        name: 'query',
        type: 'string',
        value: 'TEXT',
        help: 'what the questions are about, e.g. "photosynthesis" (required)',
      },
      { name: 'topic', type: 'string', value: 'TEXT', help: 'same as --query' },
      {
        name: 'mix',
        type: 'string',
        value: 'MIX',
        required: true,
        help: 'questions per Bloom level: "remember:5,apply:5" or "5 remember, 3 understand"',
      },
      {
        name: 'document',
        type: 'string',
        value: 'ID',
        help: 'a ready document (uploaded with POST /documents) to ground the questions in',
      },
      {
        name: 'open',
        type: 'integer',
        value: 'N',
        min: 0,
        help: "how many of the mix's questions are open questions with a model answer (default 0)",
      },
      LANGUAGE,
      { name: 'title', type: 'string', value: 'T', help: 'title of the saved assessment' },
      {
        name: 'save',
        type: 'boolean',
        defaultTrue: true,
        help: 'do not save the finished assessment to your account (--no-save)',
      },
      ...WATCH_OPTIONS,
    ],
    examples: [
      'quizgen assess --query photosynthesis --document 3f2a… --mix "remember:5,apply:5"',
      'quizgen assess --query "SQL joins" --mix "5 understand, 5 apply" --no-save --json',
      'quizgen assess --query photosynthesis --document 3f2a… --mix "remember:4,create:2" --open 2 --language fr',
    ],
    check: (v) =>
      v.query === undefined && v.topic === undefined
        ? 'missing --query TEXT: what the questions are about'
        : undefined,
    api: true,
  },
  {
    name: 'jobs',
    usage: 'jobs [--status S] [--limit N] [--offset N]',
    summary: 'List your jobs, newest first',
    options: [
      { name: 'status', type: 'string', value: 'S', choices: JOB_STATUSES, help: 'only jobs in this status' },
      {
        name: 'limit',
        type: 'integer',
        value: 'N',
        min: 1,
        max: 100,
        help: 'at most N jobs (1-100, default 50)',
      },
      { name: 'offset', type: 'integer', value: 'N', min: 0, help: 'skip the first N jobs' },
    ],
    examples: ['quizgen jobs --status running', 'quizgen jobs --status failed --limit 5 --json'],
    api: true,
  },
  {
    name: 'quality',
    usage: 'quality JOB',
    summary: "Show the quality gate's report of a job: passed first time, repaired, failed, and why",
    positionals: JOB_ARGUMENT,
    options: [],
    api: true,
  },
  {
    name: 'budget',
    usage: 'budget [--set USD | --clear]',
    summary: "Show this key's monthly budget and spend, or set it",
    options: [
      {
        name: 'set',
        type: 'number',
        value: 'USD',
        min: 0.000001,
        max: 1_000_000,
        help: 'set the monthly budget; jobs stop when it is reached',
      },
      { name: 'clear', type: 'boolean', help: 'remove the monthly budget' },
    ],
    examples: ['quizgen budget', 'quizgen budget --set 50', 'quizgen budget --clear'],
    api: true,
    check: (v) => (v.set !== undefined && v.clear === true ? 'give --set or --clear, not both' : undefined),
  },
  {
    name: 'status',
    usage: 'status JOB',
    summary: 'Show one job: status, progress, chunks, tokens, cost, error',
    positionals: JOB_ARGUMENT,
    options: [],
    api: true,
  },
  {
    name: 'watch',
    usage: 'watch JOB [--interval SECONDS]',
    summary: 'Follow a job with a live progress bar until it ends',
    description:
      'On a terminal, a progress bar redrawn in place (chunks, questions, cost, elapsed, ETA);\n' +
      'otherwise one line per change. Exits 0 when the job completes, 4 when it fails, 5 when it is\n' +
      'cancelled. Ctrl-C stops watching; the job goes on.',
    positionals: JOB_ARGUMENT,
    options: WATCH_OPTIONS.filter((o) => o.name === 'interval'),
    api: true,
  },
  {
    name: 'cancel',
    usage: 'cancel JOB',
    summary: 'Stop a pending or running job (finished chunks stay in the checkpoint)',
    positionals: JOB_ARGUMENT,
    options: [],
    api: true,
  },
  {
    name: 'resume',
    usage: 'resume JOB [--no-watch] [--interval SECONDS]',
    summary: 'Start a failed or cancelled job again; only what is missing is generated',
    description:
      "Reads the job's type and parameters and starts the same generation as a new job; the\n" +
      "service's checkpoint makes it skip the chunks that were already generated.",
    positionals: JOB_ARGUMENT,
    options: WATCH_OPTIONS,
    api: true,
  },
  {
    name: 'review list',
    usage:
      'review list [--job ID] [--assessment ID] [--state S] [--sector S --career C --level N] [--limit N]',
    summary: 'List generated questions with their review state, version and note',
    options: [
      {
        name: 'job',
        type: 'string',
        value: 'ID',
        help: "a job's questions (a content job by the number the content API gives it)",
      },
      { name: 'assessment', type: 'string', value: 'ID', help: "an assessment job's questions" },
      {
        name: 'state',
        type: 'string',
        value: 'S',
        choices: REVIEW_STATES,
        help: 'only questions in this state',
      },
      { name: 'sector', type: 'string', value: 'S', help: "a sector's questions" },
      { name: 'career', type: 'string', value: 'C', help: "a career's questions" },
      { name: 'level', type: 'integer', value: 'N', min: 1, max: 5, help: "a level's questions" },
      { name: 'limit', type: 'integer', value: 'N', min: 1, max: 200, help: 'at most N (1-200, default 50)' },
      { name: 'cursor', type: 'string', value: 'C', help: 'the next page, as the previous one printed' },
    ],
    examples: [
      'quizgen review list --job 5f0c… --state pending',
      'quizgen review list --assessment 9a1b… --json',
      'quizgen review list --job 17 --state pending   (content job 17)',
    ],
    api: true,
  },
  {
    name: 'review approve',
    usage: 'review approve --ids ID[,ID...] [--note TEXT]',
    summary: 'Approve questions, so that downloads with --review approved hold them',
    options: DECISION_OPTIONS,
    examples: ['quizgen review approve --ids 0b6e…,4c1d…'],
    api: true,
  },
  {
    name: 'review reject',
    usage: 'review reject --ids ID[,ID...] [--note TEXT]',
    summary: 'Reject questions, with a note saying why',
    options: DECISION_OPTIONS,
    examples: ['quizgen review reject --ids 0b6e… --note "two right answers"'],
    api: true,
  },
  {
    name: 'review regenerate',
    usage: 'review regenerate ID [--instructions TEXT] [--no-watch]',
    summary:
      'Write a new question in place of this one through the quality gate; the new one is pending, this one rejected',
    positionals: [{ name: 'ID', help: 'the question id, as review list prints it' }],
    options: [
      {
        name: 'instructions',
        type: 'string',
        value: 'TEXT',
        help: 'what the new question should do differently (at most 500 characters)',
      },
      ...WATCH_OPTIONS,
    ],
    examples: ['quizgen review regenerate 0b6e… --instructions "make it harder"'],
    api: true,
  },
  {
    name: 'download',
    usage:
      'download --sector S [--career C --level N] | --soft-skills | --combined | --assessment ID | --content ID [--format F] [--review STATE] [-o FILE]',
    summary: "Download generated questions, a saved assessment or a content job's content",
    description:
      'Writes the result as received (exports in zip formats are binary). Large results are fetched\n' +
      'from the presigned link the service redirects to.',
    options: [
      { name: 'sector', type: 'string', value: 'S', help: "a sector's file" },
      { name: 'career', type: 'string', value: 'C', help: 'with --sector and --level: one career level' },
      { name: 'level', type: 'integer', value: 'N', min: 1, help: 'with --sector and --career' },
      { name: 'soft-skills', type: 'boolean', help: 'the soft-skills questions' },
      { name: 'combined', type: 'boolean', help: 'the combined bank' },
      { name: 'assessment', type: 'string', value: 'ID', help: 'a saved assessment' },
      {
        name: 'content',
        type: 'integer',
        value: 'ID',
        min: 1,
        help: "a content job's content (GET /api/jobs/{id}/content), by the content API's job id",
      },
      {
        name: 'format',
        type: 'string',
        value: 'F',
        help: `json (default), ${DOWNLOAD_FORMATS.slice(1).join(', ')}`,
      },
      {
        name: 'review',
        type: 'string',
        value: 'STATE',
        choices: REVIEW_STATES,
        help: 'only the questions in this review state (quiz banks, content; not a saved assessment)',
      },
      {
        name: 'output',
        short: 'o',
        type: 'string',
        value: 'FILE',
        help: 'where to write it; - for stdout (default: a name from what is downloaded)',
      },
    ],
    examples: [
      'quizgen download --sector technology --career FRONTEND_DEVELOPER --level 1',
      'quizgen download --sector finance --format moodle -o finance.xml',
      'quizgen download --combined -o - | jq .',
      'quizgen download --content 17 --review approved -o quiz.json',
    ],
    check: checkDownload,
    api: true,
  },
];

function checkDownload(v: OptionValues): string | undefined {
  const sources = [
    v.sector !== undefined && '--sector',
    v['soft-skills'] === true && '--soft-skills',
    v.combined === true && '--combined',
    v.assessment !== undefined && '--assessment',
    v.content !== undefined && '--content',
  ].filter((s): s is string => typeof s === 'string');
  if (sources.length === 0)
    return 'say what to download: --sector S, --soft-skills, --combined, --assessment ID or --content ID';
  if (v.content !== undefined && typeof v.format === 'string' && v.format !== 'json') {
    return "--content downloads the content as JSON, the content API's only format; leave out --format";
  }
  if (sources.length > 1) return `choose one of ${sources.join(', ')}`;
  if ((v.career === undefined) !== (v.level === undefined)) return '--career and --level go together';
  if (v.career !== undefined && v.sector === undefined) return '--career and --level need --sector';
  if (typeof v.format === 'string' && !/^[a-z0-9_-]+$/i.test(v.format)) {
    return `--format must be one of ${DOWNLOAD_FORMATS.join(', ')}`;
  }
  return undefined;
}
export const VERSION_OPTION: OptionSpec = {
  name: 'version',
  short: 'V',
  type: 'boolean',
  help: 'print the version',
};

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
