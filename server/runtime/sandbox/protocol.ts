import type { SandboxContext, SandboxLimits, SandboxResult } from './isolate.ts';

/** Messages between the pool (parent) and a sandbox process (child), sent as JSON over IPC. */
export type ToChild =
  | {
      type: 'run';
      jobId: number;
      orgId: string;
      code: string;
      context: SandboxContext;
      limits: SandboxLimits;
    }
  | { type: 'call_result'; callId: number; ok: true; resultJson: string }
  | { type: 'call_result'; callId: number; ok: false; message: string };

export type ToParent =
  | { type: 'call'; jobId: number; callId: number; name: string; argsJson: string }
  /** `orgs`: the orgs whose isolates the child holds after this job, for affinity. */
  | { type: 'result'; jobId: number; result: SandboxResult; orgs: string[] };
