// `weft connector build` end to end through the CLI function on an embedded store: a spec file
// becomes a connector whose actions all pass against the spec's mock, with one JSON progress
// line per step and the report last.
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../test/cli.ts';

const cli = runCliCaptured;

describe('weft connector build', () => {
  it('builds petstore from its spec file offline: every action passes against the mock', async () => {
    const env = { WEFT_DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'weft-cli-agent-')) };
    expect((await cli(['org', 'create', 'Builders'], env)).code).toBe(0);
    const spec = fileURLToPath(new URL('../evals/data/specs/petstore-v3.yaml', import.meta.url));
    const run = await cli(['connector', 'build', spec, '--json'], env);
    expect(run.code, run.err).toBe(0);
    const lines = run.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const steps = new Set(lines.filter((l) => l['type'] === 'progress').map((l) => l['step']));
    expect([...steps]).toEqual(['discover', 'build', 'events', 'test', 'fix', 'map', 'report']);
    const report = lines.at(-1)?.['report'] as {
      status: string;
      actions: unknown[];
      tests: { target: string; passed: number; failed: number; results: unknown[] }[];
    };
    expect(report.status).toBe('completed');
    expect(report.actions).toHaveLength(19);
    const mock = report.tests.find((t) => t.target === 'mock');
    expect(mock?.failed).toBe(0);
    expect(mock?.passed).toBe(19);

    const text = await cli(['connector', 'build', spec, '--slug', 'pets', '--top', '4'], env);
    expect(text.code, text.err).toBe(0);
    expect(text.out).toMatch(/^built: pets/);
    expect(text.out).toMatch(/tests {5}mock: 4 passed, 0 failed/);
    expect(text.err).toMatch(/\d+\.\ds {2}test {5}mock: 4 passed, 0 failed/);
  }, 240_000);
});
