/**
 * A chunk's view of its bank (the career, soft-skills topic or assessment its questions join)
 * and the admission of new questions to it, so that no two chunks keep the same question or a
 * near-copy of one, even when they run at the same moment.
 *
 * The chunk adds its questions to the bank, then reads the whole bank (consistently) and
 * withdraws each of its questions that is the same as, or a near-duplicate of, another chunk's.
 * Of two chunks racing, the one that reads second always sees the other's questions, because
 * each wrote before it read; so at most one of a pair is kept (both withdrawing, the rare worst
 * case, costs a replacement call, never a duplicate). Two requests per admission, whatever the
 * number of questions: one batch write and one query.
 */

import * as jobs from './job-store.ts';
import type { GateSettings, Rejection } from './questions.ts';
import { fingerprint, rejectionOf } from './questions.ts';
import { NearDuplicateIndex } from './similarity.ts';

export interface BankQuestion {
  id: string;
  question: string;
}

export interface QuestionBank {
  /** Questions other chunks have kept, when this chunk started. */
  readonly others: string[];
  /** An index of those, for checking new questions in memory first. */
  index(): NearDuplicateIndex;
  admit<Q extends BankQuestion>(questions: Q[]): Promise<{ kept: Q[]; refused: Rejection[] }>;
}

export async function openQuestionBank(options: {
  owner: string;
  scope: string;
  chunkKey: string;
  gate: GateSettings;
  /** How the bank is named in a rejection ("the same career", "this assessment"). */
  label: string;
  /** Ids of questions this chunk already holds (batch mode, between rounds). */
  holding?: string[];
}): Promise<QuestionBank> {
  const { owner, scope, chunkKey, gate, label } = options;
  const holding = new Set(options.holding ?? []);
  const entries = await jobs.listBank(owner, scope);
  // What an earlier, unfinished attempt of this chunk left is not part of any result.
  const stale = entries
    .filter((e) => e.chunk_key === chunkKey && !holding.has(e.question_id))
    .map((e) => e.question_id);
  if (stale.length > 0) await jobs.removeFromBank(owner, scope, chunkKey, stale);
  const others = entries.filter((e) => e.chunk_key !== chunkKey).map((e) => e.text);

  return {
    others,
    index: () => new NearDuplicateIndex(others),
    async admit<Q extends BankQuestion>(questions: Q[]) {
      if (questions.length === 0) return { kept: [], refused: [] };
      await jobs.addToBank(
        owner,
        scope,
        chunkKey,
        questions.map((q) => ({ question_id: q.id, text: q.question })),
      );
      const rivals = (await jobs.listBank(owner, scope)).filter((e) => e.chunk_key !== chunkKey);
      const prints = new Map(rivals.map((e) => [fingerprint(e.text), e.text]));
      const rivalIndex = new NearDuplicateIndex(rivals.map((e) => e.text));
      const kept: Q[] = [];
      const refused: Rejection[] = [];
      const withdrawn: string[] = [];
      for (const q of questions) {
        const sameText = prints.get(fingerprint(q.question));
        const same = sameText === undefined ? undefined : { text: sameText };
        const near = same ?? rivalIndex.nearest(q.question, gate.nearDuplicateThreshold);
        if (!near) {
          kept.push(q);
          continue;
        }
        withdrawn.push(q.id);
        refused.push(
          rejectionOf(
            -1,
            q.question,
            same
              ? [{ check: 'duplicate', reason: `duplicates another question of ${label}` }]
              : [
                  {
                    check: 'near_duplicate',
                    reason: `nearly duplicates "${near.text.slice(0, 120)}", already in ${label}; ask something else`,
                  },
                ],
          ),
        );
      }
      if (withdrawn.length > 0) await jobs.removeFromBank(owner, scope, chunkKey, withdrawn);
      return { kept, refused };
    },
  };
}
