import { isUuid, type Database } from '../../db/database.ts';
import * as executionsRepo from '../../db/repositories/executions.repo.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import type { Execution, ExecutionDetail, ListExecutionsQuery } from '../../domain/workflow.ts';
import { AppError } from '../../errors.ts';
import type { RunSummary, StartRun, WorkflowRunner } from '../../runtime/runner.ts';
import { decodeCursor, pageOfItems } from '../pagination.ts';
import { requireWorkflow } from './workflows.service.ts';

function notFound(id: string): AppError {
  return new AppError('not_found', `no execution ${id}`);
}

export async function listExecutions({
  db,
  tenant,
  query,
}: {
  db: Database;
  tenant: Tenant;
  query: ListExecutionsQuery;
}): Promise<{ data: Execution[]; nextCursor: string | null }> {
  requirePermission(tenant, 'workflows:read');
  const after = query.cursor ? decodeCursor(query.cursor) : null;
  const ref = query.workflowId;
  const items = await db.tenant(tenant, async (sql) =>
    executionsRepo.list(sql, {
      filters: {
        status: query.status,
        // A slug names a workflow here as everywhere else; an unknown one is an error with a
        // hint, not an empty page that reads as "no runs yet".
        workflowId: ref === undefined || isUuid(ref) ? ref : (await requireWorkflow(sql, ref)).id,
        tier: query.tier,
        customerId: query.customerId,
        environment: query.environment,
        from: query.from,
        to: query.to,
      },
      limit: query.limit,
      after,
    }),
  );
  return pageOfItems({ items, limit: query.limit, keyOf: (e) => e });
}

export async function getExecution({
  db,
  tenant,
  id,
}: {
  db: Database;
  tenant: Tenant;
  id: string;
}): Promise<ExecutionDetail> {
  requirePermission(tenant, 'workflows:read');
  const found = await db.tenant(tenant, (sql) => executionsRepo.get(sql, { id }));
  if (!found) throw notFound(id);
  return found;
}

/**
 * Runs a workflow on behalf of a caller (HTTP or a tool): the deployed version of an environment,
 * or a given version. The runner refuses production to test keys.
 */
export async function runWorkflow({
  runner,
  run,
}: {
  runner: WorkflowRunner;
  run: StartRun;
}): Promise<RunSummary> {
  requirePermission(run.tenant, 'workflows:execute');
  return runner.start(run);
}

/** Runs the execution's workflow version again, with its input, customer and environment. */
export async function rerunExecution({
  db,
  runner,
  tenant,
  id,
  headers,
}: {
  db: Database;
  runner: WorkflowRunner;
  tenant: Tenant;
  id: string;
  headers: Record<string, string>;
}): Promise<RunSummary> {
  requirePermission(tenant, 'workflows:execute');
  requirePermission(tenant, 'workflows:execute');
  const found = await db.tenant(tenant, (sql) => executionsRepo.get(sql, { id }));
  if (!found) throw notFound(id);
  const input = found.input as { truncated?: unknown } | null;
  if (input !== null && typeof input === 'object' && input.truncated === true) {
    throw new AppError(
      'conflict',
      'this execution stored only a preview of its input (it was too large); run the workflow again with the full input',
    );
  }
  return runner.start({
    tenant,
    ref: found.workflowId,
    environment: found.environment,
    version: found.version,
    ...(found.customerId === null ? {} : { customerId: found.customerId }),
    input: found.input,
    headers,
    triggeredBy: 'manual',
    trigger: { rerunOf: found.id },
    rerunOf: found.id,
  });
}
