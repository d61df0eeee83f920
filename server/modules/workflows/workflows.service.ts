import {
  isUniqueViolation,
  isUuid,
  type Database,
  type Sql,
  type TxSql,
} from '../../db/database.ts';
import * as workflowsRepo from '../../db/repositories/workflows.repo.ts';
import {
  requireEnvironmentAllowed,
  requirePermission,
  type Permission,
  type Tenant,
} from '../../domain/tenant.ts';
import {
  DEFAULT_RETRY,
  TIER_TIMEOUTS,
  type CreateWorkflow,
  type Environment,
  type RetryPatch,
  type RetryPolicy,
  type Tier,
  type UpdateWorkflow,
  type Workflow,
  type WorkflowVersion,
} from '../../domain/workflow.ts';
import { AppError } from '../../errors.ts';
import { compileWorkflow } from '../../runtime/sandbox/compile.ts';
import { assertWorkflowTypes } from '../../runtime/sandbox/type-check.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requireEnvironment } from '../environments/environments.service.ts';
import { decodeCursor, pageOfItems } from '../pagination.ts';

/** Channel on which deployments and settings changes invalidate cached runnables everywhere. */
export const WORKFLOWS_CHANNEL = 'weft_workflows';

function slugFromName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return /^[a-z]/.test(slug) ? slug : `wf-${slug}`.slice(0, 64);
}

/** Checks a timeout against the tier's range; the tier default when none is given. */
export function timeoutFor({
  tier,
  timeoutMs,
}: {
  tier: Tier;
  timeoutMs?: number | undefined;
}): number {
  const range = TIER_TIMEOUTS[tier];
  const value = timeoutMs ?? range.default;
  if (value < range.min || value > range.max) {
    throw new AppError(
      'validation_failed',
      `timeoutMs ${value} is outside the ${tier} tier's range of ${range.min}–${range.max} ms`,
      { field: 'timeoutMs', min: range.min, max: range.max },
    );
  }
  return value;
}

function retryFrom(base: RetryPolicy, patch: RetryPatch | undefined): RetryPolicy {
  const retry = { ...base };
  for (const [key, value] of Object.entries(patch ?? {})) {
    if (value !== undefined) Object.assign(retry, { [key]: value });
  }
  if (retry.maxIntervalMs < retry.initialIntervalMs) {
    throw new AppError(
      'validation_failed',
      'retry.maxIntervalMs must be at least retry.initialIntervalMs',
      { field: 'retry.maxIntervalMs' },
    );
  }
  return retry;
}

function notFound(ref: string): AppError {
  return new AppError('not_found', `no workflow '${ref}'; list workflows to see the ids and slugs`);
}

/** Resolves a workflow by id or slug inside an open transaction. */
export async function requireWorkflow(sql: Sql, ref: string): Promise<Workflow> {
  const found = await workflowsRepo.find(sql, { ref, byId: isUuid(ref) });
  if (!found) throw notFound(ref);
  return found;
}

function changed(sql: TxSql, workflowId: string): Promise<void> {
  return sql.notify(WORKFLOWS_CHANNEL, workflowId);
}

export async function createWorkflow({
  db,
  tenant,
  input,
}: {
  db: Database;
  tenant: Tenant;
  input: CreateWorkflow;
}): Promise<Workflow> {
  requirePermission(tenant, 'workflows:create');
  const slug = input.slug ?? slugFromName(input.name);
  const timeoutMs = timeoutFor({ tier: input.tier, timeoutMs: input.timeoutMs });
  const retry = retryFrom(DEFAULT_RETRY, input.retry);
  try {
    return await db.tenant(tenant, async (sql) => {
      const workflow = await workflowsRepo.insert(sql, {
        orgId: tenant.orgId,
        slug,
        name: input.name,
        description: input.description ?? '',
        tier: input.tier,
        timeoutMs,
        retry,
        status: input.status ?? 'active',
        language: input.language,
        source: input.source,
      });
      await recordAudit(sql, {
        tenant,
        action: 'workflow.create',
        resourceType: 'workflow',
        resourceId: workflow.id,
        details: { slug, tier: input.tier },
      });
      return workflow;
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new AppError('conflict', `a workflow with slug '${slug}' already exists`, {
        field: 'slug',
      });
    }
    throw error;
  }
}

export async function getWorkflow({
  db,
  tenant,
  ref,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
}): Promise<Workflow> {
  requirePermission(tenant, 'workflows:read');
  return db.tenant(tenant, (sql) => requireWorkflow(sql, ref));
}

export async function listWorkflows({
  db,
  tenant,
  query,
}: {
  db: Database;
  tenant: Tenant;
  query: { limit: number; cursor?: string | undefined };
}): Promise<{ data: Workflow[]; nextCursor: string | null }> {
  requirePermission(tenant, 'workflows:read');
  const after = query.cursor ? decodeCursor(query.cursor) : null;
  const items = await db.tenant(tenant, (sql) =>
    workflowsRepo.list(sql, { limit: query.limit, after }),
  );
  return pageOfItems({ items, limit: query.limit, keyOf: (w) => w });
}

export async function updateWorkflow({
  db,
  tenant,
  ref,
  input,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
  input: UpdateWorkflow;
}): Promise<Workflow> {
  requirePermission(tenant, 'workflows:update');
  return db.tenant(tenant, async (sql) => {
    const current = await requireWorkflow(sql, ref);
    const tier = input.tier ?? current.tier;
    // A tier change without a timeout moves to the new tier's default if the old one is out of range.
    let timeoutMs = input.timeoutMs;
    if (timeoutMs === undefined && input.tier !== undefined) {
      const range = TIER_TIMEOUTS[tier];
      timeoutMs =
        current.timeoutMs >= range.min && current.timeoutMs <= range.max
          ? current.timeoutMs
          : range.default;
    }
    const updated = await workflowsRepo.update(sql, {
      id: current.id,
      patch: {
        ...(input.name === undefined ? {} : { name: input.name }),
        ...(input.description === undefined ? {} : { description: input.description }),
        ...(input.tier === undefined ? {} : { tier: input.tier }),
        ...(timeoutMs === undefined ? {} : { timeoutMs: timeoutFor({ tier, timeoutMs }) }),
        ...(input.retry === undefined ? {} : { retry: retryFrom(current.retry, input.retry) }),
        ...(input.status === undefined ? {} : { status: input.status }),
        ...(input.language === undefined ? {} : { language: input.language }),
        ...(input.source === undefined ? {} : { source: input.source }),
      },
    });
    await recordAudit(sql, {
      tenant,
      action: 'workflow.update',
      resourceType: 'workflow',
      resourceId: current.id,
      details: { fields: Object.keys(input) },
    });
    await changed(sql, current.id);
    return updated as Workflow;
  });
}

export async function deleteWorkflow({
  db,
  tenant,
  ref,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
}): Promise<void> {
  requirePermission(tenant, 'workflows:delete');
  await db.tenant(tenant, async (sql) => {
    const current = await requireWorkflow(sql, ref);
    await workflowsRepo.remove(sql, { id: current.id });
    await recordAudit(sql, {
      tenant,
      action: 'workflow.delete',
      resourceType: 'workflow',
      resourceId: current.id,
      details: { slug: current.slug },
    });
    await changed(sql, current.id);
  });
}

/**
 * Deploying to production takes `workflows:deploy_prod`; to development or staging,
 * `workflows:deploy_test`. The deploy route and tool declare `deploy_test` (the least any deploy
 * needs) and this check adds `deploy_prod` for production.
 */
export function deployPermission(environment: Environment): Permission {
  return environment === 'production' ? 'workflows:deploy_prod' : 'workflows:deploy_test';
}

/** Compiles the draft into the next immutable version, and optionally deploys it. */
export async function publishWorkflow({
  db,
  tenant,
  ref,
  note,
  deployTo = [],
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
  note?: string | undefined;
  deployTo?: readonly Environment[] | undefined;
}): Promise<{ version: WorkflowVersion; workflow: Workflow }> {
  requirePermission(tenant, 'workflows:update');
  for (const environment of deployTo) requirePermission(tenant, deployPermission(environment));
  const draft = await db.tenant(tenant, (sql) => requireWorkflow(sql, ref));
  for (const environment of deployTo) requireEnvironmentAllowed(tenant, environment);
  // Compiled outside the transaction: esbuild and the export check take milliseconds.
  const filename = `${draft.slug}.${draft.language === 'typescript' ? 'ts' : 'js'}`;
  const compiled = await compileWorkflow({ source: draft.draftSource, filename });
  // After the compile (syntax errors come from esbuild), before anything is stored or run.
  await assertWorkflowTypes({ source: draft.draftSource, filename });
  return db.tenant(tenant, async (sql) => {
    const current = await requireWorkflow(sql, draft.id);
    if (current.draftSource !== draft.draftSource) {
      throw new AppError(
        'conflict',
        'the draft changed while it was being published; publish again',
      );
    }
    const version = await workflowsRepo.insertVersion(sql, {
      orgId: tenant.orgId,
      workflow: current,
      compiled: compiled.code,
      note: note ?? null,
    });
    for (const environment of deployTo) {
      await requireEnvironment(sql, environment);
      await workflowsRepo.deploy(sql, {
        orgId: tenant.orgId,
        workflowId: current.id,
        environment,
        versionId: version.id,
      });
    }
    await recordAudit(sql, {
      tenant,
      action: 'workflow.publish',
      resourceType: 'workflow',
      resourceId: current.id,
      details: { version: version.version, deployTo },
    });
    if (deployTo.length > 0) await changed(sql, current.id);
    return { version, workflow: await requireWorkflow(sql, current.id) };
  });
}

/** Points an environment at a published version; an older version is a rollback. */
export async function deployWorkflow({
  db,
  tenant,
  ref,
  environment,
  version,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
  environment: Environment;
  version: number;
}): Promise<Workflow> {
  requirePermission(tenant, deployPermission(environment));
  return db.tenant(tenant, async (sql) => {
    const current = await requireWorkflow(sql, ref);
    requireEnvironmentAllowed(tenant, environment);
    await requireEnvironment(sql, environment);
    const found = await workflowsRepo.findVersion(sql, { workflowId: current.id, version });
    if (!found) {
      throw new AppError(
        'not_found',
        current.latestVersion === 0
          ? `workflow '${current.slug}' has no published version yet; publish it first`
          : `workflow '${current.slug}' has no version ${version} (latest is v${current.latestVersion})`,
      );
    }
    const previous = current.deployments[environment]?.version ?? null;
    await workflowsRepo.deploy(sql, {
      orgId: tenant.orgId,
      workflowId: current.id,
      environment,
      versionId: found.id,
    });
    await recordAudit(sql, {
      tenant,
      action: 'workflow.deploy',
      resourceType: 'workflow',
      resourceId: current.id,
      details: { environment, version, previous },
    });
    await changed(sql, current.id);
    return requireWorkflow(sql, current.id);
  });
}

export async function listVersions({
  db,
  tenant,
  ref,
}: {
  db: Database;
  tenant: Tenant;
  ref: string;
}): Promise<WorkflowVersion[]> {
  requirePermission(tenant, 'workflows:read');
  return db.tenant(tenant, async (sql) => {
    const current = await requireWorkflow(sql, ref);
    return workflowsRepo.listVersions(sql, { workflowId: current.id });
  });
}
