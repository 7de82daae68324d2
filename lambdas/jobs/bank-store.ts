/**
 * Question banks (`bankKey`): the questions a career, a soft-skills topic or an assessment
 * already holds, with their chunk, for the near-duplicate check (question-bank.ts).
 */
import { bankKey, bankPk } from '#platform/keys.ts';
import { queryAll, writeBatch } from '#platform/table.ts';

/** A question kept in a bank (a career, a soft-skills topic or an assessment), and its chunk. */
export interface BankEntry {
  chunk_key: string;
  question_id: string;
  text: string;
}

/**
 * Every question of a bank, read consistently: a chunk that has just added its questions and
 * then reads the bank sees every question another chunk added before it. That order is what
 * makes the near-duplicate check safe across chunks running at once (see question-bank.ts).
 */
export async function listBank(owner: string, scope: string): Promise<BankEntry[]> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': bankPk(owner, scope) },
    ProjectionExpression: 'chunk_key, question_id, #text',
    ExpressionAttributeNames: { '#text': 'text' },
    ConsistentRead: true,
  });
  return items as unknown as BankEntry[];
}

export async function addToBank(
  owner: string,
  scope: string,
  chunkKey: string,
  entries: { question_id: string; text: string }[],
): Promise<void> {
  for (let i = 0; i < entries.length; i += 25) {
    await writeBatch(
      entries.slice(i, i + 25).map((entry) => ({
        PutRequest: {
          Item: { ...bankKey(owner, scope, chunkKey, entry.question_id), chunk_key: chunkKey, ...entry },
        },
      })),
    );
  }
}

export async function removeFromBank(
  owner: string,
  scope: string,
  chunkKey: string,
  questionIds: string[],
): Promise<void> {
  for (let i = 0; i < questionIds.length; i += 25) {
    await writeBatch(
      questionIds
        .slice(i, i + 25)
        .map((id) => ({ DeleteRequest: { Key: bankKey(owner, scope, chunkKey, id) } })),
    );
  }
}
