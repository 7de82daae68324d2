/**
 * The catalog of sectors, careers, soft-skills topics and levels. It is data
 * (`data/catalog.json`); this module only reads and validates it.
 */
import * as z from 'zod';
import catalogJson from '#data/catalog.json' with { type: 'json' };
import { InvalidRequest } from '#platform/errors.ts';

const careerSchema = z.object({
  id: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
  title: z.string().min(1),
  focus: z.array(z.string().min(1)).min(1),
});

const catalogSchema = z.object({
  levels: z.record(z.string().regex(/^[1-5]$/), z.object({ name: z.string(), description: z.string() })),
  sectors: z.record(
    z.string().regex(/^[a-z][a-z0-9_]*$/),
    z.object({ title: z.string(), career_families: z.record(z.string(), z.array(careerSchema).min(1)) }),
  ),
  soft_skills: z.object({ title: z.string(), topics: z.array(careerSchema).min(1) }),
});

export type Catalog = z.infer<typeof catalogSchema>;
export type Career = z.infer<typeof careerSchema>;

export const LEVELS = [1, 2, 3, 4, 5] as const;
export type Level = (typeof LEVELS)[number];

/** Parsed once per cold start; a broken catalog fails loudly at load, not mid-job. */
export const catalog: Catalog = catalogSchema.parse(catalogJson);

export function sectorIds(cat: Catalog = catalog): string[] {
  return Object.keys(cat.sectors);
}

/** The seed's `sector_details`: sector → family → career ids. */
export function sectorDetails(cat: Catalog = catalog): Record<string, Record<string, string[]>> {
  const details: Record<string, Record<string, string[]>> = {};
  for (const [sectorId, sector] of Object.entries(cat.sectors)) {
    details[sectorId] = Object.fromEntries(
      Object.entries(sector.career_families).map(([family, careers]) => [family, careers.map((c) => c.id)]),
    );
  }
  return details;
}

export function requireSector(sector: string, cat: Catalog = catalog): string {
  if (!Object.hasOwn(cat.sectors, sector)) {
    throw new InvalidRequest(`Unknown sector: ${sector}. Valid sectors: ${sectorIds(cat).join(', ')}`);
  }
  return sector;
}

export function careersOf(sector: string, cat: Catalog = catalog): Career[] {
  const entry = cat.sectors[requireSector(sector, cat)];
  return entry ? Object.values(entry.career_families).flat() : [];
}

export function requireCareer(sector: string, career: string, cat: Catalog = catalog): Career {
  const careers = careersOf(sector, cat);
  const found = careers.find((c) => c.id === career);
  if (!found) {
    throw new InvalidRequest(
      `Unknown career for sector '${sector}': ${career}. Valid careers: ${careers.map((c) => c.id).join(', ')}`,
    );
  }
  return found;
}

export function requireLevel(level: unknown): Level {
  if (typeof level === 'number' && (LEVELS as readonly number[]).includes(level)) return level as Level;
  throw new InvalidRequest(`Invalid level: ${String(level)}. Valid levels: ${LEVELS.join(', ')}`);
}

export function softSkillTopics(cat: Catalog = catalog): Career[] {
  return cat.soft_skills.topics;
}

export function levelDescription(
  level: Level,
  cat: Catalog = catalog,
): { name: string; description: string } {
  const entry = cat.levels[String(level)];
  if (!entry) throw new Error(`Catalog has no description for level ${level}`);
  return entry;
}

export function careerFamilyOf(sector: string, career: string, cat: Catalog = catalog): string {
  const families = (Object.hasOwn(cat.sectors, sector) && cat.sectors[sector]?.career_families) || {};
  for (const [family, careers] of Object.entries(families)) {
    if (careers.some((c) => c.id === career)) return family;
  }
  return sector;
}
