import { createHash } from 'node:crypto';
import ivm from 'isolated-vm';
import { BOOTSTRAP } from './bootstrap.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogEntry = { level: LogLevel; message: string; at: number };

/** Every host operation the isolate's `ctx` can ask for; the host dispatches on this name. */
export const HOST_CALL_NAMES = [
  'secrets.get',
  'state.get',
  'state.set',
  'state.delete',
  'connector',
  'cdm.toCanonical',
  'cdm.fromCanonical',
  'http.fetch',
  'step.get',
  'step.put',
  'sleep',
] as const;
export type HostCallName = (typeof HOST_CALL_NAMES)[number];
const HOST_CALLS = new Set<string>(HOST_CALL_NAMES);
const LOG_LEVELS = new Set<string>(['debug', 'info', 'warn', 'error']);

/**
 * What the isolate may ask of the outside world; every value crosses as a JSON string. The
 * message of a rejection is shown to the workflow as an Error: reject only with messages a
 * tenant may read (the pool passes on AppError messages only).
 */
export type SandboxHost = {
  call: (request: { name: HostCallName; argsJson: string }) => Promise<string>;
  log?: (entry: LogEntry) => void;
};

/** Plain JSON given to a run; each field becomes a deep-frozen `ctx.<field>`. */
export type SandboxContext = {
  input: unknown;
  headers: Record<string, string>;
  trigger: unknown;
  customer: unknown;
  env: Record<string, string>;
  executionId: string;
  /** Attempt number of a retried execution (1 for the first); `ctx.attempt`. */
  attempt?: number;
};

export type SandboxLimits = {
  /** Heap limit of the isolate. */
  memoryMb: number;
  /**
   * CPU time the workflow may use, summed over all its turns. isolated-vm's clock counts a turn
   * that is still running in wall time, so on a loaded machine a long turn reaches it sooner.
   */
  cpuMs: number;
  /** Wall-clock time, including time spent waiting on host calls. */
  wallMs: number;
  /** Log entries kept per run; later ones are dropped and counted in one final entry. */
  maxLogEntries: number;
  /** UTF-8 bytes of log messages kept per run. */
  maxLogBytes: number;
  /** UTF-8 bytes of the workflow's JSON output (above it: kind 'invalid_output'). */
  maxOutputBytes: number;
  /** UTF-8 bytes of the JSON arguments of one host call. */
  maxCallArgsBytes: number;
};

export const DEFAULT_LIMITS: SandboxLimits = {
  memoryMb: 64,
  cpuMs: 10_000,
  wallMs: 60_000,
  maxLogEntries: 1000,
  maxLogBytes: 1024 * 1024,
  maxOutputBytes: 1024 * 1024,
  maxCallArgsBytes: 5 * 1024 * 1024,
};

export type SandboxErrorKind =
  'timeout' | 'memory' | 'limit' | 'error' | 'invalid_output' | 'crash';

export type SandboxResult =
  | { ok: true; output: unknown; logs: LogEntry[]; durationMs: number; cpuMs: number }
  | {
      ok: false;
      error: { kind: SandboxErrorKind; message: string; stack?: string };
      logs: LogEntry[];
      durationMs: number;
      cpuMs: number;
    };

const MAX_LOG_CHARS = 8192;
/** A run that tries to log this many times its log budget is stopped, not merely truncated. */
const LOG_FLOOD_FACTOR = 10;
const MAX_HOST_ERROR_CHARS = 2000;
const WATCHDOG_TICK_MS = 10;
// Compiled scripts kept per isolate; an org rarely runs more distinct workflows than this at once.
const MAX_SCRIPTS_PER_ISOLATE = 64;
const HEAP_CHECK_EVERY = 8;
const NEVER = new Promise<never>(() => {});

/** Which host call is acceptable to forward; shared by the child and the pool (defence in depth). */
export function refuseHostCall({
  name,
  argsJson,
  limits,
}: {
  name: unknown;
  argsJson: unknown;
  limits: SandboxLimits;
}): string | undefined {
  if (typeof name !== 'string' || !HOST_CALLS.has(name)) return 'unknown host call';
  if (typeof argsJson !== 'string') return `${name}: bad arguments`;
  if (Buffer.byteLength(argsJson) > limits.maxCallArgsBytes) {
    return `${name}: arguments are larger than the limit of ${limits.maxCallArgsBytes} bytes`;
  }
  try {
    JSON.parse(argsJson);
  } catch {
    return `${name}: arguments are not JSON`;
  }
  return undefined;
}

export function resolveLimits(
  limits: Partial<SandboxLimits> | undefined,
  base: SandboxLimits = DEFAULT_LIMITS,
): SandboxLimits {
  return limits === undefined ? base : { ...base, ...limits };
}

function createLogSink({
  limits,
  onEntry,
  onFlood,
}: {
  limits: SandboxLimits;
  onEntry: ((entry: LogEntry) => void) | undefined;
  /** Called once when a run tries to log more than LOG_FLOOD_FACTOR × maxLogBytes. */
  onFlood: () => void;
}) {
  const entries: LogEntry[] = [];
  let bytes = 0;
  let attempted = 0;
  let dropped = 0;
  let flooded = false;
  return {
    /** Whether the run tried to log past the flood limit. */
    flooded: () => flooded,
    /** Keeps the entry if it fits; false once entries are being dropped. */
    add(level: unknown, message: unknown, tried?: unknown): boolean {
      attempted +=
        typeof tried === 'number' && Number.isFinite(tried) && tried >= 0
          ? tried
          : typeof message === 'string'
            ? message.length
            : 0;
      if (attempted > limits.maxLogBytes * LOG_FLOOD_FACTOR) {
        // Stopped from outside the callback: the isolate is disposed between two of its calls.
        // A run that answers first is failed all the same (see `flooded`).
        if (!flooded) setImmediate(onFlood);
        flooded = true;
        return false;
      }
      if (dropped > 0 || typeof message !== 'string' || entries.length >= limits.maxLogEntries) {
        dropped++;
        return false;
      }
      const text = message.length > MAX_LOG_CHARS ? message.slice(0, MAX_LOG_CHARS) : message;
      const size = Buffer.byteLength(text);
      if (bytes + size > limits.maxLogBytes) {
        dropped++;
        return false;
      }
      bytes += size;
      const entry: LogEntry = {
        level: typeof level === 'string' && LOG_LEVELS.has(level) ? (level as LogLevel) : 'info',
        message: text,
        at: Date.now(),
      };
      entries.push(entry);
      try {
        onEntry?.(entry);
      } catch {
        // The host's log sink failing is no fault of the workflow's.
      }
      return true;
    },
    list(): LogEntry[] {
      if (dropped === 0) return entries;
      const note: LogEntry = {
        level: 'warn',
        message: `${dropped} log entries dropped: a run keeps at most ${limits.maxLogEntries} entries and ${limits.maxLogBytes} bytes of logs`,
        at: Date.now(),
      };
      return [...entries, note];
    },
  };
}

// The workflow is shown its own frames only, not the paths of the process that runs it.
function errorParts(error: unknown): { message: string; stack?: string } {
  if (error instanceof Error) {
    const stack = error.stack ?? '';
    const boundary = stack.lastIndexOf('\n', stack.indexOf('<isolated-vm boundary>'));
    return boundary <= 0
      ? { message: error.message }
      : { message: error.message, stack: stack.slice(0, boundary) };
  }
  return { message: String(error) };
}

/** One isolate with what it has compiled. Used by one run at a time. */
type IsolateSlot = {
  isolate: ivm.Isolate;
  memoryMb: number;
  bootstrap: ivm.Script;
  scripts: Map<string, ivm.Script>;
  runs: number;
  busy: boolean;
  /** A fresh context made ahead, between runs, with only the bootstrap run in it. */
  spare: Promise<Prepared | undefined> | undefined;
};

type Prepared = { context: ivm.Context; entry: ivm.Reference };

function createSlot(memoryMb: number): IsolateSlot {
  const isolate = new ivm.Isolate({ memoryLimit: memoryMb });
  const bootstrap = isolate.compileScriptSync(BOOTSTRAP, { filename: 'weft-bootstrap.js' });
  return {
    isolate,
    memoryMb,
    bootstrap,
    scripts: new Map(),
    runs: 0,
    busy: false,
    spare: undefined,
  };
}

// Making a context is most of the cost of a warm run; done while the isolate is idle, the next
// run of the org does not wait for it. The context is as fresh as one made on demand: no
// workflow code has run in it.
function prepareSpare(slot: IsolateSlot): void {
  slot.spare = (async () => {
    try {
      const context = await slot.isolate.createContext();
      const entry = await slot.bootstrap.run(context, { reference: true });
      return { context, entry };
    } catch {
      return undefined;
    }
  })();
}

async function takeContext(slot: IsolateSlot): Promise<Prepared> {
  const spare = slot.spare;
  slot.spare = undefined;
  const prepared = spare ? await spare : undefined;
  if (prepared) return prepared;
  const context = slot.isolate.createContextSync();
  return { context, entry: slot.bootstrap.runSync(context, { reference: true }) };
}

function disposeSlot(slot: IsolateSlot): void {
  if (!slot.isolate.isDisposed) slot.isolate.dispose();
}

function scriptFor(slot: IsolateSlot, code: string): ivm.Script {
  const key = createHash('sha256').update(code).digest('base64');
  const cached = slot.scripts.get(key);
  if (cached) {
    slot.scripts.delete(key);
    slot.scripts.set(key, cached);
    return cached;
  }
  const script = slot.isolate.compileScriptSync(code, { filename: 'workflow.js' });
  slot.scripts.set(key, script);
  if (slot.scripts.size > MAX_SCRIPTS_PER_ISOLATE) {
    const oldest = slot.scripts.keys().next().value;
    if (oldest !== undefined) {
      slot.scripts.get(oldest)?.release();
      slot.scripts.delete(oldest);
    }
  }
  return script;
}

type RunOutcome = { result: SandboxResult; keepIsolate: boolean };

/**
 * One run in a fresh context of the slot's isolate. The watchdog holds this run's isolate only;
 * it disposes it on a CPU or wall-clock overrun, which isolated-vm's own `timeout` does not
 * cover once the workflow has awaited something.
 */
async function runInSlot({
  slot,
  code,
  context,
  host,
  limits,
}: {
  slot: IsolateSlot;
  code: string;
  context: SandboxContext;
  host: SandboxHost;
  limits: SandboxLimits;
}): Promise<RunOutcome> {
  const started = performance.now();
  const { isolate } = slot;
  let stopKind: SandboxErrorKind = 'timeout';
  const floodMessage = `log output limit exceeded: the run tried to log more than ${limits.maxLogBytes * LOG_FLOOD_FACTOR} bytes`;
  const logs = createLogSink({
    limits,
    onEntry: host.log,
    onFlood: () => {
      stopKind = 'limit';
      stop(floodMessage);
    },
  });
  const cpuStart = isolate.cpuTime;
  let cpuMs = 0;
  // A disposed isolate has no clock any more: the last sample stands.
  const cpuUsed = (): number => {
    if (!isolate.isDisposed) cpuMs = Number(isolate.cpuTime - cpuStart) / 1e6;
    return cpuMs;
  };
  let finished = false;
  let stopMessage: string | undefined;
  const stop = (message: string): void => {
    if (finished || stopMessage !== undefined || isolate.isDisposed) return;
    stopMessage = message;
    isolate.dispose();
  };
  const wallTimer = setTimeout(
    () => stop(`wall-clock limit of ${limits.wallMs} ms exceeded`),
    limits.wallMs,
  );
  const cpuTimer = setInterval(() => {
    if (cpuUsed() > limits.cpuMs) stop(`CPU limit of ${limits.cpuMs} ms exceeded`);
  }, WATCHDOG_TICK_MS);

  // After the run has answered, its callbacks go quiet: a promise it left behind gets no more
  // answers, so it can neither run again nor reach the host on behalf of a later run.
  const hostLog = new ivm.Callback((level: unknown, message: unknown, size: unknown): boolean =>
    finished ? false : logs.add(level, message, size),
  );
  // A Reference rather than a Callback: the host's answer is a promise the isolate awaits.
  const hostCall = new ivm.Reference(async (name: unknown, argsJson: unknown): Promise<string> => {
    if (finished) return NEVER;
    const refused = refuseHostCall({ name, argsJson, limits });
    if (refused !== undefined) return `0${refused}`;
    let resultJson: unknown;
    try {
      resultJson = await host.call({ name: name as HostCallName, argsJson: argsJson as string });
    } catch (error) {
      if (finished) return NEVER;
      const message = error instanceof Error ? error.message : 'host call failed';
      return `0${message.slice(0, MAX_HOST_ERROR_CHARS)}`;
    }
    if (finished) return NEVER;
    try {
      if (typeof resultJson !== 'string') throw new TypeError('not a string');
      JSON.parse(resultJson);
    } catch {
      return `0${String(name)}: the host answered with something that is not JSON`;
    }
    return `1${resultJson}`;
  });

  const finish = (
    result:
      | { ok: true; output: unknown }
      | { ok: false; error: { kind: SandboxErrorKind; message: string; stack?: string } },
  ): SandboxResult => {
    finished = true;
    return { ...result, logs: logs.list(), durationMs: performance.now() - started, cpuMs };
  };

  let ivmContext: ivm.Context | undefined;
  let entry: ivm.Reference | undefined;
  try {
    ({ context: ivmContext, entry } = await takeContext(slot));
    scriptFor(slot, code).runSync(ivmContext, { timeout: limits.cpuMs });
    const answer: unknown = await entry.apply(
      undefined,
      [
        hostLog,
        hostCall,
        JSON.stringify(context),
        limits.maxOutputBytes,
        limits.maxCallArgsBytes,
        MAX_LOG_CHARS,
      ],
      { timeout: limits.cpuMs, result: { promise: true, copy: true } },
    );
    cpuUsed();
    if (logs.flooded())
      return {
        result: finish({ ok: false, error: { kind: 'limit', message: floodMessage } }),
        keepIsolate: !isolate.isDisposed,
      };
    return { result: decode({ answer, limits, finish }), keepIsolate: true };
  } catch (error) {
    cpuUsed();
    const parts = errorParts(error);
    // Checked before our own stop: a watchdog that fires while the heap is already exhausted (the
    // last collections are slow) finds isolated-vm reporting the memory limit, and that is the
    // cause.
    if (isolate.isDisposed && /memory limit/i.test(parts.message)) {
      return {
        result: finish({
          ok: false,
          error: { kind: 'memory', message: `memory limit of ${limits.memoryMb} MB exceeded` },
        }),
        keepIsolate: false,
      };
    }
    if (stopMessage !== undefined) {
      return {
        result: finish({ ok: false, error: { kind: stopKind, message: stopMessage } }),
        keepIsolate: false,
      };
    }
    if (/execution timed out/i.test(parts.message)) {
      return {
        result: finish({
          ok: false,
          error: { kind: 'timeout', message: `CPU limit of ${limits.cpuMs} ms exceeded` },
        }),
        keepIsolate: false,
      };
    }
    // The bootstrap reports the workflow's own errors as values; an exception here is a compile
    // error of the script or a failure of the isolate itself.
    return {
      result: finish({ ok: false, error: { kind: 'error', ...parts } }),
      keepIsolate: !isolate.isDisposed,
    };
  } finally {
    finished = true;
    clearTimeout(wallTimer);
    clearInterval(cpuTimer);
    entry?.release();
    hostCall.release();
    ivmContext?.release();
  }
}

function decode({
  answer,
  limits,
  finish,
}: {
  answer: unknown;
  limits: SandboxLimits;
  finish: (
    result:
      | { ok: true; output: unknown }
      | { ok: false; error: { kind: SandboxErrorKind; message: string; stack?: string } },
  ) => SandboxResult;
}): SandboxResult {
  const invalid = (message: string) =>
    finish({ ok: false, error: { kind: 'invalid_output', message } });
  if (typeof answer !== 'string' || answer.length === 0) {
    return invalid('workflow output is not JSON');
  }
  const body = answer.slice(1);
  switch (answer.charAt(0)) {
    case 'o': {
      // Checked again on this side: the isolate's answer is only a string from hostile code.
      const bytes = Buffer.byteLength(body);
      if (bytes > limits.maxOutputBytes) {
        return invalid(
          `workflow output: larger than the limit of ${limits.maxOutputBytes} bytes (${bytes} bytes of JSON)`,
        );
      }
      try {
        return finish({ ok: true, output: JSON.parse(body) });
      } catch {
        return invalid('workflow output is not JSON');
      }
    }
    case 'i':
      return invalid(body.slice(0, 4096) || 'workflow output is not JSON');
    case 'e': {
      try {
        const parsed = JSON.parse(body) as { message?: unknown; stack?: unknown };
        const message =
          typeof parsed.message === 'string' ? parsed.message.slice(0, 4096) : 'workflow failed';
        return finish(
          typeof parsed.stack === 'string'
            ? { ok: false, error: { kind: 'error', message, stack: parsed.stack.slice(0, 16384) } }
            : { ok: false, error: { kind: 'error', message } },
        );
      } catch {
        return finish({ ok: false, error: { kind: 'error', message: 'workflow failed' } });
      }
    }
    default:
      return invalid('workflow output is not JSON');
  }
}

export type RunRequest = {
  code: string;
  context: SandboxContext;
  host: SandboxHost;
  limits?: Partial<SandboxLimits>;
};

/**
 * Runs compiled workflow code (see compileWorkflow) in a new isolate that is disposed afterwards.
 * No Node API exists in there; the workflow sees only `ctx`. The pool uses createIsolateRunner
 * instead, which keeps isolates warm per org.
 */
export async function runInIsolate({
  code,
  context,
  host,
  limits,
}: RunRequest): Promise<SandboxResult> {
  const resolved = resolveLimits(limits);
  const slot = createSlot(resolved.memoryMb);
  try {
    return (await runInSlot({ slot, code, context, host, limits: resolved })).result;
  } finally {
    disposeSlot(slot);
  }
}

export type IsolateRunner = {
  /** Runs in a fresh context of the org's warm isolate (created if needed). Never rejects. */
  run: (request: RunRequest & { orgId: string }) => Promise<SandboxResult>;
  /** Orgs that hold a warm isolate, least recently used first. */
  orgIds: () => string[];
  close: () => void;
};

/**
 * Keeps up to `maxIsolates` warm isolates, each belonging to one org and never shared between
 * orgs (an org running several workflows at once gets several); each run gets a fresh context
 * (new globals and builtins) in an idle isolate of its org, and compiled scripts are reused by
 * code hash. An isolate is disposed when it is least recently used, after a timeout or memory
 * failure, after `maxRunsPerIsolate` runs, or when its heap stays above half its limit.
 */
export function createIsolateRunner({
  maxIsolates = 8,
  maxRunsPerIsolate = 1000,
  limits: defaultLimits = DEFAULT_LIMITS,
}: {
  maxIsolates?: number;
  maxRunsPerIsolate?: number;
  limits?: SandboxLimits;
} = {}): IsolateRunner {
  // Array order is recency order: a used slot is moved to the end.
  let slots: { orgId: string; slot: IsolateSlot }[] = [];

  function drop(slot: IsolateSlot): void {
    slots = slots.filter((entry) => entry.slot !== slot);
    disposeSlot(slot);
  }

  function evict(): void {
    for (const entry of [...slots]) {
      if (slots.length <= maxIsolates) return;
      if (!entry.slot.busy) drop(entry.slot);
    }
  }

  function acquire(orgId: string, memoryMb: number): { slot: IsolateSlot; cached: boolean } {
    const idle = slots.find(
      (entry) =>
        entry.orgId === orgId &&
        !entry.slot.busy &&
        !entry.slot.isolate.isDisposed &&
        entry.slot.memoryMb === memoryMb,
    );
    if (idle) {
      slots = [...slots.filter((entry) => entry !== idle), idle];
      idle.slot.busy = true;
      return { slot: idle.slot, cached: true };
    }
    const slot = createSlot(memoryMb);
    // Busy before eviction runs, so that the new isolate is never the one evicted.
    slot.busy = true;
    slots.push({ orgId, slot });
    evict();
    return { slot, cached: true };
  }

  function shouldRetire(slot: IsolateSlot): boolean {
    if (slot.isolate.isDisposed || slot.runs >= maxRunsPerIsolate) return true;
    // Reading heap statistics costs about as much as a tenth of a warm run.
    if (slot.runs % HEAP_CHECK_EVERY !== 0) return false;
    const heap = slot.isolate.getHeapStatisticsSync();
    return heap.used_heap_size > (slot.memoryMb * 1024 * 1024) / 2;
  }

  return {
    run: async ({ orgId, code, context, host, limits }) => {
      const resolved = resolveLimits(limits, defaultLimits);
      let slot: IsolateSlot;
      let cached: boolean;
      try {
        ({ slot, cached } = acquire(orgId, resolved.memoryMb));
      } catch (error) {
        return {
          ok: false,
          error: {
            kind: 'error',
            message: `could not start an isolate: ${errorParts(error).message}`,
          },
          logs: [],
          durationMs: 0,
          cpuMs: 0,
        };
      }
      slot.busy = true;
      try {
        const { result, keepIsolate } = await runInSlot({
          slot,
          code,
          context,
          host,
          limits: resolved,
        });
        slot.runs++;
        if (!cached || !keepIsolate || shouldRetire(slot)) drop(slot);
        else prepareSpare(slot);
        return result;
      } finally {
        slot.busy = false;
        evict();
      }
    },
    orgIds: () => [...new Set(slots.map((entry) => entry.orgId))],
    close: () => {
      for (const entry of slots) disposeSlot(entry.slot);
      slots = [];
    },
  };
}
