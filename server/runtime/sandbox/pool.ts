/**
 * Public API of the workflow sandbox.
 *
 *   const pool = createSandboxPool({ size, maxQueue, limits, isolatesPerProcess, runsPerIsolate });
 *   const result = await pool.run({ orgId, code, context, host, limits });
 *   pool.pids(); pool.isolates(); await pool.close();
 *
 * - `code` is the output of compileWorkflow (publish time); `context` is plain JSON
 *   `{ input, headers, trigger, customer, env, executionId }`, seen by the workflow as deep-frozen
 *   `ctx.input`, `ctx.headers`, ... .
 * - `host.call({ name, argsJson })` serves every other `ctx` function, dispatched on `name`
 *   (HOST_CALL_NAMES: 'secrets.get', 'state.get' | 'state.set' | 'state.delete', 'connector',
 *   'cdm.toCanonical' | 'cdm.fromCanonical', 'http.fetch', 'step.get' | 'step.put', 'sleep'), with
 *   JSON arguments and a JSON answer. A rejection with an AppError shows its message to the
 *   workflow; any other rejection shows "host call failed". `host.log` receives the run's logs.
 * - `run` resolves with a SandboxResult (never rejects, except AppError('rate_limited') when the
 *   queue is full): `{ ok: true, output, logs, durationMs, cpuMs }` or `{ ok: false, error: { kind:
 *   'timeout' | 'memory' | 'error' | 'invalid_output' | 'crash', message, stack? }, ... }`.
 * - `limits` (SandboxLimits, each field optional per run): memory, CPU and wall-clock time, log
 *   volume, output size and host-call argument size.
 *
 * Isolation: each child process keeps warm isolates for up to `isolatesPerProcess` orgs (one
 * isolate per org, never shared between orgs); every run gets a fresh context in it. `orgId` is
 * also the affinity key: a job goes to an idle child that already holds its org's isolate.
 *
 * Fairness: `orgId` is also the unit of sharing. Each org has its own queue and the queues are
 * served round-robin; while another org waits, an org holds at most its share of the slots
 * (capacity / orgs with work), and it may go past that only into capacity nobody else waits for.
 * A few slots (an eighth of the capacity) are kept for orgs holding fewer slots than that, so a
 * light org never queues behind one that filled the pool with long runs.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AppError, isAppError } from '../../errors.ts';
import {
  DEFAULT_LIMITS,
  refuseHostCall,
  resolveLimits,
  type SandboxContext,
  type SandboxHost,
  type SandboxLimits,
  type SandboxResult,
} from './isolate.ts';
import type { ToChild, ToParent } from './protocol.ts';

const WORKER_ENTRY = fileURLToPath(new URL('./worker-entry.ts', import.meta.url));
// Time a child gets beyond the job's wall-clock limit before the pool kills it; the isolate's own
// watchdog should always answer first.
const KILL_GRACE_MS = 2000;

const RESPAWN_BACKOFF_MS = 500;

type Job = {
  id: number;
  orgId: string;
  code: string;
  context: SandboxContext;
  host: SandboxHost;
  limits: SandboxLimits;
  started: number;
  resolve: (result: SandboxResult) => void;
};

type Worker = {
  child: ChildProcess;
  /** Jobs running in the child, each with the timer that kills the child if it overruns. */
  jobs: Map<number, { job: Job; killTimer: NodeJS.Timeout }>;
  /** Orgs whose isolates the child said it holds after its last job. */
  orgs: Set<string>;
};

export type SandboxRunRequest = {
  /** Tenant whose isolate may be reused; runs of different orgs never share an isolate. */
  orgId: string;
  code: string;
  context: SandboxContext;
  host: SandboxHost;
  limits?: Partial<SandboxLimits>;
};

export type SandboxPool = {
  /** Runs compiled workflow code; resolves with a result (never rejects) unless the queue is full. */
  run: (request: SandboxRunRequest) => Promise<SandboxResult>;
  /** Process ids of the sandbox processes, for health checks and tests. */
  pids: () => number[];
  /** Per sandbox process, the orgs whose warm isolates it holds (as of its last job). */
  isolates: () => { pid: number; orgs: string[] }[];
  close: () => Promise<void>;
};

function failure(job: Job, message: string): SandboxResult {
  return {
    ok: false,
    error: { kind: 'crash', message },
    logs: [],
    durationMs: performance.now() - job.started,
    cpuMs: 0,
  };
}

// The child runs hostile code: what it sends is checked before it is believed.
function isResult(value: unknown): value is SandboxResult {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<Record<keyof SandboxResult, unknown>> & { error?: unknown };
  if (!Array.isArray(r.logs) || typeof r.durationMs !== 'number' || typeof r.cpuMs !== 'number')
    return false;
  if (r.ok === true) return 'output' in r;
  if (r.ok !== false || typeof r.error !== 'object' || r.error === null) return false;
  const e = r.error as { kind?: unknown; message?: unknown };
  return typeof e.kind === 'string' && typeof e.message === 'string';
}

/** Orgs that hold fewer running jobs than this may take the last `reserve` free slots. */
function reserveOf(capacity: number): number {
  return Math.floor(capacity / 8);
}

/**
 * A fixed set of child processes, each running up to `jobsPerProcess` jobs at once (each in an
 * isolate of its own: a workflow waiting on a host call, a fetch or a sleep holds no CPU, so
 * others run beside it). A child that dies is replaced and only its jobs fail (kind 'crash').
 * Children get an empty environment, so nothing of the server's configuration or secrets exists
 * in the process that runs tenant code.
 */
export function createSandboxPool({
  size = 2,
  maxQueue = 100,
  limits: poolLimits,
  isolatesPerProcess = 8,
  runsPerIsolate = 1000,
  jobsPerProcess = 8,
}: {
  size?: number;
  /** Jobs one child runs at once; the watchdog of each is its own, a kill takes them all. */
  jobsPerProcess?: number;
  maxQueue?: number;
  limits?: Partial<SandboxLimits>;
  /** Warm isolates (one per org) each child keeps, least recently used disposed first. */
  isolatesPerProcess?: number;
  /** Runs after which an isolate is disposed and made anew. */
  runsPerIsolate?: number;
} = {}): SandboxPool {
  const defaultLimits = resolveLimits(poolLimits, DEFAULT_LIMITS);
  const workers = new Set<Worker>();
  // One queue per org; Map order is the round-robin order (a served org moves to the back).
  const queues = new Map<string, Job[]>();
  let queued = 0;
  /** Jobs running per org; an org without any is absent. */
  const runningPerOrg = new Map<string, number>();
  let nextJobId = 1;
  let closed = false;

  function spawn(): void {
    const startedAt = performance.now();
    const child = fork(WORKER_ENTRY, [String(isolatesPerProcess), String(runsPerIsolate)], {
      env: {},
      execArgv: [],
      serialization: 'json',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const worker: Worker = { child, jobs: new Map(), orgs: new Set() };
    workers.add(worker);
    child.on('message', (message: ToParent) => onMessage(worker, message));
    child.on('exit', (code, signal) => {
      workers.delete(worker);
      for (const { job, killTimer } of worker.jobs.values()) {
        clearTimeout(killTimer);
        released(job.orgId);
        job.resolve(failure(job, `sandbox process exited (${signal ?? `code ${code}`})`));
      }
      worker.jobs.clear();
      if (closed) return;
      // A child that dies right after starting (a broken install) must not become a fork loop.
      const delay = performance.now() - startedAt < RESPAWN_BACKOFF_MS ? RESPAWN_BACKOFF_MS : 0;
      setTimeout(() => {
        if (closed) return;
        spawn();
        pump();
      }, delay).unref();
    });
    // An IPC error means the child is gone or going; the exit handler does the cleanup.
    child.on('error', () => child.kill('SIGKILL'));
  }

  function onMessage(worker: Worker, message: ToParent): void {
    const running = worker.jobs.get(message.jobId);
    if (!running) return;
    const { job } = running;
    switch (message.type) {
      case 'result': {
        if (!isResult(message.result)) {
          // Only a subverted child sends this; it is not trusted with another job.
          worker.child.kill('SIGKILL');
          return;
        }
        clearTimeout(running.killTimer);
        worker.jobs.delete(job.id);
        released(job.orgId);
        worker.orgs = new Set(
          Array.isArray(message.orgs)
            ? message.orgs.filter((org) => typeof org === 'string').slice(0, isolatesPerProcess)
            : [],
        );
        if (job.host.log) for (const entry of message.result.logs) job.host.log(entry);
        job.resolve(message.result);
        pump();
        return;
      }
      case 'call': {
        const { callId, name, argsJson } = message;
        const reply = (answer: ToChild): void => {
          if (worker.jobs.get(job.id) === running && worker.child.connected) {
            worker.child.send(answer);
          }
        };
        const refused = refuseHostCall({ name, argsJson, limits: job.limits });
        if (refused !== undefined) {
          reply({ type: 'call_result', callId, ok: false, message: refused });
          return;
        }
        job.host.call({ name: name as Parameters<SandboxHost['call']>[0]['name'], argsJson }).then(
          (resultJson) => reply({ type: 'call_result', callId, ok: true, resultJson }),
          (error: unknown) =>
            // Only expected failures carry their message into tenant code.
            reply({
              type: 'call_result',
              callId,
              ok: false,
              message: isAppError(error) ? error.message : 'host call failed',
            }),
        );
        return;
      }
    }
  }

  // An idle child holding the org's warm isolate first; then any idle child (the one holding the
  // fewest orgs, so warm isolates are evicted last); then the least busy child with room.
  function pickWorker(orgId: string): Worker | undefined {
    let idle: Worker | undefined;
    let busy: Worker | undefined;
    for (const worker of workers) {
      if (!worker.child.connected || worker.jobs.size >= jobsPerProcess) continue;
      if (worker.jobs.size === 0) {
        if (worker.orgs.has(orgId)) return worker;
        if (!idle || worker.orgs.size < idle.orgs.size) idle = worker;
      } else if (
        !busy ||
        worker.jobs.size < busy.jobs.size ||
        (worker.jobs.size === busy.jobs.size && worker.orgs.has(orgId))
      ) {
        busy = worker;
      }
    }
    return idle ?? busy;
  }

  function released(orgId: string): void {
    const left = (runningPerOrg.get(orgId) ?? 0) - 1;
    if (left > 0) runningPerOrg.set(orgId, left);
    else runningPerOrg.delete(orgId);
  }

  /**
   * The org whose job takes the next free slot, or undefined when every waiting org must wait.
   * First the next org in turn that is under its share; only when none is, the next org in turn
   * at all (idle capacity nobody under their share wants). The reserve applies to both.
   */
  function nextOrg(): string | undefined {
    let capacity = 0;
    let free = 0;
    for (const worker of workers) {
      if (!worker.child.connected) continue;
      capacity += jobsPerProcess;
      free += jobsPerProcess - worker.jobs.size;
    }
    if (free <= 0) return undefined;
    const reserve = reserveOf(capacity);
    const orgs = new Set([...runningPerOrg.keys(), ...queues.keys()]).size;
    const share = Math.max(1, Math.floor((capacity - reserve) / orgs));
    let overShare: string | undefined;
    for (const orgId of queues.keys()) {
      const held = runningPerOrg.get(orgId) ?? 0;
      if (free <= reserve && held >= reserve) continue;
      if (held < share) return orgId;
      overShare ??= orgId;
    }
    return overShare;
  }

  function pump(): void {
    for (;;) {
      const orgId = nextOrg();
      if (orgId === undefined) return;
      const worker = pickWorker(orgId);
      if (!worker) return;
      const waiting = queues.get(orgId)!;
      const job = waiting.shift()!;
      queued--;
      queues.delete(orgId);
      if (waiting.length > 0) queues.set(orgId, waiting);
      runningPerOrg.set(orgId, (runningPerOrg.get(orgId) ?? 0) + 1);
      worker.jobs.set(job.id, {
        job,
        killTimer: setTimeout(
          () => worker.child.kill('SIGKILL'),
          job.limits.wallMs + KILL_GRACE_MS,
        ),
      });
      const message: ToChild = {
        type: 'run',
        jobId: job.id,
        orgId: job.orgId,
        code: job.code,
        context: job.context,
        limits: job.limits,
      };
      worker.child.send(message);
    }
  }

  for (let i = 0; i < size; i++) spawn();

  return {
    run: ({ orgId, code, context, host, limits }) => {
      if (closed) return Promise.reject(new AppError('internal', 'sandbox pool is closed'));
      // The waiting room is shared fairly too: once it is full, an org is still admitted while it
      // holds less than its share of it (maxQueue / orgs waiting), so one org's flood is refused
      // without refusing the others. Waiting jobs stay below 2 × maxQueue.
      const mine = queues.get(orgId)?.length ?? 0;
      const orgsWaiting = queues.size + (queues.has(orgId) ? 0 : 1);
      const share = Math.max(1, Math.floor(maxQueue / orgsWaiting));
      if (mine >= maxQueue || (queued >= maxQueue && mine >= share)) {
        return Promise.reject(
          new AppError('rate_limited', 'too many workflow runs waiting; retry later'),
        );
      }
      return new Promise<SandboxResult>((resolve) => {
        let waiting = queues.get(orgId);
        if (!waiting) {
          waiting = [];
          queues.set(orgId, waiting);
        }
        queued++;
        waiting.push({
          id: nextJobId++,
          orgId,
          code,
          context,
          host,
          limits: resolveLimits(limits, defaultLimits),
          started: performance.now(),
          resolve,
        });
        pump();
      });
    },
    pids: () =>
      [...workers].flatMap((worker) => (worker.child.pid === undefined ? [] : [worker.child.pid])),
    isolates: () =>
      [...workers].flatMap((worker) =>
        worker.child.pid === undefined ? [] : [{ pid: worker.child.pid, orgs: [...worker.orgs] }],
      ),
    close: async () => {
      closed = true;
      for (const waiting of queues.values()) {
        for (const job of waiting) job.resolve(failure(job, 'sandbox pool closed'));
      }
      queues.clear();
      queued = 0;
      await Promise.all(
        [...workers].map(
          (worker) =>
            new Promise<void>((resolve) => {
              if (worker.child.exitCode !== null || worker.child.signalCode !== null)
                return resolve();
              worker.child.once('exit', () => resolve());
              worker.child.kill('SIGKILL');
            }),
        ),
      );
    },
  };
}
