import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { cruise, type ICruiseResult, type IConfiguration } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

// The layer rules live in .dependency-cruiser.cjs (also run by `npm run lint`). This test runs
// them on the project, and on small planted trees to show that each rule can fail.
const ROOT = path.resolve(import.meta.dirname, '..');
const config = createRequire(import.meta.url)(
  path.join(ROOT, '.dependency-cruiser.cjs'),
) as IConfiguration;
const LAYERS = ['app', 'server', 'tools', 'agents', 'bin', 'evals', 'bench', 'test', 'scripts'];

async function violations(root: string, dirs: string[]): Promise<string[]> {
  const previous = process.cwd();
  process.chdir(root);
  try {
    const result = await cruise(dirs, {
      ...config.options,
      ruleSet: { forbidden: config.forbidden ?? [] },
      validate: true,
    });
    const output = result.output as ICruiseResult;
    return output.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
  } finally {
    process.chdir(previous);
  }
}

describe('layer rules', () => {
  const planted = mkdtempSync(path.join(os.tmpdir(), 'weft-layers-'));
  afterAll(() => rmSync(planted, { recursive: true, force: true }));

  function plant(files: Record<string, string>): string {
    const root = mkdtempSync(path.join(planted, 'case-'));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      writeFileSync(path.join(root, file), text);
    }
    return root;
  }

  it('hold on the project', async () => {
    expect(await violations(ROOT, LAYERS)).toEqual([]);
  }, 60_000);

  it.each([
    [
      'no-circular',
      {
        'server/modules/a/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
        'server/modules/a/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
      },
    ],
    [
      'app-is-the-top',
      {
        'app/http.ts': 'export const buildApp = 1;\n',
        'server/modules/x/x.ts':
          "import { buildApp } from '../../../app/http.ts';\nexport default buildApp;\n",
      },
    ],
    [
      'server-not-adapters',
      {
        'tools/index.ts': 'export const TOOLS = [];\n',
        'server/modules/x/x.ts':
          "import { TOOLS } from '../../../tools/index.ts';\nexport default TOOLS;\n",
      },
    ],
    [
      'agents-not-db',
      {
        'server/db/database.ts': 'export const db = 1;\n',
        'agents/connector/plan.ts':
          "import { db } from '../../server/db/database.ts';\nexport default db;\n",
      },
    ],
    [
      'libraries-not-features',
      {
        'server/modules/connectors/connectors.service.ts': 'export const derive = 1;\n',
        'server/import/diff.ts':
          "import { derive } from '../modules/connectors/connectors.service.ts';\nexport default derive;\n",
      },
    ],
  ])('%s fails on a deliberate violation', async (rule, files) => {
    const root = plant(files);
    const found = await violations(
      root,
      ['app', 'server', 'tools', 'agents'].filter((d) =>
        Object.keys(files).some((f) => f.startsWith(`${d}/`)),
      ),
    );
    expect(
      found.some((v) => v.startsWith(`${rule}:`)),
      found.join('\n'),
    ).toBe(true);
  });
});
