import ivm from 'isolated-vm';
import { WORKFLOW_GLOBAL } from './compile.ts';

export type LogLevel = 'info' | 'warn' | 'error';
export type LogEntry = { level: LogLevel; message: string; at: number };

/** What the isolate may ask of the outside world; every value crosses as a JSON string. */
export type SandboxHost = {
  call: (request: { name: string; argsJson: string }) => Promise<string>;
  log?: (entry: LogEntry) => void;
};

export type SandboxLimits = {
  /** Heap limit of the isolate. */
  memoryMb: number;
  /** CPU time the workflow may use, summed over all its turns. */
  cpuMs: number;
  /** Wall-clock time, including time spent waiting on host calls. */
  wallMs: number;
};

export const DEFAULT_LIMITS: SandboxLimits = { memoryMb: 64, cpuMs: 10_000, wallMs: 60_000 };

export type SandboxErrorKind = 'timeout' | 'memory' | 'error' | 'invalid_output' | 'crash';

export type SandboxResult =
  | { ok: true; output: unknown; logs: LogEntry[]; durationMs: number; cpuMs: number }
  | {
      ok: false;
      error: { kind: SandboxErrorKind; message: string; stack?: string };
      logs: LogEntry[];
      durationMs: number;
      cpuMs: number;
    };

const MAX_LOGS = 1000;
const MAX_LOG_CHARS = 8192;
const WATCHDOG_TICK_MS = 10;

// Runs inside the isolate. It builds `ctx` from the two host callbacks, removes them from the
// global scope so workflow code cannot reach them directly, and checks values strictly: a
// function, BigInt, cycle, symbol or non-finite number is refused rather than silently dropped
// by JSON.stringify.
const BOOTSTRAP = `(async (hostLog, hostCall, inputJson) => {
  const toJson = (value, what) => {
    const seen = new Set();
    const check = (v, path) => {
      if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
      if (typeof v === 'number') { if (Number.isFinite(v)) return; throw new TypeError(what + ' is not JSON: non-finite number at ' + path); }
      if (typeof v !== 'object') throw new TypeError(what + ' is not JSON: ' + typeof v + ' at ' + path);
      if (seen.has(v)) throw new TypeError(what + ' is not JSON: cycle at ' + path);
      const proto = Object.getPrototypeOf(v);
      if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) throw new TypeError(what + ' is not JSON: ' + (proto && proto.constructor ? proto.constructor.name : 'object') + ' at ' + path);
      seen.add(v);
      for (const key of Object.keys(v)) check(v[key], path + '.' + key);
      seen.delete(v);
    };
    check(value, '$');
    return JSON.stringify(value);
  };
  const say = (level) => (...parts) => hostLog(level, parts.map((p) => typeof p === 'string' ? p : (() => { try { return JSON.stringify(p); } catch { return String(p); } })()).join(' '));
  const ctx = Object.freeze({
    input: JSON.parse(inputJson),
    log: Object.freeze({ info: say('info'), warn: say('warn'), error: say('error') }),
    call: async (name, args) => {
      if (typeof name !== 'string') throw new TypeError('ctx.call: name must be a string');
      const argsJson = toJson(args === undefined ? null : args, 'ctx.call arguments');
      return JSON.parse(await hostCall.apply(undefined, [name, argsJson], { arguments: { copy: true }, result: { promise: true, copy: true } }));
    },
  });
  const mod = globalThis.${WORKFLOW_GLOBAL};
  const run = mod && mod.default;
  if (typeof run !== 'function') throw new TypeError('workflow has no default export function');
  const output = await run(ctx);
  try {
    return toJson(output === undefined ? null : output, 'workflow output');
  } catch (error) {
    return { invalidOutput: error.message };
  }
})`;

function errorParts(error: unknown): { message: string; stack?: string } {
  if (error instanceof Error) {
    return error.stack === undefined
      ? { message: error.message }
      : { message: error.message, stack: error.stack };
  }
  return { message: String(error) };
}

/**
 * Runs compiled workflow code (see compileWorkflow) in a fresh isolate. No Node API exists in
 * there; the workflow sees only `ctx`. The isolate is disposed when the CPU or wall-clock limit
 * is passed: isolated-vm's own `timeout` does not stop code after an `await`.
 */
export async function runInIsolate({
  code,
  input,
  host,
  limits = DEFAULT_LIMITS,
}: {
  code: string;
  input: unknown;
  host: SandboxHost;
  limits?: SandboxLimits;
}): Promise<SandboxResult> {
  const started = performance.now();
  const logs: LogEntry[] = [];
  const isolate = new ivm.Isolate({ memoryLimit: limits.memoryMb });
  let stoppedFor: 'timeout' | undefined;
  let cpuMs = 0;
  let stopMessage = '';
  const stop = (message: string): void => {
    if (stoppedFor || isolate.isDisposed) return;
    stoppedFor = 'timeout';
    stopMessage = message;
    isolate.dispose();
  };
  const wallTimer = setTimeout(
    () => stop(`wall-clock limit of ${limits.wallMs} ms exceeded`),
    limits.wallMs,
  );
  const cpuTimer = setInterval(() => {
    if (isolate.isDisposed) return;
    cpuMs = Number(isolate.cpuTime) / 1e6;
    if (cpuMs > limits.cpuMs) {
      stop(`CPU limit of ${limits.cpuMs} ms exceeded`);
    }
  }, WATCHDOG_TICK_MS);
  const finish = (
    result:
      | { ok: true; output: unknown }
      | { ok: false; error: { kind: SandboxErrorKind; message: string; stack?: string } },
  ): SandboxResult => ({ ...result, logs, durationMs: performance.now() - started, cpuMs });

  const hostLog = new ivm.Callback((level: LogLevel, message: string) => {
    if (logs.length >= MAX_LOGS) return;
    const entry = { level, message: String(message).slice(0, MAX_LOG_CHARS), at: Date.now() };
    logs.push(entry);
    host.log?.(entry);
  });
  // A Reference rather than a Callback: the host's answer is a promise the isolate awaits.
  const hostCall = new ivm.Reference(async (name: unknown, argsJson: unknown): Promise<string> => {
    if (typeof name !== 'string' || typeof argsJson !== 'string')
      throw new TypeError('ctx.call: bad request');
    // Parsed back so that only plain data reaches the host, whatever the isolate sent.
    JSON.parse(argsJson);
    const resultJson = await host.call({ name, argsJson });
    JSON.parse(resultJson);
    return resultJson;
  });

  try {
    const context = await isolate.createContext();
    const script = await isolate.compileScript(code, { filename: 'workflow.js' });
    await script.run(context, { timeout: limits.cpuMs });
    const bootstrap: ivm.Reference = await context.eval(BOOTSTRAP, { reference: true });
    const inputJson = JSON.stringify(input ?? null);
    const result: unknown = await bootstrap.apply(undefined, [hostLog, hostCall, inputJson], {
      timeout: limits.cpuMs,
      result: { promise: true, copy: true },
    });
    cpuMs = Number(isolate.cpuTime) / 1e6;
    if (typeof result === 'string') {
      // Checked again on this side: workflow code can replace the isolate's JSON.stringify.
      try {
        return finish({ ok: true, output: JSON.parse(result) });
      } catch {
        return finish({
          ok: false,
          error: { kind: 'invalid_output', message: 'workflow output is not JSON' },
        });
      }
    }
    const invalid =
      (result as { invalidOutput?: string } | null)?.invalidOutput ?? 'workflow output is not JSON';
    return finish({ ok: false, error: { kind: 'invalid_output', message: invalid } });
  } catch (error) {
    if (!isolate.isDisposed) cpuMs = Number(isolate.cpuTime) / 1e6;
    const parts = errorParts(error);
    if (stoppedFor) return finish({ ok: false, error: { kind: 'timeout', message: stopMessage } });
    // Only isolated-vm disposes an isolate we did not stop, and it does so on the memory limit.
    if (isolate.isDisposed && /memory limit/i.test(parts.message)) {
      return finish({
        ok: false,
        error: { kind: 'memory', message: `memory limit of ${limits.memoryMb} MB exceeded` },
      });
    }
    if (/execution timed out/i.test(parts.message)) {
      return finish({
        ok: false,
        error: { kind: 'timeout', message: `CPU limit of ${limits.cpuMs} ms exceeded` },
      });
    }
    return finish({ ok: false, error: { kind: 'error', ...parts } });
  } finally {
    clearTimeout(wallTimer);
    clearInterval(cpuTimer);
    if (!isolate.isDisposed) isolate.dispose();
  }
}
