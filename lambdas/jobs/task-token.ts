/** The chunk message the state machine sends, and answering its task token. */
import * as z from 'zod';
import { type ChunkResult, shortError } from '#contract/pipeline.ts';
import { sfn } from '#platform/clients.ts';
import { logger } from '#platform/powertools.ts';

export const chunkMessageSchema = z.object({
  task_token: z.string().min(1),
  job_id: z.string().min(1),
  owner: z.string().min(1),
  chunk_key: z.string().min(1),
});

export type ChunkMessageBody = z.infer<typeof chunkMessageSchema>;

type Task = Pick<ChunkMessageBody, 'task_token' | 'chunk_key'>;

/** "Generate chunk" succeeded: the chunk is completed with `questions` (words, for a content section). */
export async function succeedTask(task: Task, questions: number): Promise<void> {
  const result: ChunkResult = { chunk_key: task.chunk_key, status: 'completed', questions };
  await answerToken(async () => {
    const { client, sdk } = await sfn();
    await client.send(
      new sdk.SendTaskSuccessCommand({ taskToken: task.task_token, output: JSON.stringify(result) }),
    );
  }, task.chunk_key);
}

/**
 * "Generate chunk" failed with `error` (the state machine's Catch turns ChunkFailed into a
 * failed chunk and lets the job go on). The cause becomes the chunk's result in the Map's
 * output, next to every other chunk's, so it is cut short (`shortError`): a full bank of long
 * causes would pass Step Functions' 256 KiB state quota and fail the execution where no Catch
 * sees it. The whole error is on the chunk's record.
 */
export async function failTask(task: Task, error: string, cause: string): Promise<void> {
  await answerToken(async () => {
    const { client, sdk } = await sfn();
    await client.send(
      new sdk.SendTaskFailureCommand({ taskToken: task.task_token, error, cause: shortError(cause) }),
    );
  }, task.chunk_key);
}

/** Answering the token of an execution that was stopped or timed out is not an error for us. */
async function answerToken(send: () => Promise<unknown>, chunkKey: string): Promise<void> {
  try {
    await send();
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TaskTimedOut' || name === 'TaskDoesNotExist' || name === 'InvalidToken') {
      logger.warn('Task token no longer valid; the execution has moved on', {
        chunk_key: chunkKey,
        error: name,
      });
      return;
    }
    throw error;
  }
}
