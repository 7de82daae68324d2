/**
 * The single-table key design and the S3 layout, in one place.
 *
 * DynamoDB (pk / sk):
 *   job            JOB#<job_id>           / JOB
 *   chunk record   JOB#<job_id>           / CHUNK#<chunk_key>
 *   checkpoint     CKPT#<owner>           / <chunk_key>
 *   question bank  QBANK#<owner>#<scope>  / <chunk_key>#<question_id>   (near-duplicate checks)
 *   rate limiter   RATE#<name>            / RATE
 *   budget         BUDGET#<owner>         / LIMIT (the monthly limit) and MONTH#<yyyy-mm> (committed)
 *   counter        COUNTER#<name>         / COUNTER   (the Content API's numeric job ids)
 *   request window RL#<owner>#<minute>    / WINDOW    (the Content API's requests per minute)
 *   job slots      RL#<owner>#JOBS        / JOBS      (its concurrent jobs per key)
 *   usage stats    STATS#<owner>          / DAY#<yyyy-mm-dd> and TOTAL
 *   template       TPL#<owner>            / <name>    (an owner's own prompt template)
 *   template stats TPLSTAT#<owner>        / <name>    (its use counters)
 *   saved          SAVED#<owner>          / <assessment_id>
 *   document       DOC#<owner>            / <document_id>
 *   review         REVIEW#<owner>         / Q#<question_id> (a generated question's review record)
 *                                          and H#<question_id>#<version> (each of its versions)
 * Jobs are listed newest first through gsi1 (all of an owner's jobs) and gsi2 (an owner's
 * jobs in one status), both sorted by `<created_at>#<job_id>`, so listing never scans. The
 * Content Generator API's jobs are listed apart, as the owner `<owner>#content`.
 *
 * S3:
 *   checkpoints/<owner>/<chunk_key>.json                     validated questions of a chunk
 *   results/<owner>/generated_sectors/<sector>.json          the seed's sector files (+ soft_skills.json)
 *   results/<owner>/combined/all_sectors_quiz_bank.json      the combined bank
 *   raw/<job_id>/<chunk_key>/<attempt>-<call>.json           raw model responses (expire by lifecycle)
 *   assessments/<owner>/<job_id>/chunks/<chunk_key>.json     an assessment job's chunk files
 *   assessments/<owner>/<job_id>/result.json                 its assembled MCQs
 *   content/<owner>/<job_id>/{request,plan,content}.json      a content job's request, section plan, result
 *   content/<owner>/<job_id>/sections/<section_id>.json      its generated sections
 *   batches/<owner>/<job_id>.json                            a batch-mode job's rounds and chunk states
 *   documents/<owner>/<document_id>/...                      an uploaded document and its index
 *                                                            (`documentKeys` in documents/document-store.ts)
 */

export const jobKey = (jobId: string) => ({ pk: `JOB#${jobId}`, sk: 'JOB' });
/** Chunk records share their job's partition; their sort keys start with this. */
export const CHUNK_SK_PREFIX = 'CHUNK#';
export const chunkRecordKey = (jobId: string, chunkKey: string) => ({
  pk: jobKey(jobId).pk,
  sk: `${CHUNK_SK_PREFIX}${chunkKey}`,
});
export const checkpointPk = (owner: string) => `CKPT#${owner}`;
export const checkpointKey = (owner: string, chunkKey: string) => ({ pk: checkpointPk(owner), sk: chunkKey });
export const bankPk = (owner: string, scope: string) => `QBANK#${owner}#${scope}`;
export const bankKey = (owner: string, scope: string, chunkKey: string, questionId: string) => ({
  pk: bankPk(owner, scope),
  sk: `${chunkKey}#${questionId}`,
});
export const budgetLimitKey = (owner: string) => ({ pk: `BUDGET#${owner}`, sk: 'LIMIT' });
export const budgetMonthKey = (owner: string, month: string) => ({
  pk: `BUDGET#${owner}`,
  sk: `MONTH#${month}`,
});
export const rateKey = (name: string) => ({ pk: `RATE#${name}`, sk: 'RATE' });

/** Whose list a job is in: its owner's, or the owner's list its kind keeps apart (content's). */
export const jobListOwner = (owner: string, list?: string) => (list ? `${owner}#${list}` : owner);
export const ownerIndexPk = (owner: string) => `OWNER#${owner}`;
export const ownerStatusIndexPk = (owner: string, status: string) => `OWNER#${owner}#STATUS#${status}`;
export const createdSortKey = (createdAt: string, jobId: string) => `${createdAt}#${jobId}`;

export const s3Keys = {
  chunk: (owner: string, chunkKey: string) => `checkpoints/${owner}/${chunkKey}.json`,
  /** English banks keep the seed's paths; another language's sit in a folder named by its code. */
  groupFile: (owner: string, group: string, language = 'en') =>
    `results/${owner}/generated_sectors/${language === 'en' ? '' : `${language}/`}${group}.json`,
  combined: (owner: string, language = 'en') =>
    `results/${owner}/combined/${language === 'en' ? '' : `${language}/`}all_sectors_quiz_bank.json`,
  raw: (jobId: string, chunkKey: string, attempt: number, call: number) =>
    `raw/${jobId}/${chunkKey}/${attempt}-${call}.json`,
  assessmentChunk: (owner: string, jobId: string, chunkKey: string) =>
    `assessments/${owner}/${jobId}/chunks/${chunkKey}.json`,
  assessmentResult: (owner: string, jobId: string) => `assessments/${owner}/${jobId}/result.json`,
  contentRequest: (owner: string, jobId: string) => `content/${owner}/${jobId}/request.json`,
  contentPlan: (owner: string, jobId: string) => `content/${owner}/${jobId}/plan.json`,
  contentSection: (owner: string, jobId: string, sectionId: string) =>
    `content/${owner}/${jobId}/sections/${sectionId}.json`,
  contentResult: (owner: string, jobId: string) => `content/${owner}/${jobId}/content.json`,
  batchState: (owner: string, jobId: string) => `batches/${owner}/${jobId}.json`,
};

export const counterKey = (name: string) => ({ pk: `COUNTER#${name}`, sk: 'COUNTER' });

/** `window` is floor(epoch seconds / 60). */
export const requestWindowKey = (owner: string, window: number) => ({
  pk: `RL#${owner}#${window}`,
  sk: 'WINDOW',
});
export const jobSlotsKey = (owner: string) => ({ pk: `RL#${owner}#JOBS`, sk: 'JOBS' });

export const statsPk = (owner: string) => `STATS#${owner}`;
/** A day's stats sort keys start with this, so a period is one `BETWEEN`. */
export const STATS_DAY_SK_PREFIX = 'DAY#';
export const statsDaySk = (day: string) => `${STATS_DAY_SK_PREFIX}${day}`;
export const statsDayKey = (owner: string, day: string) => ({ pk: statsPk(owner), sk: statsDaySk(day) });
export const statsTotalKey = (owner: string) => ({ pk: statsPk(owner), sk: 'TOTAL' });

export const templatePk = (owner: string) => `TPL#${owner}`;
export const templateKey = (owner: string, name: string) => ({ pk: templatePk(owner), sk: name });
export const templateStatsPk = (owner: string) => `TPLSTAT#${owner}`;
export const templateStatsKey = (owner: string, name: string) => ({ pk: templateStatsPk(owner), sk: name });

export const savedAssessmentPk = (owner: string) => `SAVED#${owner}`;
export const savedAssessmentKey = (owner: string, assessmentId: string) => ({
  pk: savedAssessmentPk(owner),
  sk: assessmentId,
});

export const documentPk = (owner: string) => `DOC#${owner}`;
export const documentKey = (owner: string, documentId: string) => ({ pk: documentPk(owner), sk: documentId });

export const reviewPk = (owner: string) => `REVIEW#${owner}`;
/** A question's review record sort keys start with this, its versions' with `H#`. */
export const REVIEW_SK_PREFIX = 'Q#';
export const reviewKey = (owner: string, questionId: string) => ({
  pk: reviewPk(owner),
  sk: `${REVIEW_SK_PREFIX}${questionId}`,
});
/** Versions sort in order: zero-padded to 6 digits. */
export const reviewVersionKey = (owner: string, questionId: string, version: number) => ({
  pk: reviewPk(owner),
  sk: `H#${questionId}#${String(version).padStart(6, '0')}`,
});
