/**
 * Saved assessments: an owner's copies of finished assessments, editable and kept until deleted.
 * DynamoDB: SAVED#<owner> / <assessment_id>. Another owner's key finds nothing.
 */
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#platform/clients.ts';
import { DomainError } from '#platform/errors.ts';
import { savedAssessmentKey, savedAssessmentPk } from '#platform/keys.ts';
import { queryAll, tableName, withoutKeys } from '#platform/table.ts';
import type { AssessmentQuestion } from './assessment.ts';
import type { OpenQuestion } from './open-questions.ts';

export interface SavedAssessment {
  assessment_id: string;
  owner: string;
  title: string;
  query: string | null;
  document_id: string | null;
  job_id: string | null;
  mcqs: AssessmentQuestion[];
  /** EduMate's save (`POST /api/assessments/save`): the Bloom's counts the client asked for. */
  bloom_factors?: Record<string, number>;
  /** Open questions; absent on assessments saved without them. */
  subjective_questions?: OpenQuestion[];
  created_at: string;
  updated_at: string;
}

/** DynamoDB items stop at 400 KB; keep room for keys and attribute names. */
export const MAX_SAVED_BYTES = 350_000;

export class AssessmentTooLarge extends DomainError {
  constructor(bytes: number) {
    super(
      `The assessment is ${bytes} bytes; at most ${MAX_SAVED_BYTES} bytes can be saved. Split it into smaller ones`,
      413,
    );
  }
}

const strip = (item: Record<string, unknown>) => withoutKeys<SavedAssessment>(item);

export async function putAssessment(assessment: SavedAssessment): Promise<void> {
  const bytes = Buffer.byteLength(JSON.stringify(assessment));
  if (bytes > MAX_SAVED_BYTES) throw new AssessmentTooLarge(bytes);
  await dynamo.send(
    new PutCommand({
      TableName: tableName(),
      Item: { ...savedAssessmentKey(assessment.owner, assessment.assessment_id), ...assessment },
    }),
  );
}

export async function getAssessment(owner: string, id: string): Promise<SavedAssessment | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: tableName(), Key: savedAssessmentKey(owner, id), ConsistentRead: true }),
  );
  return Item ? strip(Item) : undefined;
}

/** The owner's saved assessments, newest first, without their questions. */
export async function listAssessments(owner: string) {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': savedAssessmentPk(owner) },
  });
  return items
    .map(strip)
    .sort((a, b) => b.created_at.localeCompare(a.created_at))
    .map(({ mcqs, subjective_questions, owner: _owner, ...rest }) => ({
      ...rest,
      question_count: mcqs.length + (subjective_questions?.length ?? 0),
      ...(subjective_questions ? { subjective_count: subjective_questions.length } : {}),
    }));
}

export async function deleteAssessment(owner: string, id: string): Promise<boolean> {
  const result = await dynamo.send(
    new DeleteCommand({
      TableName: tableName(),
      Key: savedAssessmentKey(owner, id),
      ReturnValues: 'ALL_OLD',
    }),
  );
  return result.Attributes !== undefined;
}
