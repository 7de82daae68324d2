/**
 * "Assemble results" for a quiz bank: rebuilds the sector files the job touched from every
 * chunk in the owner's checkpoint (not only this job's, so a resumed job yields complete
 * files), then the combined bank from the sector files.
 */

import type { ChunkFile } from '#jobs/chunk-common.ts';
import { chunkKey } from '#jobs/chunks.ts';
import * as jobs from '#jobs/job-store.ts';
import type { Question } from '#jobs/questions.ts';
import * as results from '#jobs/results-store.ts';
import { s3Keys } from '#platform/keys.ts';
import { DEFAULT_LANGUAGE } from '#platform/language.ts';
import { buildSectorFile, buildSoftSkillsFile } from './assembly.ts';
import { sectorIds } from './catalog.ts';
import { fileGroupOf, languageOfChunkKey, type QuizChunk, SOFT_SKILLS } from './chunks.ts';

async function loadGroup(owner: string, group: string, language: string): Promise<Map<string, Question[]>> {
  const entries = (await jobs.listCheckpoint(owner, chunkKey(group, ''))).filter(
    (e) => languageOfChunkKey(e.chunk_key) === language,
  );
  const files = await Promise.all(entries.map((e) => results.getJson<ChunkFile>(e.s3_key)));
  const byKey = new Map<string, Question[]>();
  for (const file of files) if (file) byKey.set(file.chunk_key, file.questions);
  return byKey;
}

export async function assembleGroup(
  owner: string,
  group: string,
  language = DEFAULT_LANGUAGE,
): Promise<string> {
  const chunks = await loadGroup(owner, group, language);
  const file =
    group === SOFT_SKILLS
      ? buildSoftSkillsFile((key) => chunks.get(key), undefined, language)
      : buildSectorFile(group, (key) => chunks.get(key), undefined, language);
  const key = s3Keys.groupFile(owner, group, language);
  await results.putJson(key, file);
  return key;
}

export async function assembleCombined(owner: string, language = DEFAULT_LANGUAGE): Promise<string> {
  const combined: Record<string, unknown> = {};
  for (const group of [...sectorIds(), SOFT_SKILLS]) {
    const file = await results.getJson<unknown>(s3Keys.groupFile(owner, group, language));
    if (file) combined[group] = file;
  }
  const key = s3Keys.combined(owner, language);
  await results.putJson(key, combined);
  return key;
}

/** The files of every group the job's chunks belong to, then the combined bank, in the job's language. */
export async function assembleBank(owner: string, chunks: QuizChunk[]): Promise<string[]> {
  const groups = new Set(chunks.map(fileGroupOf));
  // A job's chunks share its language.
  const language = chunks[0]?.language ?? DEFAULT_LANGUAGE;
  const files: string[] = [];
  for (const group of groups) files.push(await assembleGroup(owner, group, language));
  files.push(await assembleCombined(owner, language));
  return files;
}
