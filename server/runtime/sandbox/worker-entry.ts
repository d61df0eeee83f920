// Entry of a sandbox process. The pool starts it with an empty environment and two arguments
// (isolates kept, runs per isolate); it runs the jobs the pool sends (several at once, each in a
// fresh context of an idle warm isolate of the job's org, or a new one), and sends every host
// call to the parent, which owns all capabilities.
import { createIsolateRunner, type HostCallName } from './isolate.ts';
import type { ToChild, ToParent } from './protocol.ts';

function positive(arg: string | undefined, fallback: number): number {
  const value = Number(arg);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

const runner = createIsolateRunner({
  maxIsolates: positive(process.argv[2], 8),
  maxRunsPerIsolate: positive(process.argv[3], 1000),
});

const pendingCalls = new Map<
  number,
  { jobId: number; resolve: (json: string) => void; reject: (error: Error) => void }
>();
let nextCallId = 1;

function send(message: ToParent): void {
  process.send?.(message);
}

async function runJob(message: Extract<ToChild, { type: 'run' }>): Promise<void> {
  const { jobId, orgId, code, context, limits } = message;
  const result = await runner.run({
    orgId,
    code,
    context,
    limits,
    host: {
      call: ({ name, argsJson }: { name: HostCallName; argsJson: string }) =>
        new Promise<string>((resolve, reject) => {
          const callId = nextCallId++;
          pendingCalls.set(callId, { jobId, resolve, reject });
          send({ type: 'call', jobId, callId, name, argsJson });
        }),
    },
  });
  // Calls the job left unanswered will never be answered (the parent drops them); forget them.
  for (const [callId, pending] of pendingCalls) {
    if (pending.jobId === jobId) pendingCalls.delete(callId);
  }
  send({ type: 'result', jobId, result, orgs: runner.orgIds() });
}

process.on('message', (message: ToChild) => {
  switch (message.type) {
    case 'run':
      void runJob(message);
      return;
    case 'call_result': {
      const pending = pendingCalls.get(message.callId);
      pendingCalls.delete(message.callId);
      if (!pending) return;
      if (message.ok) pending.resolve(message.resultJson);
      else pending.reject(new Error(message.message));
      return;
    }
  }
});

// Without a parent there is no one to serve; never linger as an orphan.
process.on('disconnect', () => process.exit(0));
