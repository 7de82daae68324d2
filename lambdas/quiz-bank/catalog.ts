/**
 * The catalog of sectors, careers, soft-skills topics and levels. It is data
 * (`data/catalog.json`, checked in `catalog-table.ts`); this module answers questions about it.
 */
import { InvalidRequest } from '#platform/errors.ts';
import { type Career, type Catalog, catalog } from './catalog-table.ts';

export { type Career, type Catalog, catalog };

export const LEVELS = [1, 2, 3, 4, 5] as const;
export type Level = (typeof LEVELS)[number];

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
