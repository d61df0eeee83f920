// Case files: every committed case parses and points at files that exist; a file that does not
// parse is reported as that case's error rather than stopping the load; filters by id, kind, glob;
// the fixer cases seed every kind of fault, and every task case runs and checks each act phase.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fillPlaceholders, loadCases, matchesFilter, readGold, specPathOf } from './cases.ts';
import { FAULT_KINDS } from './faults.ts';

describe('eval cases', () => {
  it('has one parseable spec case per gold label of the dev set, each with its spec', async () => {
    const { cases, invalid } = await loadCases();
    expect(invalid).toEqual([]);
    const golds = (await fs.readdir(path.join(import.meta.dirname, 'data', 'gold'))).filter((f) =>
      f.endsWith('.json'),
    );
    const specCases = cases.filter((c) => c.kind === 'spec');
    expect(specCases.map((c) => `${c.id}.json`).sort()).toEqual(golds.sort());
    for (const c of specCases) {
      await fs.access(specPathOf(c));
      expect((await readGold(c)).auth.primary).toMatch(
        /^(none|basic|bearer|apiKey|oauth2|custom)$/,
      );
    }
    expect(cases.some((c) => c.kind === 'no-spec')).toBe(true);
    // Fixer cases: each on a dev spec, together seeding every kind of fault.
    const fixer = cases.filter((c) => c.kind === 'fixer');
    for (const c of fixer) await fs.access(specPathOf(c));
    expect(new Set(fixer.flatMap((c) => c.faults))).toEqual(new Set(FAULT_KINDS));
    // Task cases run (none skipped), each checked by at least one effect of its workflow.
    const tasks = cases.filter((c) => c.kind === 'task');
    expect(tasks.length).toBeGreaterThanOrEqual(3);
    for (const c of tasks) {
      expect(c.skip).toBeUndefined();
      expect(c.act.length).toBeGreaterThan(0);
      expect(Object.keys(c.expect.effects ?? {})).toEqual(c.act.map((p) => p.name));
    }
  });

  it('reports unreadable and malformed case files and keeps the rest', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'weft-cases-'));
    await fs.writeFile(path.join(dir, 'broken.json'), '{ not json');
    await fs.writeFile(path.join(dir, 'wrong.json'), JSON.stringify({ kind: 'spec', id: 'wrong' }));
    await fs.writeFile(
      path.join(dir, 'fine.json'),
      JSON.stringify({ kind: 'spec', id: 'fine', spec: 'x.yaml', gold: 'x.json' }),
    );
    const { cases, invalid } = await loadCases({ dir });
    expect(cases.map((c) => c.id)).toEqual(['fine']);
    expect(invalid.map((i) => i.id).sort()).toEqual(['broken', 'wrong']);
    expect(invalid.find((i) => i.id === 'wrong')?.error).toMatch(/spec|gold/);
    await fs.rm(dir, { recursive: true });
  });

  it('filters by id, kind and glob, and fills fixture placeholders', () => {
    expect(matchesFilter({ id: 'hubspot-crm-orders', kind: 'spec', filter: ['hubspot-*'] })).toBe(
      true,
    );
    expect(matchesFilter({ id: 'stripe', kind: 'spec', filter: ['no-spec', 'lago'] })).toBe(false);
    expect(matchesFilter({ id: 'vendor-site-docs', kind: 'no-spec', filter: ['no-spec'] })).toBe(
      true,
    );
    expect(
      fillPlaceholders({ a: '{apiOrigin}/v1', b: 'GET /items/{id}' }, { apiOrigin: 'http://h:1' }),
    ).toEqual({
      a: 'http://h:1/v1',
      b: 'GET /items/{id}',
    });
  });
});
