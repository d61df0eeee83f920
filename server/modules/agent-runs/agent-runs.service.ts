// Agent runs as a resource: start one (stored `queued`, then queued for the workers: the caller
// gets its id at once, 202), read it with its steps, spans, usage and pending handback, list
// them, approve or revise a waiting run (which queues it again), cancel one. A run keeps the
// creating key's actor, mode, customer and permissions: the agent later acts with exactly those
// rights (app/agent-runner.ts), audited as the agent on that user's behalf.
//
// Permissions: `agents:execute` to start and steer runs, `agents:read` to read them; a Connector
// Agent run also needs `connectors:create` and `connectors:update`, since what it does is build
// connectors (a Workflow Agent run: `workflows:create` and `workflows:update`) — the agent's
// tool calls are checked again, one by one, against the stored permissions.
import type { Keyring } from '../../crypto/envelope.ts';
import type { Database } from '../../db/database.ts';
import * as agentRunsRepo from '../../db/repositories/agent-runs.repo.ts';
import type {
  AgentRun,
  AgentRunDetail,
  AgentRunStatus,
  ListAgentRunsQuery,
} from '../../domain/agent-run.ts';
import { requirePermission, type Permission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import type { AgentRunQueue } from '../../runtime/agent-runs/executor.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { decodeCursor, encodeCursor } from '../pagination.ts';
import { maskSecrets } from './mask.ts';
import { sealInput, storedInput } from './sealed-input.ts';
import { enforceQuota } from '../usage/usage.service.ts';

/** Spans returned with a run; a long run's further spans are cut (the count says so). */
const MAX_SPANS = 1_000;

/** What each kind of agent needs beyond `agents:execute`. */
const KIND_PERMISSIONS: Readonly<Record<string, readonly Permission[]>> = {
  connector: ['connectors:create', 'connectors:update'],
  workflow: ['workflows:create', 'workflows:update'],
};

function notFound(id: string): AppError {
  return new AppError('not_found', `no agent run ${id}; list agent runs to see the ids that exist`);
}

function shown<T extends AgentRun>(run: T): T {
  return { ...run, input: maskSecrets(run.input) };
}

export interface StartAgentRun {
  kind: string;
  input: Record<string, unknown>;
  provider?: string | undefined;
  model?: string | undefined;
  interactive?: boolean | undefined;
}

/**
 * Stores a run and queues it. `queue` is null in a dry run (nothing is sent); a run whose job
 * could not be sent is found by the sweeper.
 */
export async function startAgentRun({
  db,
  keyring,
  tenant,
  queue,
  input,
}: {
  db: Database;
  /** Seals the input as given when it holds credentials. */
  keyring: Keyring;
  tenant: Tenant;
  queue: AgentRunQueue | null;
  input: StartAgentRun;
}): Promise<{ runId: string; status: AgentRunStatus }> {
  requirePermission(tenant, 'agents:execute');
  for (const permission of KIND_PERMISSIONS[input.kind] ?? [])
    requirePermission(tenant, permission);
  if (tenant.customerId !== null) {
    await enforceQuota({
      db,
      orgId: tenant.orgId,
      customerId: tenant.customerId,
      metric: 'agent_tokens',
    });
  }
  // The agent sees the run's interactivity in its input too (the Connector Agent's contract).
  const given = { ...input.input, interactive: input.interactive ?? false };
  const { stored, hasSecrets } = storedInput(given);
  const run = await db.tenant(tenant, async (sql) => {
    const created = await agentRunsRepo.insert(sql, {
      orgId: tenant.orgId,
      kind: input.kind,
      input: stored,
      provider: input.provider ?? null,
      model: input.model ?? null,
      interactive: input.interactive ?? false,
      actor: tenant.actor,
      customerId: tenant.customerId,
      mode: tenant.mode,
      permissions: [...tenant.permissions],
    });
    if (hasSecrets) {
      await agentRunsRepo.setInputSealed(sql, {
        id: created.id,
        sealed: sealInput({ keyring, orgId: tenant.orgId, runId: created.id, input: given }),
      });
    }
    await recordAudit(sql, {
      tenant,
      action: 'agent_run.start',
      resourceType: 'agent_run',
      resourceId: created.id,
      details: { kind: created.kind, interactive: created.interactive },
    });
    return created;
  });
  await queue?.enqueue({ orgId: tenant.orgId, runId: run.id });
  return { runId: run.id, status: run.status };
}

export async function getAgentRun({
  db,
  tenant,
  id,
}: {
  db: Database;
  tenant: Tenant;
  id: string;
}): Promise<AgentRunDetail> {
  requirePermission(tenant, 'agents:read');
  const detail = await db.tenant(tenant, async (sql) => {
    const run = await agentRunsRepo.findById(sql, { id });
    if (!run) return null;
    const steps = await agentRunsRepo.listSteps(sql, { runId: id });
    const spans = await agentRunsRepo.listSpans(sql, { runId: id, limit: MAX_SPANS });
    return { ...run, steps, spans };
  });
  if (!detail) throw notFound(id);
  return shown(detail);
}

export async function listAgentRuns({
  db,
  tenant,
  query,
}: {
  db: Database;
  tenant: Tenant;
  query: ListAgentRunsQuery;
}): Promise<{ data: AgentRun[]; nextCursor: string | null }> {
  requirePermission(tenant, 'agents:read');
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
  const rows = await db.tenant(tenant, (sql) =>
    agentRunsRepo.list(sql, {
      limit: query.limit + 1,
      after,
      status: query.status ?? null,
      kind: query.kind ?? null,
    }),
  );
  const data = rows.slice(0, query.limit).map(shown);
  const last = data.at(-1);
  return { data, nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null };
}

/** Why a run cannot take a decision or be cancelled: it does not exist, or is not in that state. */
async function refusal(
  db: Database,
  tenant: Tenant,
  id: string,
  wanted: string,
): Promise<AppError> {
  const run = await db.tenant(tenant, (sql) => agentRunsRepo.findById(sql, { id }));
  if (!run) return notFound(id);
  return new AppError('conflict', `agent run ${id} is ${run.status}; ${wanted}`, {
    status: run.status,
  });
}

/** Approve (or revise, with a note) the handback a waiting run paused at; the run goes on. */
export async function decideAgentRun({
  db,
  tenant,
  queue,
  id,
  decision,
}: {
  db: Database;
  tenant: Tenant;
  queue: AgentRunQueue | null;
  id: string;
  decision: { decision: 'approve' } | { decision: 'revise'; note: string };
}): Promise<AgentRun> {
  requirePermission(tenant, 'agents:execute');
  const run = await db.tenant(tenant, async (sql) => {
    const decided = await agentRunsRepo.decide(sql, { id, decision });
    if (decided) {
      await recordAudit(sql, {
        tenant,
        action: `agent_run.${decision.decision}`,
        resourceType: 'agent_run',
        resourceId: id,
        details: { stage: decided.decisions.at(-1)?.stage ?? null },
      });
    }
    return decided;
  });
  if (!run) throw await refusal(db, tenant, id, 'only a waiting run can be approved or revised');
  await queue?.enqueue({ orgId: tenant.orgId, runId: id });
  return shown(run);
}

/**
 * Cancels a run: a queued or waiting one at once, a running one at its next step (its agent
 * checks between steps; nothing after that is written).
 */
export async function cancelAgentRun({
  db,
  tenant,
  id,
}: {
  db: Database;
  tenant: Tenant;
  id: string;
}): Promise<AgentRun> {
  requirePermission(tenant, 'agents:execute');
  const run = await db.tenant(tenant, async (sql) => {
    const cancelled = await agentRunsRepo.requestCancel(sql, { id });
    if (cancelled) {
      await recordAudit(sql, {
        tenant,
        action: 'agent_run.cancel',
        resourceType: 'agent_run',
        resourceId: id,
        details: { status: cancelled.status },
      });
    }
    return cancelled;
  });
  if (!run) throw await refusal(db, tenant, id, 'it has already ended');
  return shown(run);
}
