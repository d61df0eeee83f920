/**
 * No source file grows past MAX_LINES. A file that long holds several concerns, which is where
 * reviews miss things and merges collide; split it into cohesive modules (a shared types or
 * helpers module at the bottom, the public entry at the top, no import cycles) instead.
 *
 * Counted: every .ts file under the source folders below, except tests, evals/data and files
 * marked `@generated` in their first lines (their size is the generator's business).
 *
 * ALLOWLIST names the files not yet split, each with the reason. It only shrinks: the test fails
 * when a listed file is back under the limit or gone, so the entry is removed with the split
 * rather than left to cover the next file that grows.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from './source-files.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const MAX_LINES = 800;
const SOURCE_DIRS = ['server', 'tools', 'agents', 'app', 'evals', 'bin'];
const EXCLUDED_DIRS = ['evals/data'];

const ALLOWLIST: readonly { file: string; reason: string }[] = [];

function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

function isGenerated(text: string): boolean {
  return text.split('\n', 5).some((line) => line.includes('@generated'));
}

describe('source file size', () => {
  const sizes = new Map<string, number>();
  for (const file of sourceFiles({ root: ROOT, dirs: SOURCE_DIRS, exclude: EXCLUDED_DIRS })) {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    if (!isGenerated(text)) sizes.set(file, lineCount(text));
  }
  const allowed = new Set(ALLOWLIST.map((entry) => entry.file));

  it('finds the source files', () => {
    // Guards the walk itself: an empty list would pass every check below.
    expect(sizes.size).toBeGreaterThan(100);
  });

  it(`keeps every source file at ${MAX_LINES} lines or fewer`, () => {
    const tooLong = [...sizes]
      .filter(([file, lines]) => lines > MAX_LINES && !allowed.has(file))
      .map(([file, lines]) => `${file} (${lines} lines)`);
    expect(tooLong, `split these into cohesive modules of at most ${MAX_LINES} lines`).toEqual([]);
  });

  it('allowlists only files still over the limit (the list only shrinks)', () => {
    const stale = ALLOWLIST.filter(({ file }) => (sizes.get(file) ?? 0) <= MAX_LINES).map(
      ({ file }) =>
        sizes.has(file)
          ? `${file} (${sizes.get(file)} lines: remove it from ALLOWLIST)`
          : `${file} (gone: remove it from ALLOWLIST)`,
    );
    expect(stale).toEqual([]);
  });
});
