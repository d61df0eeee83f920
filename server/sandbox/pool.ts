import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AppError, isAppError } from '../errors.ts';
import {
  DEFAULT_LIMITS,
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
  code: string;
  input: unknown;
  host: SandboxHost;
  limits: SandboxLimits;
  started: number;
  resolve: (result: SandboxResult) => void;
};

type Worker = { child: ChildProcess; job: Job | undefined; killTimer: NodeJS.Timeout | undefined };

export type SandboxPool = {
  /** Runs compiled workflow code; resolves with a result (never rejects) unless the queue is full. */
  run: (job: {
    code: string;
    input: unknown;
    host: SandboxHost;
    limits?: SandboxLimits;
  }) => Promise<SandboxResult>;
  /** Process ids of the sandbox processes, for health checks and tests. */
  pids: () => number[];
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

/**
 * A fixed set of child processes, each running one isolate at a time. A child that dies is
 * replaced and only its own job fails (kind 'crash'). Children get an empty environment, so
 * nothing of the server's configuration or secrets exists in the process that runs tenant code.
 */
export function createSandboxPool({
  size = 2,
  maxQueue = 100,
  limits: defaultLimits = DEFAULT_LIMITS,
}: { size?: number; maxQueue?: number; limits?: SandboxLimits } = {}): SandboxPool {
  const workers = new Set<Worker>();
  const queue: Job[] = [];
  let nextJobId = 1;
  let closed = false;

  function spawn(): void {
    const startedAt = performance.now();
    const child = fork(WORKER_ENTRY, [], {
      env: {},
      execArgv: [],
      serialization: 'json',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    const worker: Worker = { child, job: undefined, killTimer: undefined };
    workers.add(worker);
    child.on('message', (message: ToParent) => onMessage(worker, message));
    child.on('exit', (code, signal) => {
      workers.delete(worker);
      clearTimeout(worker.killTimer);
      const job = worker.job;
      worker.job = undefined;
      job?.resolve(failure(job, `sandbox process exited (${signal ?? `code ${code}`})`));
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
    const job = worker.job;
    if (!job || message.jobId !== job.id) return;
    switch (message.type) {
      case 'result':
        clearTimeout(worker.killTimer);
        worker.job = undefined;
        job.resolve(message.result);
        pump();
        return;
      case 'call': {
        const { callId } = message;
        const reply = (answer: ToChild): void => {
          if (worker.job === job && worker.child.connected) worker.child.send(answer);
        };
        job.host.call({ name: message.name, argsJson: message.argsJson }).then(
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

  function pump(): void {
    for (const worker of workers) {
      if (worker.job || !worker.child.connected) continue;
      const job = queue.shift();
      if (!job) return;
      worker.job = job;
      worker.killTimer = setTimeout(
        () => worker.child.kill('SIGKILL'),
        job.limits.wallMs + KILL_GRACE_MS,
      );
      const message: ToChild = {
        type: 'run',
        jobId: job.id,
        code: job.code,
        input: job.input,
        limits: job.limits,
      };
      worker.child.send(message);
    }
  }

  for (let i = 0; i < size; i++) spawn();

  return {
    run: ({ code, input, host, limits = defaultLimits }) => {
      if (closed) return Promise.reject(new AppError('internal', 'sandbox pool is closed'));
      if (queue.length >= maxQueue) {
        return Promise.reject(
          new AppError('rate_limited', 'too many workflow runs waiting; retry later'),
        );
      }
      return new Promise<SandboxResult>((resolve) => {
        queue.push({
          id: nextJobId++,
          code,
          input,
          host,
          limits,
          started: performance.now(),
          resolve,
        });
        pump();
      });
    },
    pids: () =>
      [...workers].flatMap((worker) => (worker.child.pid === undefined ? [] : [worker.child.pid])),
    close: async () => {
      closed = true;
      for (const job of queue.splice(0)) job.resolve(failure(job, 'sandbox pool closed'));
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
