/**
 * `node lib/split-bundle.ts <entry> <outdir>`: bundles one Lambda entry with code splitting
 * (`bundling.ts`), replacing the single-file bundle NodejsFunction wrote to `<outdir>`. Run by
 * QuizgenFunction's `afterBundling` hook at `cdk synth`.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { bundleOptions, ENTRY_FILE } from './bundling.ts';

const [entry, outdir] = process.argv.slice(2);
if (!entry || !outdir) throw new Error('usage: node lib/split-bundle.ts <entry> <outdir>');
await rm(join(outdir, ENTRY_FILE), { force: true });
await rm(join(outdir, `${ENTRY_FILE}.map`), { force: true });
await build(bundleOptions(entry, outdir));
