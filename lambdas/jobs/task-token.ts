/** The chunk message the state machine sends, and answering its task token. */
import { z } from 'zod';
import { logger } from '#platform/powertools.ts';

export const chunkMessageSchema = z.object({
  task_token: z.string().min(1),
  job_id: z.string().min(1),
  owner: z.string().min(1),
  chunk_key: z.string().min(1),
});

export type ChunkMessageBody = z.infer<typeof chunkMessageSchema>;

/** Answering the token of an execution that was stopped or timed out is not an error for us. */
export async function answerToken(send: () => Promise<unknown>, chunkKey: string): Promise<void> {
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
