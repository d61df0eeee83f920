// Entry of a sandbox process. The pool starts it with an empty environment; it runs one job at a
// time in a fresh isolate and sends every host call to the parent, which owns all capabilities.
import { runInIsolate } from './isolate.ts';
import type { ToChild, ToParent } from './protocol.ts';

const pendingCalls = new Map<
  number,
  { resolve: (json: string) => void; reject: (error: Error) => void }
>();
let nextCallId = 1;

function send(message: ToParent): void {
  process.send?.(message);
}

async function runJob(message: Extract<ToChild, { type: 'run' }>): Promise<void> {
  const { jobId, code, input, limits } = message;
  const result = await runInIsolate({
    code,
    input,
    limits,
    host: {
      call: ({ name, argsJson }) =>
        new Promise<string>((resolve, reject) => {
          const callId = nextCallId++;
          pendingCalls.set(callId, { resolve, reject });
          send({ type: 'call', jobId, callId, name, argsJson });
        }),
    },
  });
  send({ type: 'result', jobId, result });
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
