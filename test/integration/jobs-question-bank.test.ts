/**
 * The question bank's admission against real local DynamoDB: questions another chunk of the
 * bank already has (the same or a near-copy) are refused with the reason, and of two chunks
 * admitting the same question at the same moment, never both keep it.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';

type Bank = typeof import('#jobs/question-bank.ts');
type Store = typeof import('#jobs/job-store.ts');

let aws: LocalAws;
let bank: Bank;
let store: Store;

beforeAll(async () => {
  aws = await startLocalAws();
  bank = await import('#jobs/question-bank.ts');
  store = await import('#jobs/job-store.ts');
});

afterAll(async () => {
  await aws?.stop();
});

const SCOPE = 'technology__FRONTEND_DEVELOPER';
const gate = { nearDuplicateThreshold: 0.7, allowAllNoneOfAbove: false };
const open = (owner: string, level: number, holding: string[] = []) =>
  bank.openQuestionBank({
    owner,
    scope: SCOPE,
    chunkKey: `${SCOPE}__${level}`,
    gate,
    label: 'the same career',
    holding,
  });
const question = (text: string) => ({ id: randomUUID(), question: text });

describe('openQuestionBank', () => {
  it("sees the other chunks' questions and clears what an earlier attempt of its own chunk left", async () => {
    const owner = `bank-${randomUUID()}`;
    await (await open(owner, 1)).admit([question('What does the CSS box model describe?')]);
    await (await open(owner, 2)).admit([question('Which HTML element embeds a video?')]);

    const again = await open(owner, 2);

    assert.deepEqual(again.others, ['What does the CSS box model describe?']);
    assert.deepEqual(
      (await store.listBank(owner, SCOPE)).map((e) => e.chunk_key),
      [`${SCOPE}__1`],
      "level 2's unfinished attempt is gone",
    );
  });

  it('keeps what a chunk holds between batch rounds', async () => {
    const owner = `bank-${randomUUID()}`;
    const held = question('Which HTTP method is idempotent?');
    await (await open(owner, 3)).admit([held]);

    await open(owner, 3, [held.id]);

    assert.deepEqual(
      (await store.listBank(owner, SCOPE)).map((e) => e.question_id),
      [held.id],
    );
  });
});

describe('admit', () => {
  it('refuses the same question and a near-copy of one another chunk has, with the reason', async () => {
    const owner = `bank-${randomUUID()}`;
    await (await open(owner, 1)).admit([question('What is the main purpose of CSS flexbox?')]);
    const level2 = await open(owner, 2);

    const result = await level2.admit([
      question('What is the main purpose of CSS flexbox?'),
      question('What is the purpose of CSS flexbox?'),
      question('Which CSS property sets the gap between grid tracks?'),
    ]);

    assert.deepEqual(
      result.kept.map((q) => q.question),
      ['Which CSS property sets the gap between grid tracks?'],
    );
    assert.deepEqual(
      result.refused.map((r) => r.checks),
      [['duplicate'], ['near_duplicate']],
    );
    assert.match(
      result.refused[1]?.reasons[0] ?? '',
      /nearly duplicates "What is the main purpose of CSS flexbox\?"/,
    );
    assert.deepEqual(
      (await store.listBank(owner, SCOPE)).filter((e) => e.chunk_key === `${SCOPE}__2`).map((e) => e.text),
      ['Which CSS property sets the gap between grid tracks?'],
      'refused questions leave the bank',
    );
  });

  it('never lets two chunks admitting the same question at once both keep it', async () => {
    for (let round = 0; round < 20; round++) {
      const owner = `race-${randomUUID()}`;
      const [a, b] = await Promise.all([open(owner, 1), open(owner, 2)]);
      const text = `Which statement about closures is true, case ${round}?`;

      const [ra, rb] = await Promise.all([a.admit([question(text)]), b.admit([question(text)])]);

      assert.ok(ra.kept.length + rb.kept.length <= 1, `round ${round}: both kept it`);
      const inBank = (await store.listBank(owner, SCOPE)).filter((e) => e.text === text);
      assert.equal(inBank.length, ra.kept.length + rb.kept.length, 'the bank holds exactly what was kept');
    }
  });
});
