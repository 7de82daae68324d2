/** Named counters (`counterKey`): the Content API's numeric job ids. */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#platform/clients.ts';
import { counterKey } from '#platform/keys.ts';
import { tableName } from '#platform/table.ts';

/** The next value of a named counter, from 1: atomic, so ids are never handed out twice. */
export async function nextCounter(name: string): Promise<number> {
  const result = await dynamo.send(
    new UpdateCommand({
      TableName: tableName(),
      Key: counterKey(name),
      UpdateExpression: 'ADD #value :one',
      ExpressionAttributeNames: { '#value': 'value' },
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(result.Attributes?.value);
}
