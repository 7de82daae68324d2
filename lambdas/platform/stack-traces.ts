/**
 * Stack traces that name the TypeScript source (`lambdas/jobs/job.ts:42:7`) in a bundled
 * function, paid for when a trace is first read rather than at every cold start.
 *
 * `NODE_OPTIONS=--enable-source-maps` does the same mapping, but Node reads and indexes the
 * source map of every file as it loads (`maybeCacheSourceMap` in nodejs/node
 * `lib/internal/source_map/source_map_cache.js`): 10–20 % of a function's import time here
 * (README, "Cold starts"), on every cold start, for traces that most invocations never print.
 * Switching it on later does not help: Node only maps files loaded after it was switched on
 * (`process.setSourceMapsEnabled`, nodejs.org/api/process.html). So this module installs
 * `Error.prepareStackTrace` (V8's stack trace API, v8.dev/docs/stack-trace-api), which V8 calls
 * the first time an error's `stack` is read, and maps each frame with the `.map` file beside
 * the bundle file it names, read and parsed on first need with Node's own `SourceMap`
 * (nodejs.org/api/module.html#class-modulesourcemap; `findOrigin` takes and gives 1-based
 * positions, as stack traces count). The frames read as Node's `--enable-source-maps` writes
 * them (nodejs/node `lib/internal/source_map/prepare_stack_trace.js`): `at name (source:line:
 * column)`, the name taken from the map where the minifier renamed it.
 * This is how `source-map-support` worked before Node had the flag.
 *
 * It installs itself only in a bundle (a `.map` file beside this module's own file): run from
 * source, in tests or local mode, positions are the source's already, and the test runner keeps
 * its own `Error.prepareStackTrace`. (Node 24 has a default one of its own, which this replaces.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Parsed maps by the file name V8 gives a frame; `null`: the file has no readable map. */
const maps = new Map<string, SourceMap | null>();

function pathOf(fileName: string): string {
  return fileName.startsWith('file:') ? fileURLToPath(fileName) : fileName;
}

function sourceMapOf(fileName: string): SourceMap | undefined {
  let map = maps.get(fileName);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${pathOf(fileName)}.map`, 'utf8')));
    } catch {
      map = null;
    }
    maps.set(fileName, map);
  }
  return map ?? undefined;
}

/**
 * A map's source as a path: esbuild writes them relative to the map file, and Node resolves
 * them against it (`sourcesToAbsolute` in source_map_cache.js).
 */
function sourcePath(fileName: string, source: string): string {
  return source.startsWith('file:') ? fileURLToPath(source) : resolve(dirname(pathOf(fileName)), source);
}

/** The map's entry at a 1-based position, when the map covers it. */
function entryAt(map: SourceMap, line: number | null, column: number | null) {
  if (line === null || column === null) return undefined;
  const origin = map.findOrigin(line, column);
  return 'fileName' in origin && origin.fileName ? origin : undefined;
}

/**
 * The original name of the function a frame is in: the map's name at the enclosing function's
 * start, else the name the next frame's call site was given (as Node's own mapping does).
 */
function originalName(map: SourceMap, frames: NodeJS.CallSite[], i: number): string | undefined {
  const frame = frames[i] as NodeJS.CallSite;
  const enclosing = entryAt(map, frame.getEnclosingLineNumber(), frame.getEnclosingColumnNumber());
  if (enclosing?.name) return enclosing.name;
  const next = frames[i + 1];
  if (next && next.getFileName() === frame.getFileName())
    return entryAt(map, next.getLineNumber(), next.getColumnNumber())?.name || undefined;
  return undefined;
}

/**
 * One frame as `    at …`, mapped when its file has a map that covers it, named as Node's own
 * mapping names it: the map's name when it has one, else `Type.function` as V8 would write it.
 */
function formatFrame(frames: NodeJS.CallSite[], i: number): string {
  const frame = frames[i] as NodeJS.CallSite;
  const fileName = frame.getFileName();
  const map = fileName ? sourceMapOf(fileName) : undefined;
  const entry = map ? entryAt(map, frame.getLineNumber(), frame.getColumnNumber()) : undefined;
  if (!fileName || !map || !entry) return `    at ${frame}`;
  const typeName = frame.getTypeName();
  const owner = typeName !== null && typeName !== 'global' ? `${typeName}.` : '';
  const generated = `${owner}${frame.getFunctionName() || frame.getMethodName() || '<anonymous>'}`;
  const name = originalName(map, frames, i) ?? generated;
  const prefix = frame.isAsync() ? 'async ' : frame.isConstructor() ? 'new ' : '';
  return `    at ${prefix}${name} (${sourcePath(fileName, entry.fileName)}:${entry.lineNumber}:${entry.columnNumber})`;
}

/** V8's `Error.prepareStackTrace`: the error's own header, then each frame, mapped. */
function prepareStackTrace(error: Error, frames: NodeJS.CallSite[]): string {
  let header: string;
  try {
    header = Error.prototype.toString.call(error);
  } catch {
    header = '<error>';
  }
  if (frames.length === 0) return header;
  return `${header}\n${frames.map((_, i) => formatFrame(frames, i)).join('\n')}`;
}

/** Installs the mapping in a bundle (see the module comment); returns whether it did. */
export function installStackTraces(moduleUrl: string = import.meta.url): boolean {
  if (!moduleUrl.startsWith('file:') || !existsSync(`${fileURLToPath(moduleUrl)}.map`)) return false;
  Error.prepareStackTrace = prepareStackTrace;
  return true;
}

installStackTraces();
