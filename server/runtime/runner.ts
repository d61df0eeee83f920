import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { isUuid, throughOutage, type Database, type Listener } from '../db/database.ts';
import * as customersRepo from '../db/repositories/customers.repo.ts';
import * as executionsRepo from '../db/repositories/executions.repo.ts';
import * as triggersRepo from '../db/repositories/triggers.repo.ts';
import type { ExecutionError, NewExecution } from '../db/repositories/executions.repo.ts';
import * as workflowsRepo from '../db/repositories/workflows.repo.ts';
import type { Runnable } from '../db/repositories/workflows.repo.ts';
import { requireEnvironmentAllowed, requirePermission, type Tenant } from '../domain/tenant.ts';
import {
  type Environment,
  type ExecutionStatus,
  type RetryPolicy,
  type Tier,
  type TriggerKind,
} from '../domain/workflow.ts';
import { AppError } from '../errors.ts';
import type { SandboxPool } from './sandbox/pool.ts';
import type { SandboxResult } from './sandbox/isolate.ts';
import type { ConnectionRuntime } from '../modules/connections/runtime.ts';
import { createExecutionWriter } from './execution-writer.ts';
import {
  createRunHost,
  memoryStepStore,
  RunRecord,
  type RunServices,
  type StepStore,
} from './host.ts';
import { WORKFLOWS_CHANNEL } from '../modules/workflows/workflows.service.ts';
import { activeContext, inSpan, WEFT_ATTRS, withContext } from '../telemetry/tracing.ts';
import { enforceQuota } from '../modules/usage/usage.service.ts';

/** Inputs, outputs and errors above this size are stored as a truncated preview. */
const MAX_STORED_JSON_BYTES = 64 * 1024;
/** Time beyond the workflow's timeout before another worker may take over a running attempt. */
const LEASE_GRACE_MS = 5_000;
/** The longest lease an attempt holds between renewals. */
const MAX_LEASE_MS = 30_000;

/** An attempt's lease: its timeout and a grace for short runs, at most MAX_LEASE_MS (renewed). */
export function leaseFor(timeoutMs: number): number {
  return Math.min(timeoutMs + LEASE_GRACE_MS, MAX_LEASE_MS);
}
const MEMORY_MB = 64;

// Request headers a workflow never sees: credentials of the caller.
const SENSITIVE_HEADER =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-fastn-api-key)$|(^|-)(api-?key|token|secret|signature|password|auth)($|-)/i;

/** The request headers a run may see: no credentials, one string per name. */
export function runHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || SENSITIVE_HEADER.test(name)) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Caps a JSON value for the log: oversized values become a preview that says so. */
export function capJson(value: unknown): unknown {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  if (text === undefined || text.length <= MAX_STORED_JSON_BYTES) return value ?? null;
  return { truncated: true, bytes: Buffer.byteLength(text), preview: text.slice(0, 2048) };
}

/**
 * Longest delay before attempt `attempt + 1` after attempt `attempt` failed: the initial interval,
 * doubled per failed attempt with backoff, times up to 2 for jitter, capped.
 */
export function retryDelayMs({ retry, attempt }: { retry: RetryPolicy; attempt: number }): number {
  const base = retry.backoff
    ? retry.initialIntervalMs * 2 ** Math.max(0, attempt - 1) * 2
    : retry.initialIntervalMs;
  return Math.min(retry.backoff ? retry.maxIntervalMs : Number.MAX_SAFE_INTEGER, base);
}

export interface QueuedJob {
  orgId: string;
  executionId: string;
  tier: Tier;
  timeoutMs: number;
  retry: RetryPolicy;
  /** Start no sooner than this (a retry's backoff). */
  delayMs?: number;
}

/** How async executions reach workers (the pg-boss queues in production). */
export interface ExecutionQueue {
  enqueue(job: QueuedJob): Promise<void>;
}

export interface StartRun {
  tenant: Tenant;
  ref: string;
  environment?: Environment | undefined;
  version?: number | undefined;
  customerId?: string | undefined;
  input: unknown;
  headers: Record<string, string>;
  triggeredBy: TriggerKind;
  trigger: Record<string, unknown>;
  rerunOf?: string | null;
  /** A given execution id (a trigger's route run derives it from the event). */
  executionId?: string;
}

export interface RunSummary {
  executionId: string;
  workflowId: string;
  version: number;
  environment: Environment;
  tier: Tier;
  status: ExecutionStatus;
  output?: unknown;
  error?: ExecutionError | null;
  durationMs?: number;
}

/** What a worker's attempt came to; the queue glue acts on it. */
export type AttemptOutcome =
  | { kind: 'skipped'; reason: string }
  | { kind: 'completed' }
  | { kind: 'failed'; status: ExecutionStatus; error: ExecutionError }
  | { kind: 'retry'; delayMs: number; error: ExecutionError }
  | { kind: 'fenced' };

export interface WorkflowRunner {
  /** Instant: runs now and resolves with the result. Standard and Long: queues and resolves. */
  start(run: StartRun): Promise<RunSummary>;
  /** Runs one attempt of a queued execution (worker side). */
  runAttempt(job: {
    orgId: string;
    executionId: string;
    timeoutMs: number;
  }): Promise<AttemptOutcome>;
  /** Marks an execution failed after its queue job was dead-lettered. */
  giveUp(job: { orgId: string; executionId: string; reason: string }): Promise<boolean>;
  close(): Promise<void>;
}

function errorOf(result: Extract<SandboxResult, { ok: false }>): ExecutionError {
  return result.error.stack === undefined
    ? { kind: result.error.kind, message: result.error.message }
    : { kind: result.error.kind, message: result.error.message, stack: result.error.stack };
}

function statusOf(result: SandboxResult): ExecutionStatus {
  if (result.ok) return 'completed';
  return result.error.kind === 'timeout' ? 'timeout' : 'failed';
}

type CachedRunnable = { runnable: Runnable; at: number };

/** The fields of an execution row that say what ran, for whom and why. */
function executionOf({
  run,
  runnable,
  environment,
  executionId,
  customerId,
}: {
  run: StartRun;
  runnable: Runnable;
  environment: Environment;
  executionId: string;
  customerId: string | null;
}) {
  return {
    id: executionId,
    orgId: run.tenant.orgId,
    workflowId: runnable.workflowId,
    versionId: runnable.versionId,
    version: runnable.version,
    environment,
    tier: runnable.tier,
    triggeredBy: run.triggeredBy,
    trigger: run.trigger,
    customerId,
    headers: run.headers,
    rerunOf: run.rerunOf ?? null,
  };
}

function summaryOf({
  runnable,
  environment,
  executionId,
}: {
  runnable: Runnable;
  environment: Environment;
  executionId: string;
}) {
  return {
    executionId,
    workflowId: runnable.workflowId,
    version: runnable.version,
    environment,
    tier: runnable.tier,
  };
}

export async function createWorkflowRunner({
  db,
  runtime,
  services,
  pool,
  queue,
  logger,
  cacheTtlMs = 60_000,
}: {
  db: Database;
  runtime: ConnectionRuntime;
  services: RunServices;
  pool: SandboxPool;
  queue: ExecutionQueue;
  logger: Logger;
  cacheTtlMs?: number;
}): Promise<WorkflowRunner> {
  const writer = createExecutionWriter({ db });
  // Deployed runnables by org|ref|environment, dropped on any change notified by another process.
  const deployed = new Map<string, CachedRunnable>();
  // Versions never change: cached by id with a bound on the count.
  const versions = new Map<string, Runnable>();
  const listener: Listener = await db.listen(WORKFLOWS_CHANNEL, {
    onMessage(workflowId) {
      for (const [key, entry] of deployed) {
        if (entry.runnable.workflowId === workflowId) deployed.delete(key);
      }
    },
    onReset: () => deployed.clear(),
  });

  async function resolveRunnable(run: StartRun, environment: Environment): Promise<Runnable> {
    const { tenant, ref } = run;
    const byId = isUuid(ref);
    if (run.version !== undefined) {
      const found = await db.tenant(tenant, async (sql) => {
        const workflow = await workflowsRepo.find(sql, { ref, byId });
        if (!workflow) return null;
        return workflowsRepo.findRunnableVersion(sql, {
          workflowId: workflow.id,
          version: run.version as number,
        });
      });
      if (!found)
        throw new AppError('not_found', `workflow '${ref}' has no version ${run.version}`);
      return found;
    }
    const key = `${tenant.orgId}|${ref}|${environment}`;
    const cached = deployed.get(key);
    if (cached && listener.connected() && Date.now() - cached.at < cacheTtlMs) {
      return cached.runnable;
    }
    const found = await db.tenant(tenant, async (sql) => {
      const runnable = await workflowsRepo.findDeployed(sql, { ref, byId, environment });
      if (runnable) return runnable;
      const workflow = await workflowsRepo.find(sql, { ref, byId });
      if (!workflow) {
        throw new AppError(
          'not_found',
          `no workflow '${ref}'; list workflows to see the ids and slugs`,
        );
      }
      throw new AppError(
        'conflict',
        `workflow '${workflow.slug}' has no version deployed to ${environment}; publish it and deploy a version there first`,
        { environment },
      );
    });
    if (listener.connected()) {
      if (deployed.size >= 10_000) deployed.clear();
      deployed.set(key, { runnable: found, at: Date.now() });
    }
    return found;
  }

  async function customerContext({
    orgId,
    customerId,
  }: {
    orgId: string;
    customerId: string | null;
  }): Promise<Record<string, unknown> | null> {
    if (customerId === null) return null;
    const customer = await db.tenant({ orgId, customerId }, (sql) =>
      customersRepo.findById(sql, { id: customerId }),
    );
    if (!customer) throw new AppError('not_found', `no customer ${customerId}`);
    return {
      id: customer.id,
      name: customer.name,
      externalId: customer.externalId,
      metadata: customer.metadata,
    };
  }

  async function execute({
    runnable,
    orgId,
    mode,
    executionId,
    customer,
    environment,
    input,
    headers,
    triggeredBy,
    trigger,
    attempt,
    steps,
  }: {
    runnable: Runnable;
    orgId: string;
    mode: Tenant['mode'];
    executionId: string;
    customer: Record<string, unknown> | null;
    environment: Environment;
    input: unknown;
    headers: Record<string, string>;
    triggeredBy: TriggerKind;
    trigger: Record<string, unknown>;
    attempt: number;
    steps: StepStore | ((record: RunRecord) => StepStore);
  }): Promise<{ result: SandboxResult; record: RunRecord }> {
    const record = new RunRecord();
    const ended = new AbortController();
    const host = createRunHost({
      runtime,
      services,
      scope: {
        orgId,
        customerId: (customer?.['id'] as string | undefined) ?? null,
        executionId,
        workflowSlug: runnable.slug,
        tier: runnable.tier,
        attempt,
        mode,
      },
      steps: typeof steps === 'function' ? steps(record) : steps,
      record,
      signal: ended.signal,
      onError: (error) => logger.error({ err: error, executionId }, 'workflow host call failed'),
    });
    const attributes = {
      [WEFT_ATTRS.executionId]: executionId,
      [WEFT_ATTRS.orgId]: orgId,
      [WEFT_ATTRS.workflowSlug]: runnable.slug,
      [WEFT_ATTRS.workflowVersion]: runnable.version,
      [WEFT_ATTRS.tier]: runnable.tier,
      [WEFT_ATTRS.attempt]: attempt,
      [WEFT_ATTRS.triggeredBy]: triggeredBy,
    };
    try {
      const result = await inSpan({
        name: `workflow.run ${runnable.slug}`,
        attributes,
        run: (span) =>
          inSpan({
            name: 'sandbox.run',
            attributes: { [WEFT_ATTRS.executionId]: executionId },
            run: async (sandboxSpan) => {
              // Host calls arrive from the sandbox process, outside this async context: each one
              // runs in the sandbox span's, so its spans (an upstream request) nest under it.
              const inRun = activeContext();
              const outcome = await pool.run({
                orgId,
                code: runnable.compiled,
                context: {
                  input: input ?? null,
                  headers,
                  trigger: { type: triggeredBy, ...trigger },
                  customer,
                  env: { name: environment },
                  executionId,
                  attempt,
                },
                host: { ...host, call: (request) => withContext(inRun, () => host.call(request)) },
                limits: {
                  memoryMb: MEMORY_MB,
                  cpuMs: runnable.timeoutMs,
                  wallMs: runnable.timeoutMs,
                },
              });
              if (!outcome.ok) {
                sandboxSpan.fail(outcome.error.kind);
                span.fail(outcome.error.kind);
              }
              return outcome;
            },
          }),
      });
      return { result, record };
    } finally {
      ended.abort('run ended');
    }
  }

  /** The error recorded for a run whose result could not be stored; the cause is logged. */
  function unstorable({
    storeError,
    executionId,
  }: {
    storeError: unknown;
    executionId: string;
  }): ExecutionError {
    logger.error({ err: storeError, executionId }, 'could not store a run result');
    return {
      kind: 'error',
      message: `the run finished but its result could not be stored (ref ${executionId})`,
    };
  }

  async function startInstant(
    run: StartRun,
    runnable: Runnable,
    environment: Environment,
  ): Promise<RunSummary> {
    const { tenant } = run;
    const executionId = run.executionId ?? randomUUID();
    const createdAt = new Date();
    const customerId = run.customerId ?? tenant.customerId;
    const customer = await customerContext({ orgId: tenant.orgId, customerId });
    const { result, record } = await execute({
      runnable,
      orgId: tenant.orgId,
      mode: tenant.mode,
      executionId,
      customer,
      environment,
      input: run.input,
      headers: run.headers,
      triggeredBy: run.triggeredBy,
      trigger: run.trigger,
      attempt: 1,
      steps: memoryStepStore(),
    });
    const status = statusOf(result);
    const output = result.ok ? record.redact(capJson(result.output)) : null;
    const error = result.ok ? null : record.redact(errorOf(result));
    const execution: NewExecution = {
      ...executionOf({ run, runnable, environment, executionId, customerId }),
      status,
      attempt: 1,
      maxAttempts: 1,
      input: record.redact(capJson(run.input)),
      output,
      error,
      logs: record.redact(result.logs),
      spans: record.redact(record.spans),
      createdAt,
      startedAt: createdAt,
      finishedAt: new Date(),
      durationMs: result.durationMs,
    };
    try {
      await writer.write(execution);
    } catch (storeError) {
      // The run happened (its side effects too): record that, without what could not be stored.
      const failure = unstorable({ storeError, executionId });
      await writer.write({
        ...execution,
        status: 'failed',
        input: null,
        output: null,
        error: failure,
        logs: [],
        spans: [],
      });
      return {
        ...summaryOf({ runnable, environment, executionId }),
        status: 'failed',
        output: null,
        error: failure,
        durationMs: result.durationMs,
      };
    }
    return {
      ...summaryOf({ runnable, environment, executionId }),
      status,
      output,
      error,
      durationMs: result.durationMs,
    };
  }

  async function startAsync(
    run: StartRun,
    runnable: Runnable,
    environment: Environment,
  ): Promise<RunSummary> {
    const { tenant } = run;
    const executionId = run.executionId ?? randomUUID();
    const customerId = run.customerId ?? tenant.customerId;
    await customerContext({ orgId: tenant.orgId, customerId });
    const maxAttempts = runnable.retry.enabled ? runnable.retry.maxAttempts : 1;
    await db.tenant({ orgId: tenant.orgId }, (sql) =>
      executionsRepo.insertMany(sql, [
        {
          ...executionOf({ run, runnable, environment, executionId, customerId }),
          status: 'queued',
          attempt: 0,
          maxAttempts,
          input: capJson(run.input),
          output: null,
          error: null,
          logs: [],
          spans: [],
          createdAt: new Date(),
          startedAt: null,
          finishedAt: null,
          durationMs: null,
        },
      ]),
    );
    try {
      await queue.enqueue({
        orgId: tenant.orgId,
        executionId,
        tier: runnable.tier,
        timeoutMs: runnable.timeoutMs,
        retry: runnable.retry,
      });
    } catch (error) {
      // Not lost: the sweeper re-queues executions left queued; say so rather than fail the call.
      logger.error({ err: error, executionId }, 'could not queue an execution; the sweeper will');
    }
    return { ...summaryOf({ runnable, environment, executionId }), status: 'queued' };
  }

  /**
   * A queued execution started by a trigger's event failed for good: the event goes to the
   * dead-letter queue, where a replay runs it again.
   */
  async function deadLetterEvent({
    orgId,
    trigger,
    error,
  }: {
    orgId: string;
    trigger: Record<string, unknown>;
    error: ExecutionError;
  }): Promise<void> {
    const eventId = trigger['eventId'];
    if (typeof eventId !== 'string' || !isUuid(eventId)) return;
    await db.tenant({ orgId }, (sql) =>
      triggersRepo.deadLetterEvent(sql, {
        id: eventId,
        error: `execution failed: ${error.message}`,
      }),
    );
  }

  /** The body of an attempt whose lease this process holds. */
  async function runClaimed({
    orgId,
    executionId,
    leaseOwner,
    claimed,
  }: {
    orgId: string;
    executionId: string;
    leaseOwner: string;
    claimed: executionsRepo.Claimed;
  }): Promise<AttemptOutcome> {
    if (claimed.attempt > claimed.maxAttempts) {
      const error = {
        kind: 'crash',
        message: `gave up after ${claimed.maxAttempts} attempt(s): the worker running it stopped`,
      };
      await db.tenant({ orgId }, (sql) =>
        executionsRepo.failUnfinished(sql, { id: executionId, error }),
      );
      return { kind: 'failed', status: 'failed', error };
    }
    let runnable = versions.get(claimed.versionId);
    if (!runnable) {
      runnable =
        (await db.tenant({ orgId }, (sql) =>
          workflowsRepo.findRunnableById(sql, { versionId: claimed.versionId }),
        )) ?? undefined;
      if (!runnable) {
        const error = { kind: 'error', message: 'the workflow version was deleted' };
        await db.tenant({ orgId }, (sql) =>
          executionsRepo.failUnfinished(sql, { id: executionId, error }),
        );
        return { kind: 'failed', status: 'failed', error };
      }
      if (versions.size >= 1000) versions.clear();
      versions.set(claimed.versionId, runnable);
    }
    const { result, record } = await execute({
      runnable,
      orgId,
      mode: null,
      executionId,
      customer: await customerContext({ orgId, customerId: claimed.customerId }),
      environment: claimed.environment,
      input: claimed.input,
      headers: claimed.headers,
      triggeredBy: claimed.triggeredBy,
      trigger: claimed.trigger,
      attempt: claimed.attempt,
      steps: (record) =>
        fencedSteps({ orgId, executionId, leaseOwner, attempt: claimed.attempt, record }),
    });
    const status = statusOf(result);
    const error = result.ok ? null : record.redact(errorOf(result));
    const retrying = !result.ok && runnable.retry.enabled && claimed.attempt < claimed.maxAttempts;
    const delayMs = retrying
      ? retryDelayMs({ retry: runnable.retry, attempt: claimed.attempt })
      : 0;
    const attemptLog = [
      ...record.redact(result.logs),
      ...(error
        ? [
            {
              level: 'error' as const,
              message: `attempt ${claimed.attempt} ${status}: ${error.message}${retrying ? `; retrying in ${delayMs} ms` : ''}`,
              at: Date.now(),
            },
          ]
        : []),
    ];
    let settled: boolean;
    try {
      // Fenced on the lease, which outlasts the grace: repeating it cannot commit twice.
      settled = await throughOutage(() =>
        db.tenant({ orgId }, (sql) =>
          executionsRepo.settle(sql, {
            id: executionId,
            leaseOwner,
            status: retrying ? 'queued' : status,
            output: result.ok ? record.redact(capJson(result.output)) : null,
            error,
            logs: attemptLog,
            spans: record.redact(record.spans),
            durationMs: result.durationMs,
            retryInMs: delayMs,
          }),
        ),
      );
    } catch (storeError) {
      // The attempt ran (its side effects too): another attempt would repeat them. Past an
      // outage's grace, or on an error that is not one, the execution fails without what could
      // not be stored, and is not retried.
      const failure = unstorable({ storeError, executionId });
      const marked = await db.tenant({ orgId }, (sql) =>
        executionsRepo.settle(sql, {
          id: executionId,
          leaseOwner,
          status: 'failed',
          output: null,
          error: failure,
          logs: [],
          spans: [],
          durationMs: result.durationMs,
        }),
      );
      if (!marked) return { kind: 'fenced' };
      await deadLetterEvent({ orgId, trigger: claimed.trigger, error: failure });
      return { kind: 'failed', status: 'failed', error: failure };
    }
    if (!settled) return { kind: 'fenced' };
    if (result.ok) return { kind: 'completed' };
    const failure = error as ExecutionError;
    if (retrying) return { kind: 'retry', delayMs, error: failure };
    await deadLetterEvent({ orgId, trigger: claimed.trigger, error: failure });
    return { kind: 'failed', status, error: failure };
  }

  function fencedSteps({
    orgId,
    executionId,
    leaseOwner,
    attempt,
    record,
  }: {
    orgId: string;
    executionId: string;
    leaseOwner: string;
    attempt: number;
    /** Step names are stored and shown: a secret value in one is stored redacted. */
    record: RunRecord;
  }): StepStore {
    return {
      get: (name) =>
        db.tenant({ orgId }, (sql) =>
          executionsRepo.getStep(sql, { executionId, name: record.redact(name) }),
        ),
      put: ({ name, value }) =>
        db.tenant({ orgId }, async (sql) => {
          if (!(await executionsRepo.holdsLease(sql, { id: executionId, leaseOwner }))) {
            throw new AppError(
              'conflict',
              'this attempt lost its lease (it ran past its timeout); another attempt owns the execution',
            );
          }
          await executionsRepo.putStep(sql, {
            orgId,
            executionId,
            name: record.redact(name),
            value,
            attempt,
          });
        }),
    };
  }

  return {
    async start(run) {
      // The one way into a run: whoever starts it (a route, a tool, a trigger's route) must hold
      // the permission, checked here rather than trusted to each caller.
      requirePermission(run.tenant, 'workflows:execute');
      const environment =
        run.environment ?? (run.tenant.mode === 'test' ? 'development' : 'production');
      if (run.customerId !== undefined && run.tenant.customerId !== null) {
        if (run.customerId !== run.tenant.customerId) {
          throw new AppError(
            'forbidden',
            'a customer-scoped key can only run for its own customer',
          );
        }
      }
      const runnable = await resolveRunnable(run, environment);
      // After the lookup, so another tenant's workflow is a plain 404 whatever the environment.
      requireEnvironmentAllowed(run.tenant, environment);
      if (runnable.status !== 'active') {
        throw new AppError(
          'conflict',
          `workflow '${runnable.slug}' is inactive; set its status to active to run it`,
        );
      }
      const customerId = run.customerId ?? run.tenant.customerId;
      if (customerId !== null) {
        await enforceQuota({ db, orgId: run.tenant.orgId, customerId, metric: 'executions' });
      }
      return runnable.tier === 'instant'
        ? startInstant(run, runnable, environment)
        : startAsync(run, runnable, environment);
    },

    async runAttempt({ orgId, executionId, timeoutMs }) {
      const leaseOwner = randomUUID();
      const claimed = await db.tenant({ orgId }, (sql) =>
        executionsRepo.claim(sql, {
          id: executionId,
          leaseOwner,
          leaseMs: leaseFor(timeoutMs),
        }),
      );
      if (!claimed) return { kind: 'skipped', reason: 'finished or held by a live attempt' };
      // The lease is short and renewed while the attempt runs: a worker that dies is noticed
      // within a lease, whatever the workflow's timeout.
      const leaseMs = leaseFor(timeoutMs);
      const heartbeat = setInterval(() => {
        db.tenant({ orgId }, (sql) =>
          executionsRepo.extendLease(sql, { id: executionId, leaseOwner, leaseMs }),
        ).catch((error: unknown) =>
          logger.warn({ err: error, executionId }, 'could not renew an execution lease'),
        );
      }, leaseMs / 3);
      try {
        return await runClaimed({ orgId, executionId, leaseOwner, claimed });
      } finally {
        clearInterval(heartbeat);
      }
    },

    async giveUp({ orgId, executionId, reason }) {
      const error = { kind: 'crash', message: reason };
      const failed = await db.tenant({ orgId }, async (sql) => {
        const marked = await executionsRepo.failUnfinished(sql, { id: executionId, error });
        return { marked, trigger: await executionsRepo.findTrigger(sql, { id: executionId }) };
      });
      if (failed.marked) await deadLetterEvent({ orgId, trigger: failed.trigger, error });
      return failed.marked;
    },

    async close() {
      await writer.close();
      await listener.close();
    },
  };
}
