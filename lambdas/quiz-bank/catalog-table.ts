/**
 * The catalog, `data/catalog.json`, checked against its schema. The check is the same on every
 * cold start, so the deployed bundles run it at bundle time and carry its result, as they do the
 * price table (`lib/bundling.ts`, `PREBUILT_MODULES`): a catalog that fails it fails `cdk synth`,
 * and no cold start parses it. Run from source (tests, local mode) it is checked at load.
 */
import * as z from 'zod';
import catalogJson from '#data/catalog.json' with { type: 'json' };

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

export const catalog: Catalog = catalogSchema.parse(catalogJson);
