/**
 * The shipped prompt templates, `data/templates.json`, checked against their schema (every
 * section kind has one). The check is the same on every cold start, so the deployed bundles run
 * it at bundle time and carry its result (`lib/bundling.ts`, `PREBUILT_MODULES`): a template file
 * that fails it fails `cdk synth`. Run from source (tests, local mode) it is checked at load.
 */
import * as z from 'zod';
import shippedJson from '#data/templates.json' with { type: 'json' };
import { STRUCTURE_TYPES } from './request.ts';
import { SECTION_KINDS } from './sections.ts';

export const shippedTemplates = z
  .object({
    systemPrompt: z.string().min(1),
    templates: z.record(
      z.enum(SECTION_KINDS),
      z.object({
        name: z.string().regex(/^[a-z][a-z0-9_]+$/),
        contentType: z.string().min(1),
        structureType: z.enum(STRUCTURE_TYPES),
        template: z.string().min(1),
      }),
    ),
  })
  .parse(shippedJson);
