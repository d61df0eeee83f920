import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ADMIN_TOOLS } from './index.ts';
import { replaceTable, toolsTable } from './readme-table.ts';

describe('README tools table', () => {
  it('matches the tool files (run `npm run docs:tools` when this fails)', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    expect(replaceTable(readme, toolsTable(ADMIN_TOOLS))).toBe(readme);
  });
  it('names every tool once', () => {
    const names = ADMIN_TOOLS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
