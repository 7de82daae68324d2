#!/usr/bin/env node
// The `quizgen` command. Plain JavaScript so that any Node can run this far and say what is
// missing: the CLI itself is TypeScript, which Node runs natively from 22.18 and 23.6 on.
import { readFileSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const stripsTypes = major > 23 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);

if (!stripsTypes) {
  process.stderr.write(
    `quizgen needs Node.js 22.18 or later (or 23.6 or later), which run TypeScript natively; this is Node.js ${process.versions.node}.\n` +
      'Upgrade Node.js (https://nodejs.org), or run it from the repository with `npx quizgen`, which uses the Node 24 it pins.\n',
  );
  process.exit(1);
}

// Node strips types from no file under node_modules, which is where `npm install -g` copies a
// package from git or a tarball (a folder is linked instead). There, strip ours in a load hook.
const packageRoot = new URL('../', import.meta.url).href;
if (packageRoot.includes('/node_modules/')) {
  const emitWarning = process.emitWarning;
  // stripTypeScriptTypes announces itself as experimental; a CLI's user has no use for that.
  process.emitWarning = (warning, ...rest) => {
    if (String(warning).includes('stripTypeScriptTypes')) return;
    emitWarning.call(process, warning, ...rest);
  };
  module.registerHooks({
    load(url, context, nextLoad) {
      if (!url.startsWith(packageRoot) || !url.endsWith('.ts')) return nextLoad(url, context);
      const source = readFileSync(fileURLToPath(url), 'utf8');
      return { format: 'module', source: module.stripTypeScriptTypes(source), shortCircuit: true };
    },
  });
}

const { runCli } = await import('../cli/main.ts');
await runCli();
