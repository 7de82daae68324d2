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
 * Jobs are listed newest first through gsi1 (all of an owner's jobs) and gsi2 (an owner's
 * jobs in one status), both sorted by `<created_at>#<job_id>`, so listing never scans.
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
 */

export const jobKey = (jobId: string) => ({ pk: `JOB#${jobId}`, sk: 'JOB' });
export const chunkRecordKey = (jobId: string, chunkKey: string) => ({
  pk: `JOB#${jobId}`,
  sk: `CHUNK#${chunkKey}`,
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

export const ownerIndexPk = (owner: string) => `OWNER#${owner}`;
export const ownerStatusIndexPk = (owner: string, status: string) => `OWNER#${owner}#STATUS#${status}`;
export const createdSortKey = (createdAt: string, jobId: string) => `${createdAt}#${jobId}`;

export const s3Keys = {
  chunk: (owner: string, chunkKey: string) => `checkpoints/${owner}/${chunkKey}.json`,
  groupFile: (owner: string, group: string) => `results/${owner}/generated_sectors/${group}.json`,
  combined: (owner: string) => `results/${owner}/combined/all_sectors_quiz_bank.json`,
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
