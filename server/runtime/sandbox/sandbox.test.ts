import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../errors.ts';
import { compileWorkflow } from './compile.ts';
import {
  createIsolateRunner,
  runInIsolate,
  type HostCallName,
  type SandboxContext,
  type SandboxHost,
  type SandboxLimits,
  type SandboxResult,
} from './isolate.ts';
import { createSandboxPool, type SandboxPool } from './pool.ts';

const LIMITS: Partial<SandboxLimits> = { memoryMb: 64, cpuMs: 300, wallMs: 500 };

const echoHost: SandboxHost = {
  call: ({ name, argsJson }) =>
    Promise.resolve(JSON.stringify({ name, args: JSON.parse(argsJson) as unknown })),
};

function context(input: unknown = null, more: Partial<SandboxContext> = {}): SandboxContext {
  return {
    input,
    headers: { 'x-request-id': 'r1' },
    trigger: { type: 'api' },
    customer: { id: 'c1', externalId: 'ext-1' },
    env: { name: 'production' },
    executionId: 'exec-1',
    ...more,
  };
}

type Call = { name: HostCallName; args: unknown };

/** A host that records every call and answers from `answers` (default: null). */
function recordingHost(
  answers: Partial<Record<HostCallName, (args: Record<string, unknown>) => unknown>> = {},
): { host: SandboxHost; calls: Call[] } {
  const calls: Call[] = [];
  const host: SandboxHost = {
    call: async ({ name, argsJson }) => {
      const args = JSON.parse(argsJson) as Record<string, unknown>;
      calls.push({ name, args });
      const answer = answers[name];
      return JSON.stringify(answer ? await answer(args) : null);
    },
  };
  return { host, calls };
}

async function compile(source: string): Promise<string> {
  return (await compileWorkflow({ source, filename: 'workflow.ts' })).code;
}

function errorOf(result: SandboxResult): { kind: string; message: string } {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.output)}`);
  return result.error;
}

function outputOf(result: SandboxResult): unknown {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`);
  return result.output;
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
  it('returns the output and captures logs at every level', async () => {
    const code = await compile(`export default async function (ctx: any) {
      ctx.log.debug('d');
      ctx.log.info('start', { n: ctx.input.n });
      ctx.log.warn('careful');
      ctx.log.error(new Error('bad'));
      return { doubled: ctx.input.n * 2 };
    }`);
    const result = await runInIsolate({
      code,
      context: context({ n: 2 }),
      host: echoHost,
      limits: LIMITS,
    });
    expect(result).toMatchObject({
      ok: true,
      output: { doubled: 4 },
      logs: [
        { level: 'debug', message: 'd' },
        { level: 'info', message: 'start {"n":2}' },
        { level: 'warn', message: 'careful' },
        { level: 'error', message: 'Error: bad' },
      ],
    });
  });

  it('stops a synchronous infinite loop', async () => {
    const code = await compile('export default async function () { while (true) {} }');
    const result = await runInIsolate({ code, context: context(), host: echoHost, limits: LIMITS });
    expect(errorOf(result).kind).toBe('timeout');
  });

  it('stops a promise that never settles (wall-clock watchdog)', async () => {
    const code = await compile('export default async function () { await new Promise(() => {}); }');
    const result = await runInIsolate({ code, context: context(), host: echoHost, limits: LIMITS });
    expect(errorOf(result).kind).toBe('timeout');
    expect(errorOf(result).message).toContain('wall-clock');
  });

  // The loop starts after an await, where isolated-vm's own timeout no longer applies: only the
  // watchdog can stop it. The wall-clock limit is far away, so a missing watchdog shows as CPU
  // burned (measured for this whole process, isolate threads included) and a wall-clock message.
  it.each([
    ['a busy loop', 'for (;;) {}'],
    ['a microtask loop', 'for (;;) await null;'],
  ])('stops an infinite async loop (CPU watchdog): %s', async (_name, loop) => {
    const code = await compile(
      `export default async function (ctx: any) { await ctx.state.get('k'); ${loop} }`,
    );
    const before = process.cpuUsage();
    const result = await runInIsolate({
      code,
      context: context(),
      host: echoHost,
      limits: { memoryMb: 64, cpuMs: 300, wallMs: 5000 },
    });
    const used = process.cpuUsage(before);
    expect(errorOf(result)).toEqual({ kind: 'timeout', message: 'CPU limit of 300 ms exceeded' });
    expect(result.cpuMs).toBeGreaterThanOrEqual(300);
    expect(result.cpuMs).toBeLessThan(1000);
    expect((used.user + used.system) / 1000).toBeLessThan(1000);
  });

  // Raw scripts, not compiled ones: this proves the isolate itself, whatever the compiler lets through.
  it.each([
    ['process', 'return process.pid;'],
    ['globalThis.process', 'return globalThis.process.env;'],
    ['require', "return require('fs');"],
    ['Function constructor', "return Function('return process')().env;"],
    [
      'this.constructor.constructor',
      "return this.constructor.constructor('return process')().env;",
    ],
    ['ctx.constructor.constructor', "return ctx.constructor.constructor('return process')().env;"],
    ['ctx.log.info.constructor', "return ctx.log.info.constructor('return process')().env;"],
    ['dynamic import', "return (await import('node:fs')).readFileSync('/etc/passwd', 'utf8');"],
  ])('has no %s', async (_name, body) => {
    const code = `var __weftWorkflow = { default: async function (ctx) { ${body} } };`;
    const result = await runInIsolate({ code, context: context(), host: echoHost, limits: LIMITS });
    expect(errorOf(result).kind).toBe('error');
    expect(errorOf(result).message).toMatch(/is not defined|Cannot read|Not supported/);
  });

  it('keeps the host callbacks out of reach of the workflow', async () => {
    const code = await compile(`export default async function (ctx: any) {
      const found: string[] = [];
      for (const name of Object.getOwnPropertyNames(globalThis)) {
        const v = (globalThis as any)[name];
        if (typeof v === 'function' && /host|ivm|^Reference$|^Callback$/i.test(name)) found.push(name);
      }
      // A workflow getter called by ctx must not reach ctx's internals through the call stack.
      let caller: unknown = 'unset';
      const value = { get a() { try { caller = (arguments as any).callee.caller; } catch (e) { caller = 'refused'; } return 1; } };
      await ctx.state.set('k', value);
      return { found, caller: caller === null || caller === 'refused' || caller === undefined };
    }`);
    const result = await runInIsolate({ code, context: context(), host: echoHost, limits: LIMITS });
    expect(outputOf(result)).toEqual({ found: [], caller: true });
  });

  it('refuses a host-call argument that is not JSON, without calling the host', async () => {
    const { host, calls } = recordingHost();
    const code = await compile(`export default async function (ctx: any) {
      const errors: string[] = [];
      class Point { x = 1 }
      const cyclic: any = {}; cyclic.self = cyclic;
      for (const value of [{ f: () => 1 }, 1n, new Map(), new Point(), cyclic, [NaN], Symbol('s')]) {
        try { await ctx.state.set('k', { value }); } catch (e: any) { errors.push(e.message); }
      }
      return errors;
    }`);
    const errors = outputOf(await runInIsolate({ code, context: context(), host, limits: LIMITS }));
    expect(errors).toEqual([
      'arguments of state.set is not JSON: function at $.value.value.f',
      'arguments of state.set is not JSON: bigint at $.value.value',
      'arguments of state.set is not JSON: Map at $.value.value',
      'arguments of state.set is not JSON: Point at $.value.value',
      'arguments of state.set is not JSON: cycle at $.value.value.self',
      'arguments of state.set is not JSON: non-finite number at $.value.value[0]',
      'arguments of state.set is not JSON: symbol at $.value.value',
    ]);
    expect(calls).toEqual([]);
  });

  it.each([
    ['a function', 'return { f: () => 1 };'],
    ['a BigInt', 'return 1n;'],
    ['a cycle', 'const a: any = {}; a.self = a; return a;'],
    ['a Map', 'return new Map();'],
  ])('reports output that is %s as invalid_output', async (_name, body) => {
    const code = await compile(`export default async function () { ${body} }`);
    const result = await runInIsolate({ code, context: context(), host: echoHost, limits: LIMITS });
    expect(errorOf(result).kind).toBe('invalid_output');
  });

  it('is not fooled by replaced builtins (JSON, Set, Array, Object.prototype.toJSON)', async () => {
    const { host, calls } = recordingHost();
    const code = await compile(`export default async function (ctx: any) {
      JSON.stringify = () => '{oops';
      JSON.parse = () => ({ forged: true });
      Set.prototype.has = () => false;
      Array.prototype.map = () => [];
      (Object.prototype as any).toJSON = () => 'evil';
      await ctx.state.set('k', { a: [1, 2] });
      return { a: 1 };
    }`);
    const result = await runInIsolate({ code, context: context(), host, limits: LIMITS });
    expect(outputOf(result)).toEqual({ a: 1 });
    expect(calls).toEqual([
      { name: 'state.set', args: { key: 'k', value: { a: [1, 2] }, scope: 'org' } },
    ]);
  });

  it('never lets a call left pending by a finished run run again', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const calls: string[] = [];
    const logs: string[] = [];
    const host: SandboxHost = {
      call: async ({ name, argsJson }) => {
        calls.push(`${name} ${argsJson}`);
        if (argsJson.includes('slow')) await held;
        return JSON.stringify('v');
      },
      log: (entry) => logs.push(entry.message),
    };
    const runner = createIsolateRunner({ limits: { ...DEFAULT_TEST_LIMITS } });
    try {
      const first = await compile(`export default async function (ctx: any) {
        void ctx.secrets.get('slow').then(async () => {
          ctx.log.info('late ' + JSON.stringify(ctx.input));
          await ctx.secrets.get('after');
        });
        return 1;
      }`);
      expect(
        outputOf(await runner.run({ orgId: 'a', code: first, context: context('one'), host })),
      ).toBe(1);
      const second = await compile(`export default async function (ctx: any) {
        return ctx.input;
      }`);
      const next = runner.run({ orgId: 'a', code: second, context: context('two'), host });
      release();
      expect(outputOf(await next)).toBe('two');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(calls).toEqual(['secrets.get {"name":"slow"}']);
      expect(logs).toEqual([]);
    } finally {
      runner.close();
    }
  });

  it('retires an isolate after maxRunsPerIsolate runs and keeps at most maxIsolates', async () => {
    const runner = createIsolateRunner({ maxIsolates: 2, maxRunsPerIsolate: 2 });
    try {
      const code = await compile('export default async function () { return 1; }');
      const run = (orgId: string) =>
        runner.run({ orgId, code, context: context(), host: echoHost });
      await run('a');
      expect(runner.orgIds()).toEqual(['a']);
      await run('a');
      expect(runner.orgIds()).toEqual([]);
      await run('a');
      await run('b');
      await run('c');
      expect(runner.orgIds()).toEqual(['b', 'c']);
    } finally {
      runner.close();
    }
  });

  it('keeps a watchdog to its own run: a timeout in org A leaves a run of org B alone', async () => {
    const runner = createIsolateRunner({ limits: { ...DEFAULT_TEST_LIMITS, wallMs: 200 } });
    try {
      let answer!: () => void;
      const waiting = new Promise<void>((resolve) => (answer = resolve));
      const host: SandboxHost = {
        call: async () => {
          await waiting;
          return '"done"';
        },
      };
      const hang = await compile(
        'export default async function () { await new Promise(() => {}); }',
      );
      const wait = await compile(
        "export default async function (ctx: any) { return ctx.secrets.get('x'); }",
      );
      const b = runner.run({
        orgId: 'b',
        code: wait,
        context: context(),
        host,
        limits: { wallMs: 5000 },
      });
      const a1 = runner.run({ orgId: 'a', code: hang, context: context(), host });
      // Same org at the same time: the second run gets an isolate of its own.
      const a2 = runner.run({
        orgId: 'a',
        code: wait,
        context: context(),
        host,
        limits: { wallMs: 5000 },
      });
      expect(errorOf(await a1).kind).toBe('timeout');
      answer();
      expect(outputOf(await b)).toBe('done');
      expect(outputOf(await a2)).toBe('done');
    } finally {
      runner.close();
    }
  });
});

const DEFAULT_TEST_LIMITS: SandboxLimits = {
  memoryMb: 64,
  cpuMs: 300,
  wallMs: 500,
  maxLogEntries: 1000,
  maxLogBytes: 1024 * 1024,
  maxOutputBytes: 1024 * 1024,
  maxCallArgsBytes: 5 * 1024 * 1024,
};

describe('ctx through the sandbox pool', () => {
  let pool: SandboxPool;
  beforeAll(() => {
    pool = createSandboxPool({ size: 2, maxQueue: 10, limits: LIMITS });
  });
  afterAll(async () => {
    await pool.close();
  });

  it('gives the context fields as deep-frozen copies', async () => {
    const code = await compile(`export default async function (ctx: any) {
      const frozen = ['input', 'headers', 'trigger', 'customer', 'env'].every((k) => Object.isFrozen(ctx[k]));
      let wrote = 'no';
      try { ctx.input.nested.list.push(3); wrote = 'yes'; } catch {}
      return { input: ctx.input, headers: ctx.headers, trigger: ctx.trigger, customer: ctx.customer,
        env: ctx.env, executionId: ctx.executionId, frozen, deep: Object.isFrozen(ctx.input.nested.list), wrote };
    }`);
    const input = { nested: { list: [1, 2] } };
    const result = await pool.run({
      orgId: 'org-1',
      code,
      context: context(input),
      host: echoHost,
    });
    expect(outputOf(result)).toEqual({
      ...context(input),
      frozen: true,
      deep: true,
      wrote: 'no',
    });
    expect(input.nested.list).toEqual([1, 2]);
  });

  it('sends every ctx operation to the host with its exact name and arguments', async () => {
    const { host, calls } = recordingHost({
      'secrets.get': ({ name }) => (name === 'apiKey' ? 'sk-1' : null),
      'state.get': () => ({ count: 1 }),
      connector: ({ action }) => ({ created: action }),
      'cdm.toCanonical': () => ({ canonical: true }),
      'cdm.fromCanonical': () => ({ native: true }),
      'http.fetch': () => ({
        status: 201,
        headers: { 'content-type': 'application/json' },
        body: '{"id":7}',
      }),
      'step.get': ({ name }) =>
        name === 'cached' ? { done: true, value: 'from-before' } : { done: false },
    });
    const code = await compile(`export default async function (ctx: any) {
      const out: Record<string, unknown> = {};
      out.secret = await ctx.secrets.get('apiKey');
      out.missing = await ctx.secrets.get('nope');
      out.state = await ctx.state.get('counter');
      await ctx.state.get('inv', { scope: 'invocation' });
      await ctx.state.set('counter', { count: 2 });
      await ctx.state.set('tmp', 'v', { scope: 'invocation', ttlSeconds: 60 });
      await ctx.state.delete('counter');
      await ctx.state.delete('tmp', { scope: 'invocation' });
      out.connector = await ctx.connectors.shopify.createOrder({ sku: 'a' });
      out.canonical = await ctx.cdm.toCanonical({ connector: 'shopify', entity: 'order', record: { id: 1 } });
      out.native = await ctx.cdm.fromCanonical({ connector: 'hubspot', entity: 'contact', record: { email: 'a@b.c' } });
      const res = await ctx.http.fetch('https://api.example.com/x', { method: 'POST', headers: { 'x-a': '1' }, body: { q: 1 } });
      out.http = { status: res.status, ok: res.ok, headers: res.headers, json: await res.json(), text: await res.text() };
      await ctx.http.fetch('https://api.example.com/plain');
      let ran = 0;
      out.cached = await ctx.step('cached', async () => { ran++; return 'fresh'; });
      out.fresh = await ctx.step('new', async () => { ran++; return { at: 1, skip: undefined }; });
      out.ran = ran;
      out.slept = await ctx.sleep(1500);
      return out;
    }`);
    const result = await pool.run({ orgId: 'org-1', code, context: context(), host });
    expect(outputOf(result)).toEqual({
      secret: 'sk-1',
      missing: null,
      state: { count: 1 },
      connector: { created: 'createOrder' },
      canonical: { canonical: true },
      native: { native: true },
      http: {
        status: 201,
        ok: true,
        headers: { 'content-type': 'application/json' },
        json: { id: 7 },
        text: '{"id":7}',
      },
      cached: 'from-before',
      fresh: { at: 1 },
      ran: 1,
    });
    expect(calls).toEqual([
      { name: 'secrets.get', args: { name: 'apiKey' } },
      { name: 'secrets.get', args: { name: 'nope' } },
      { name: 'state.get', args: { key: 'counter', scope: 'org' } },
      { name: 'state.get', args: { key: 'inv', scope: 'invocation' } },
      { name: 'state.set', args: { key: 'counter', value: { count: 2 }, scope: 'org' } },
      { name: 'state.set', args: { key: 'tmp', value: 'v', scope: 'invocation', ttlSeconds: 60 } },
      { name: 'state.delete', args: { key: 'counter', scope: 'org' } },
      { name: 'state.delete', args: { key: 'tmp', scope: 'invocation' } },
      {
        name: 'connector',
        args: { connector: 'shopify', action: 'createOrder', input: { sku: 'a' } },
      },
      {
        name: 'cdm.toCanonical',
        args: { connector: 'shopify', entity: 'order', record: { id: 1 } },
      },
      {
        name: 'cdm.fromCanonical',
        args: { connector: 'hubspot', entity: 'contact', record: { email: 'a@b.c' } },
      },
      {
        name: 'http.fetch',
        args: {
          url: 'https://api.example.com/x',
          init: {
            method: 'POST',
            headers: { 'x-a': '1', 'content-type': 'application/json' },
            body: '{"q":1}',
          },
        },
      },
      { name: 'http.fetch', args: { url: 'https://api.example.com/plain', init: {} } },
      { name: 'step.get', args: { name: 'cached' } },
      { name: 'step.get', args: { name: 'new' } },
      { name: 'step.put', args: { name: 'new', value: { at: 1 } } },
      { name: 'sleep', args: { ms: 1500 } },
    ]);
  });

  it('checks arguments in the isolate with clear TypeErrors, without calling the host', async () => {
    const { host, calls } = recordingHost();
    const code = await compile(`export default async function (ctx: any) {
      const attempts: Array<() => Promise<unknown>> = [
        () => ctx.state.get(''),
        () => ctx.state.get('k', { scope: 'global' }),
        () => ctx.state.set('k', 1, { ttlSeconds: -1 }),
        () => ctx.state.set('k', undefined),
        () => ctx.secrets.get(42),
        () => ctx.step('', async () => 1),
        () => ctx.step('x'.repeat(201), async () => 1),
        () => ctx.step('ok', 'not a function'),
        () => ctx.http.fetch(''),
        () => ctx.http.fetch('https://x', { body: new Date() }),
        () => ctx.cdm.toCanonical({ connector: 'shopify', entity: 'order' }),
        () => ctx.sleep(-1),
      ];
      const out: string[] = [];
      for (const attempt of attempts) {
        try { await attempt(); out.push('no error'); } catch (e: any) { out.push(e.constructor.name + ': ' + e.message); }
      }
      return out;
    }`);
    const out = outputOf(await pool.run({ orgId: 'org-1', code, context: context(), host }));
    expect(out).toEqual([
      'TypeError: ctx.state.get: key must be a non-empty string of at most 512 characters',
      "TypeError: ctx.state.get: scope must be 'org' or 'invocation'",
      'TypeError: ctx.state.set: ttlSeconds must be a positive number',
      'TypeError: ctx.state.set: value is undefined; use ctx.state.delete to remove a key',
      'TypeError: ctx.secrets.get: name must be a non-empty string',
      'TypeError: ctx.step: name must be a non-empty string of at most 200 characters',
      'TypeError: ctx.step: name must be a non-empty string of at most 200 characters',
      'TypeError: ctx.step: the second argument must be a function',
      'TypeError: ctx.http.fetch: url must be a non-empty string',
      'TypeError: ctx.http.fetch: body must be a string or a plain object',
      'TypeError: ctx.cdm.toCanonical: record must be a plain object',
      'TypeError: ctx.sleep: ms must be a non-negative number',
    ]);
    expect(calls).toEqual([]);
  });

  it('does not treat then, symbols or toJSON as connector actions', async () => {
    const { host, calls } = recordingHost();
    const code = await compile(`export default async function (ctx: any) {
      const c = await ctx.connectors.shopify;
      const all = await ctx.connectors;
      return {
        thenable: typeof ctx.connectors.shopify.then,
        symbol: typeof ctx.connectors[Symbol.iterator],
        sameShape: typeof c.listOrders === 'function' && typeof all.x.y === 'function',
        json: JSON.stringify(ctx.connectors),
        assigned: Reflect.set(ctx.connectors, 'x', 1) || Reflect.set(ctx.connectors.x, 'y', 1),
      };
    }`);
    const out = outputOf(await pool.run({ orgId: 'org-1', code, context: context(), host }));
    expect(out).toEqual({
      thenable: 'undefined',
      symbol: 'undefined',
      sameShape: true,
      json: '{}',
      assigned: false,
    });
    expect(calls).toEqual([]);
  });

  it('passes on the message of an AppError from the host and hides any other', async () => {
    const host: SandboxHost = {
      call: ({ name }) =>
        Promise.reject(
          name === 'secrets.get'
            ? new AppError('not_found', "no secret 'x'; create it with set_secret")
            : new Error('password=hunter2 at db.internal:5432'),
        ),
    };
    const code = await compile(`export default async function (ctx: any) {
      const out: string[] = [];
      try { await ctx.secrets.get('x'); } catch (e: any) { out.push(e instanceof Error ? e.message : 'not an Error'); }
      try { await ctx.state.get('k'); } catch (e: any) { out.push(e.message); }
      return out;
    }`);
    expect(outputOf(await pool.run({ orgId: 'org-1', code, context: context(), host }))).toEqual([
      "no secret 'x'; create it with set_secret",
      'host call failed',
    ]);
  });

  it('caps the log volume of a run and says how much was dropped', async () => {
    const code = await compile(`export default async function (ctx: any) {
      for (let i = 0; i < 1500; i++) ctx.log.info('line ' + i);
      return 'done';
    }`);
    const result = await pool.run({ orgId: 'org-1', code, context: context(), host: echoHost });
    expect(outputOf(result)).toBe('done');
    expect(result.logs).toHaveLength(1001);
    expect(result.logs[999]?.message).toBe('line 999');
    expect(result.logs[1000]).toMatchObject({
      level: 'warn',
      message: expect.stringContaining('500 log entries dropped') as unknown,
    });
  });

  it('keeps a run that logs past its budget, with the logs capped at 1 MB', async () => {
    const code = await compile(`export default async function (ctx: any) {
      const chunk = 'x'.repeat(8 * 1024);
      for (let i = 0; i < 200; i++) ctx.log.info(chunk);
      return 'done';
    }`);
    const result = await pool.run({ orgId: 'org-1', code, context: context(), host: echoHost });
    expect(outputOf(result)).toBe('done');
    const kept = result.logs.slice(0, -1);
    expect(kept.reduce((n, entry) => n + entry.message.length, 0)).toBeLessThanOrEqual(1024 * 1024);
    expect(result.logs.at(-1)?.message).toMatch(/^\d+ log entries dropped/);
  });

  it('stops a run that floods its log (200 MB), keeping what it logged first', async () => {
    const code = await compile(`export default async function (ctx: any) {
      const chunk = 'x'.repeat(1024 * 1024);
      for (let i = 0; i < 200; i++) ctx.log.info(chunk);
      ctx.log.info('x'.repeat(40 * 1024 * 1024));
      return 'done';
    }`);
    const result = await pool.run({
      orgId: 'org-1',
      code,
      context: context(),
      host: echoHost,
      limits: { cpuMs: 5000, wallMs: 10_000 },
    });
    expect(errorOf(result)).toMatchObject({
      kind: 'limit',
      message: expect.stringMatching(/^log output limit exceeded/),
    });
    expect(result.logs.length).toBeGreaterThan(0);
    expect(result.logs.reduce((n, entry) => n + entry.message.length, 0)).toBeLessThanOrEqual(
      1024 * 1024,
    );
    // The pool still serves the next run.
    const next = await pool.run({
      orgId: 'org-1',
      code: await compile('export default async function () { return 1; }'),
      context: context(),
      host: echoHost,
    });
    expect(outputOf(next)).toBe(1);
  });

  it('fails a run that floods its log and answers before it can be stopped', async () => {
    // The flood is noticed inside a log call; the run may finish in the same turn of the event
    // loop, before the isolate is stopped: it fails all the same, and the pool serves on.
    const code = await compile(`export default async function (ctx: any) {
      const mb = 'x'.repeat(1024 * 1024);
      for (let i = 0; i < 100; i++) ctx.log.info(mb);
      return 'logged';
    }`);
    for (let round = 0; round < 3; round++) {
      const result = await pool.run({ orgId: 'org-1', code, context: context(), host: echoHost });
      expect(errorOf(result)).toMatchObject({
        kind: 'limit',
        message: expect.stringMatching(/^log output limit exceeded/),
      });
    }
    const next = await pool.run({
      orgId: 'org-1',
      code: await compile('export default async function () { return 1; }'),
      context: context(),
      host: echoHost,
    });
    expect(outputOf(next)).toBe(1);
  });

  it('fails output above the size limit as invalid_output', async () => {
    const code = await compile(
      "export default async function () { return { big: 'x'.repeat(2 * 1024 * 1024) }; }",
    );
    const error = errorOf(
      await pool.run({ orgId: 'org-1', code, context: context(), host: echoHost }),
    );
    expect(error.kind).toBe('invalid_output');
    expect(error.message).toMatch('workflow output: larger than the limit of 1048576 bytes');
    // Under the limit in characters but not in UTF-8 bytes: caught by the check on the host side.
    const wide = await compile(
      "export default async function () { return '€'.repeat(600 * 1024); }",
    );
    const second = errorOf(
      await pool.run({ orgId: 'org-1', code: wide, context: context(), host: echoHost }),
    );
    expect(second).toMatchObject({ kind: 'invalid_output' });
    expect(second.message).toMatch(/larger than the limit of 1048576 bytes \(\d+ bytes of JSON\)/);
  });

  it('refuses host-call arguments above the size limit without calling the host', async () => {
    const { host, calls } = recordingHost();
    const code = await compile(`export default async function (ctx: any) {
      try { await ctx.state.set('k', 'x'.repeat(2000)); } catch (e: any) { return e.message; }
    }`);
    const result = await pool.run({
      orgId: 'org-1',
      code,
      context: context(),
      host,
      limits: { maxCallArgsBytes: 1000 },
    });
    expect(outputOf(result)).toMatch(/arguments of state.set: larger than the limit of 1000 bytes/);
    expect(calls).toEqual([]);
  });
});

describe('escape attempts through the sandbox pool', () => {
  let pool: SandboxPool;
  const ok = compile(
    'export default async function (ctx: any) { return { input: ctx.input, polluted: ({} as any).polluted ?? null }; }',
  );
  beforeAll(() => {
    pool = createSandboxPool({ size: 1, maxQueue: 10, limits: LIMITS });
  });
  afterAll(async () => {
    await pool.close();
  });

  it.each([
    ['require', "return require('fs');", 'error'],
    ['process.env', 'return process.env;', 'error'],
    [
      'this.constructor.constructor',
      "return this.constructor.constructor('return process')().env;",
      'error',
    ],
    [
      'ctx.constructor.constructor',
      "return ctx.constructor.constructor('return process')().env;",
      'error',
    ],
    ['while (true)', 'while (true) {}', 'timeout'],
    ['a promise that never settles', 'await new Promise(() => {});', 'timeout'],
    ['deep recursion', 'const f = (n) => f(n + 1) + 1; return f(0);', 'error'],
    ['a huge output', "return 'x'.repeat(8 * 1024 * 1024);", 'invalid_output'],
    ['Atomics.wait', 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);', 'error'],
    [
      'WebAssembly',
      'return WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));',
      'error',
    ],
  ])('%s fails cleanly and the pool serves the next run', async (_name, body, kind) => {
    const code = `var __weftWorkflow = { default: async function (ctx) { ${body} } };`;
    const result = await pool.run({ orgId: 'org-esc', code, context: context(), host: echoHost });
    expect(errorOf(result).kind).toBe(kind);
    const next = await pool.run({
      orgId: 'org-esc',
      code: await ok,
      context: context('next'),
      host: echoHost,
    });
    expect(outputOf(next)).toEqual({ input: 'next', polluted: null });
  });

  // Reaching the heap limit takes a few full collections, 100–300 ms of CPU on an idle machine and
  // seconds of the isolate's clock on a loaded one (isolated-vm counts a running turn in wall
  // time): under the 300 ms of LIMITS it raced the CPU watchdog. With time limits far above
  // what it needs, only the memory limit can end it.
  it('allocating past the memory limit fails cleanly and the pool serves the next run', async () => {
    const code =
      'var __weftWorkflow = { default: async function (ctx) { const a = []; for (;;) a.push(new Array(1e6).fill(1)); } };';
    const result = await pool.run({
      orgId: 'org-esc',
      code,
      context: context(),
      host: echoHost,
      limits: { memoryMb: 64, cpuMs: 20_000, wallMs: 25_000 },
    });
    expect(errorOf(result)).toEqual({ kind: 'memory', message: 'memory limit of 64 MB exceeded' });
    const next = await pool.run({
      orgId: 'org-esc',
      code: await ok,
      context: context('next'),
      host: echoHost,
    });
    expect(outputOf(next)).toEqual({ input: 'next', polluted: null });
  });

  it('keeps prototype pollution of values passed in away from the host and the next run', async () => {
    const { host, calls } = recordingHost({ 'state.get': () => ({ fromHost: true }) });
    const code = await compile(`export default async function (ctx: any) {
      ctx.input.__proto__.polluted = 1;
      (Object.prototype as any).x = 1;
      (Array.prototype as any).evil = () => 'evil';
      const got = await ctx.state.get('k');
      got.__proto__.fromRun = 1;
      await ctx.state.set('k', { a: 1, list: [1] });
      return { a: 1 };
    }`);
    expect(
      outputOf(await pool.run({ orgId: 'org-esc', code, context: context({ v: 1 }), host })),
    ).toEqual({ a: 1 });
    expect(calls[1]).toEqual({
      name: 'state.set',
      args: { key: 'k', value: { a: 1, list: [1] }, scope: 'org' },
    });
    const plain = {} as Record<string, unknown>;
    expect([plain['polluted'], plain['x'], plain['fromRun']]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    const next = await pool.run({
      orgId: 'org-esc',
      code: await ok,
      context: context('next'),
      host: echoHost,
    });
    expect(outputOf(next)).toEqual({ input: 'next', polluted: null });
  });
});

describe('isolate reuse through the sandbox pool', () => {
  it.runIf(process.platform === 'linux')('starts children with an empty environment', () => {
    const pool = createSandboxPool({ size: 2, limits: LIMITS });
    try {
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
    } finally {
      void pool.close();
    }
  });

  it('gives each run of the same org a fresh context in the same warm isolate', async () => {
    const pool = createSandboxPool({ size: 1, limits: LIMITS });
    try {
      const pollute = await compile(`export default async function (ctx: any) {
        (globalThis as any).leaked = ctx.input;
        (Object.prototype as any).polluted = 'object';
        (Array.prototype as any).includes = () => true;
        JSON.stringify = () => '"patched"';
        Math.random = () => 4;
        // Left running after the run ends: it must never see the next run's input.
        void ctx.sleep(1).then(() => ctx.log.info('late', ctx.input));
        return 'polluted';
      }`);
      const observe = await compile(`export default async function (ctx: any) {
        return {
          input: ctx.input,
          leaked: (globalThis as any).leaked ?? null,
          polluted: ({} as any).polluted ?? null,
          includes: [1].includes(2),
          json: JSON.stringify({ a: 1 }),
          random: Math.random() < 1,
        };
      }`);
      const host: SandboxHost = {
        call: ({ name }) =>
          name === 'sleep'
            ? new Promise((resolve) => setTimeout(() => resolve('null'), 50))
            : Promise.resolve('null'),
      };
      expect(
        outputOf(
          await pool.run({ orgId: 'org-a', code: pollute, context: context('secret-1'), host }),
        ),
      ).toBe('polluted');
      const [before] = pool.isolates();
      expect(before?.orgs).toEqual(['org-a']);
      const second = await pool.run({
        orgId: 'org-a',
        code: observe,
        context: context('secret-2'),
        host,
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(outputOf(second)).toEqual({
        input: 'secret-2',
        leaked: null,
        polluted: null,
        includes: false,
        json: '{"a":1}',
        random: true,
      });
      expect(second.logs).toEqual([]);
      // Still the same process and the same org isolate: the fresh context is what isolates runs.
      expect(pool.isolates()).toEqual([{ pid: before?.pid, orgs: ['org-a'] }]);
    } finally {
      await pool.close();
    }
  });

  it('never shows one org the globals of another', async () => {
    const pool = createSandboxPool({ size: 1, limits: LIMITS });
    try {
      const write = await compile(
        "export default async function (ctx: any) { (globalThis as any).shared = ctx.input; (Object.prototype as any).mark = 'a'; return 1; }",
      );
      const read = await compile(
        'export default async function () { return { shared: (globalThis as any).shared ?? null, mark: ({} as any).mark ?? null }; }',
      );
      await pool.run({ orgId: 'org-a', code: write, context: context('a-secret'), host: echoHost });
      const result = await pool.run({
        orgId: 'org-b',
        code: read,
        context: context(),
        host: echoHost,
      });
      expect(outputOf(result)).toEqual({ shared: null, mark: null });
      expect(pool.isolates()[0]?.orgs.sort()).toEqual(['org-a', 'org-b']);
    } finally {
      await pool.close();
    }
  });

  it('disposes the org isolate after a timeout, and keeps at most isolatesPerProcess', async () => {
    const pool = createSandboxPool({ size: 1, limits: LIMITS, isolatesPerProcess: 2 });
    try {
      const ok = await compile('export default async function () { return 1; }');
      const hang = await compile('export default async function () { while (true) {} }');
      await pool.run({ orgId: 'org-a', code: ok, context: context(), host: echoHost });
      await pool.run({ orgId: 'org-b', code: ok, context: context(), host: echoHost });
      expect(
        errorOf(await pool.run({ orgId: 'org-a', code: hang, context: context(), host: echoHost }))
          .kind,
      ).toBe('timeout');
      expect(pool.isolates()[0]?.orgs).toEqual(['org-b']);
      await pool.run({ orgId: 'org-c', code: ok, context: context(), host: echoHost });
      await pool.run({ orgId: 'org-d', code: ok, context: context(), host: echoHost });
      expect(pool.isolates()[0]?.orgs).toEqual(['org-c', 'org-d']);
    } finally {
      await pool.close();
    }
  });

  it('sends a job to the idle child that already holds its org', async () => {
    const pool = createSandboxPool({ size: 2, limits: LIMITS });
    try {
      const ok = await compile('export default async function () { return 1; }');
      await pool.run({ orgId: 'org-a', code: ok, context: context(), host: echoHost });
      await Promise.all([
        pool.run({ orgId: 'org-b', code: ok, context: context(), host: echoHost }),
        pool.run({ orgId: 'org-c', code: ok, context: context(), host: echoHost }),
      ]);
      for (let i = 0; i < 5; i++) {
        await pool.run({ orgId: 'org-a', code: ok, context: context(), host: echoHost });
      }
      const holders = pool.isolates().filter((child) => child.orgs.includes('org-a'));
      expect(holders).toHaveLength(1);
    } finally {
      await pool.close();
    }
  });

  it('fails only the job of a killed child, replaces it and runs the next job', async () => {
    const single = createSandboxPool({ size: 1, limits: { ...LIMITS, wallMs: 10_000 } });
    try {
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      const host: SandboxHost = {
        call: ({ name }) => {
          if (name === 'secrets.get') started();
          return Promise.resolve('null');
        },
      };
      const code = await compile(
        "export default async function (ctx: any) { await ctx.secrets.get('started'); await new Promise(() => {}); }",
      );
      const job = single.run({ orgId: 'org-1', code, context: context(), host });
      await running;
      const [pid] = single.pids();
      process.kill(pid!, 'SIGKILL');
      expect(errorOf(await job).kind).toBe('crash');
      const ok = await compile('export default async function (ctx: any) { return ctx.input; }');
      expect(
        await single.run({ orgId: 'org-1', code: ok, context: context('next'), host: echoHost }),
      ).toMatchObject({
        ok: true,
        output: 'next',
      });
      expect(single.pids()).not.toContain(pid);
    } finally {
      await single.close();
    }
  });

  it('bounds the queue', async () => {
    const tiny = createSandboxPool({ size: 1, maxQueue: 1, jobsPerProcess: 1, limits: LIMITS });
    try {
      const code = await compile('export default async function () { return 1; }');
      const run = () => tiny.run({ orgId: 'org-1', code, context: context(), host: echoHost });
      const running = run();
      const queued = run();
      await expect(run()).rejects.toThrow('too many workflow runs');
      expect((await running).ok).toBe(true);
      expect((await queued).ok).toBe(true);
    } finally {
      await tiny.close();
    }
  });

  it('runs several jobs of one child at once while they wait on the host', async () => {
    const wide = createSandboxPool({ size: 1, jobsPerProcess: 4, limits: LIMITS });
    try {
      const code = await compile(
        "export default async function (ctx: any) { return await ctx.state.get('k' + ctx.input); }",
      );
      // Every host call waits until all four runs have made theirs: one job at a time would
      // never get there.
      let arrived = 0;
      let release: () => void = () => undefined;
      const all = new Promise<void>((resolve) => (release = resolve));
      const barrierHost: SandboxHost = {
        call: async ({ argsJson }) => {
          arrived++;
          if (arrived === 4) release();
          await all;
          return JSON.stringify((JSON.parse(argsJson) as { key: string }).key);
        },
      };
      const results = await Promise.all(
        [1, 2, 3, 4].map((n) =>
          wide.run({ orgId: 'org-1', code, context: context(n), host: barrierHost }),
        ),
      );
      expect(results.map(outputOf)).toEqual(['k1', 'k2', 'k3', 'k4']);
      expect(wide.pids()).toHaveLength(1);
    } finally {
      await wide.close();
    }
  });
});

describe('fair sharing of the sandbox pool between orgs', () => {
  /** A host that holds every call until the test releases it, recording who called. */
  function holdingHost() {
    const arrivals: string[] = [];
    const held: { org: string; release: () => void }[] = [];
    const host: SandboxHost = {
      call: ({ argsJson }) => {
        const org = (JSON.parse(argsJson) as { key: string }).key;
        arrivals.push(org);
        return new Promise((resolve) => held.push({ org, release: () => resolve('null') }));
      },
    };
    const releaseOne = (org: string): void => {
      const index = held.findIndex((entry) => entry.org === org);
      held.splice(index, 1)[0]?.release();
    };
    return { host, arrivals, releaseOne };
  }

  async function until(condition: () => boolean, what: string): Promise<void> {
    for (const deadline = Date.now() + 10_000; !condition();) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  const waitOnHost = compile(
    'export default async function (ctx: any) { await ctx.state.get(ctx.input); return ctx.input; }',
  );
  const trivial = compile('export default async function (ctx: any) { return ctx.input; }');
  const held = { memoryMb: 64, cpuMs: 1000, wallMs: 20_000 };

  it('keeps slots for another org while one org fills the pool', async () => {
    // 16 slots, 2 of them kept for orgs holding fewer than 2.
    const pool = createSandboxPool({ size: 1, jobsPerProcess: 16, maxQueue: 100 });
    try {
      const { host, arrivals } = holdingHost();
      const code = await waitOnHost;
      const flood = Array.from({ length: 20 }, () =>
        pool.run({ orgId: 'org-a', code, context: context('a'), host, limits: held }),
      );
      await until(() => arrivals.length === 14, '14 runs of org-a');
      const other = await pool.run({
        orgId: 'org-b',
        code: await trivial,
        context: context('b'),
        host: echoHost,
        limits: held,
      });
      expect(outputOf(other)).toBe('b');
      // All of org-a's runs are still held: org-b did not wait for one of them to end.
      expect(arrivals).toHaveLength(14);
      void Promise.allSettled(flood);
    } finally {
      await pool.close();
    }
  });

  it("refuses an org's flood once the waiting room is full, and still admits the other orgs", async () => {
    const pool = createSandboxPool({ size: 1, jobsPerProcess: 1, maxQueue: 4 });
    try {
      const { host, arrivals, releaseOne } = holdingHost();
      const code = await waitOnHost;
      const run = (org: string) =>
        pool.run({ orgId: org, code, context: context(org), host, limits: held });
      const running = run('a');
      await until(() => arrivals.length === 1, 'the running job of a');
      const waiting = Array.from({ length: 4 }, () => run('a'));
      await expect(run('a')).rejects.toMatchObject({ code: 'rate_limited' });
      // The room is full of a's runs; b holds none of it, so b is admitted (its share is 2).
      const b = [run('b'), run('b')];
      await expect(run('b')).rejects.toMatchObject({ code: 'rate_limited' });
      // Everything admitted runs: release each run as it arrives until all seven are done.
      for (let released = 0; released < 7; released++) {
        await until(() => arrivals.length > released, `run ${released + 1}`);
        releaseOne(arrivals[released] ?? '');
      }
      const outputs = (await Promise.all([running, ...waiting, ...b])).map(outputOf);
      expect(outputs.sort()).toEqual(['a', 'a', 'a', 'a', 'a', 'b', 'b']);
    } finally {
      await pool.close();
    }
  });

  it('serves a waiting org under its share before an org over it, round-robin', async () => {
    const pool = createSandboxPool({ size: 1, jobsPerProcess: 4, maxQueue: 100 });
    try {
      const { host, arrivals, releaseOne } = holdingHost();
      const code = await waitOnHost;
      const run = (org: string) =>
        pool.run({ orgId: org, code, context: context(org), host, limits: held });
      const a = Array.from({ length: 6 }, () => run('a'));
      await until(() => arrivals.length === 4, 'four runs of a');
      const b = [run('b'), run('b')];
      // Each slot freed by a goes to b while b holds less than its share (2 of 4), then to a.
      for (let i = 0; i < 3; i++) {
        releaseOne('a');
        await until(() => arrivals.length === 5 + i, `run ${5 + i}`);
      }
      expect(arrivals.slice(4)).toEqual(['b', 'b', 'a']);
      void Promise.allSettled([...a, ...b]);
    } finally {
      await pool.close();
    }
  });

  // End to end with CPU-bound runs: each run of the flood spins after an await (so only the
  // CPU watchdog stops it, after 1 s) and is sent again as soon as it ends, 60 at a time. Before
  // orgs were kept apart, a trivial run of another org queued behind about 44 of them (4–5 s).
  // Now it waits only for a core among the flood's 14 spinning runs: under 0.5 s even with the
  // machine's load average at 20 on 2 cores.
  it("keeps another org's trivial runs fast while one org floods the pool with CPU-bound runs", async () => {
    const pool = createSandboxPool({ size: 2, maxQueue: 100 });
    let flooding = true;
    try {
      const spin = await compile(
        "export default async function (ctx: any) { await ctx.state.get('k'); for (;;) {} }",
      );
      let started = 0;
      const countingHost: SandboxHost = {
        call: () => {
          started++;
          return Promise.resolve('null');
        },
      };
      const floods = Array.from({ length: 60 }, async () => {
        while (flooding) {
          await pool.run({
            orgId: 'org-flood',
            code: spin,
            context: context(),
            host: countingHost,
            limits: { cpuMs: 1000, wallMs: 10_000 },
          });
        }
      });
      await until(() => started >= 12, 'the flood to hold most slots');
      const bound = 1000;
      const latencies: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        const result = await pool.run({
          orgId: 'org-quiet',
          code: await trivial,
          context: context(i),
          host: echoHost,
        });
        latencies.push(performance.now() - t0);
        expect(outputOf(result)).toBe(i);
        // No need to sit through the rest once one run has failed the bound.
        if (latencies.at(-1)! > bound) break;
      }
      latencies.sort((x, y) => x - y);
      const p99 = latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))];
      expect(p99, `latencies ${latencies.map((t) => t.toFixed(0)).join(' ')} ms`).toBeLessThan(
        bound,
      );
      expect(latencies).toHaveLength(20);
      flooding = false;
      void Promise.allSettled(floods);
    } finally {
      flooding = false;
      await pool.close();
    }
  });
});
