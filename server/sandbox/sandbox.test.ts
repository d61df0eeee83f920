import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors.ts';
import { compileWorkflow } from './compile.ts';
import {
  runInIsolate,
  type SandboxHost,
  type SandboxLimits,
  type SandboxResult,
} from './isolate.ts';
import { createSandboxPool, type SandboxPool } from './pool.ts';

const LIMITS: SandboxLimits = { memoryMb: 64, cpuMs: 300, wallMs: 500 };

const echoHost: SandboxHost = {
  call: ({ name, argsJson }) =>
    Promise.resolve(JSON.stringify({ name, args: JSON.parse(argsJson) as unknown })),
};

async function compile(source: string): Promise<string> {
  return (await compileWorkflow({ source, filename: 'workflow.ts' })).code;
}

function errorOf(result: SandboxResult): { kind: string; message: string } {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.output)}`);
  return result.error;
}

describe('compileWorkflow', () => {
  it('compiles TypeScript to a script for the isolate', async () => {
    const { code, sourceMap } = await compileWorkflow({
      source:
        'type In = { n: number };\nexport default async function (ctx: { input: In }): Promise<number> { return ctx.input.n * 2; }',
      filename: 'double.ts',
    });
    expect(code).toContain('__weftWorkflow');
    expect(code).not.toContain(': Promise<number>');
    expect(sourceMap).toContain('double.ts');
  });

  it.each([
    [
      "import fs from 'node:fs';\nexport default async function () { return fs; }",
      "line 1:16: imports are not allowed in workflow code ('node:fs')",
    ],
    [
      "const a = 1;\nconst cp = require('child_process');\nexport default async function () { return cp; }",
      "line 2:20: imports are not allowed in workflow code ('child_process')",
    ],
    [
      "const m = 'fs';\nexport default async function () { return import(m); }",
      'line 2: require() and import() are not available',
    ],
  ])('refuses imports with the line: %s', async (source, message) => {
    const error = await compileWorkflow({ source, filename: 'w.ts' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('validation_failed');
    expect((error as AppError).message).toContain(message);
  });

  it.each([
    ['export default function () { return 1; }', 'must have'],
    ['export const run = async () => 1;', 'default export is missing'],
    ['export default async function (ctx {', 'line 1:'],
  ])('refuses %s', async (source, message) => {
    await expect(compileWorkflow({ source, filename: 'w.ts' })).rejects.toThrow(message);
  });
});

describe('runInIsolate', () => {
  it('returns the output, captures logs and round-trips ctx.call as JSON', async () => {
    const code = await compile(`export default async function (ctx: any) {
      ctx.log.info('start', { n: ctx.input.n });
      ctx.log.warn('careful');
      const answer = await ctx.call('echo', { n: ctx.input.n + 1 });
      return { answer };
    }`);
    const result = await runInIsolate({ code, input: { n: 1 }, host: echoHost, limits: LIMITS });
    expect(result).toMatchObject({
      ok: true,
      output: { answer: { name: 'echo', args: { n: 2 } } },
      logs: [
        { level: 'info', message: 'start {"n":1}' },
        { level: 'warn', message: 'careful' },
      ],
    });
  });

  it('stops a synchronous infinite loop', async () => {
    const code = await compile('export default async function () { while (true) {} }');
    expect(
      errorOf(await runInIsolate({ code, input: null, host: echoHost, limits: LIMITS })).kind,
    ).toBe('timeout');
  });

  it('stops a promise that never settles (wall-clock watchdog)', async () => {
    const code = await compile('export default async function () { await new Promise(() => {}); }');
    const result = await runInIsolate({ code, input: null, host: echoHost, limits: LIMITS });
    expect(errorOf(result).kind).toBe('timeout');
    expect(errorOf(result).message).toContain('wall-clock');
  });

  it('stops an infinite async loop (CPU watchdog)', async () => {
    const code = await compile('export default async function () { for (;;) await null; }');
    expect(
      errorOf(await runInIsolate({ code, input: null, host: echoHost, limits: LIMITS })).kind,
    ).toBe('timeout');
  });

  // Raw scripts, not compiled ones: this proves the isolate itself, whatever the compiler lets through.
  it.each([
    ['process', 'return process.pid;'],
    ['globalThis.process', 'return globalThis.process.env;'],
    ['require', "return require('fs');"],
    ['Function constructor', "return Function('return process')().env;"],
    ['dynamic import', "return (await import('node:fs')).readFileSync('/etc/passwd', 'utf8');"],
  ])('has no %s', async (_name, body) => {
    const code = `var __weftWorkflow = { default: async () => { ${body} } };`;
    const result = await runInIsolate({ code, input: null, host: echoHost, limits: LIMITS });
    expect(errorOf(result).kind).toBe('error');
    expect(errorOf(result).message).toMatch(/is not defined|Cannot read|Not supported/);
  });

  it('refuses a ctx.call argument that is not JSON, without calling the host', async () => {
    let called = false;
    const host: SandboxHost = { call: () => ((called = true), Promise.resolve('null')) };
    const code = await compile(
      "export default async function (ctx: any) { return ctx.call('x', { f: () => 1 }); }",
    );
    const result = await runInIsolate({ code, input: null, host, limits: LIMITS });
    expect(errorOf(result).kind).toBe('error');
    expect(errorOf(result).message).toContain('not JSON');
    expect(called).toBe(false);
  });

  it.each([
    ['a function', 'return { f: () => 1 };'],
    ['a BigInt', 'return 1n;'],
    ['a cycle', 'const a: any = {}; a.self = a; return a;'],
    ['a Map', 'return new Map();'],
    ['forged by a replaced JSON.stringify', "JSON.stringify = () => '{oops'; return 1;"],
  ])('reports output that is %s as invalid_output', async (_name, body) => {
    const code = await compile(`export default async function () { ${body} }`);
    expect(
      errorOf(await runInIsolate({ code, input: null, host: echoHost, limits: LIMITS })).kind,
    ).toBe('invalid_output');
  });
});

describe('sandbox pool', () => {
  let pool: SandboxPool;
  beforeAll(() => {
    pool = createSandboxPool({ size: 2, maxQueue: 10, limits: LIMITS });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('runs a workflow in a child process with host calls over IPC', async () => {
    const code = await compile(
      "export default async function (ctx: any) { ctx.log.info('hi'); return ctx.call('echo', ctx.input); }",
    );
    const result = await pool.run({ code, input: [1, 'two'], host: echoHost });
    expect(result).toMatchObject({
      ok: true,
      output: { name: 'echo', args: [1, 'two'] },
      logs: [{ message: 'hi' }],
    });
  });

  it.runIf(process.platform === 'linux')('starts children with an empty environment', () => {
    // Read from outside the child, so that no code path in the child is trusted to tell the truth.
    const pids = pool.pids();
    expect(pids).toHaveLength(2);
    for (const pid of pids) {
      const names = readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .filter(Boolean)
        .map((entry) => entry.split('=')[0]);
      // Node itself adds the IPC channel's descriptor and mode; nothing else may be there.
      expect(names.filter((name) => !name?.startsWith('NODE_CHANNEL_'))).toEqual([]);
    }
  });

  it('stops a never-settling workflow inside a child too', async () => {
    const code = await compile('export default async function () { await new Promise(() => {}); }');
    expect(errorOf(await pool.run({ code, input: null, host: echoHost })).kind).toBe('timeout');
  });

  it('fails a memory bomb with kind memory and keeps working afterwards', async () => {
    const bomb = await compile(
      'export default async function () { const a: unknown[] = []; for (;;) a.push(new Array(1e6).fill(1)); }',
    );
    expect(errorOf(await pool.run({ code: bomb, input: null, host: echoHost })).kind).toBe(
      'memory',
    );
    const ok = await compile('export default async function () { return 42; }');
    expect(await pool.run({ code: ok, input: null, host: echoHost })).toMatchObject({
      ok: true,
      output: 42,
    });
  });

  it('fails only the job of a killed child, replaces it and runs the next job', async () => {
    const single = createSandboxPool({ size: 1, limits: { ...LIMITS, wallMs: 10_000 } });
    try {
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      const host: SandboxHost = {
        call: ({ name }) => {
          if (name === 'started') started();
          return Promise.resolve('null');
        },
      };
      const code = await compile(
        "export default async function (ctx: any) { await ctx.call('started', null); await new Promise(() => {}); }",
      );
      const job = single.run({ code, input: null, host });
      await running;
      const [pid] = single.pids();
      process.kill(pid!, 'SIGKILL');
      expect(errorOf(await job).kind).toBe('crash');
      const ok = await compile('export default async function (ctx: any) { return ctx.input; }');
      expect(await single.run({ code: ok, input: 'next', host: echoHost })).toMatchObject({
        ok: true,
        output: 'next',
      });
      expect(single.pids()).not.toContain(pid);
    } finally {
      await single.close();
    }
  });

  it('bounds the queue', async () => {
    const tiny = createSandboxPool({ size: 1, maxQueue: 1, limits: LIMITS });
    try {
      const code = await compile('export default async function () { return 1; }');
      const running = tiny.run({ code, input: null, host: echoHost });
      const queued = tiny.run({ code, input: null, host: echoHost });
      await expect(tiny.run({ code, input: null, host: echoHost })).rejects.toThrow(
        'too many workflow runs',
      );
      expect((await running).ok).toBe(true);
      expect((await queued).ok).toBe(true);
    } finally {
      await tiny.close();
    }
  });
});
