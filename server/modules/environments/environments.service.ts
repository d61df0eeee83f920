import { isUniqueViolation, type Database, type Sql } from '../../db/database.ts';
import * as environmentsRepo from '../../db/repositories/environments.repo.ts';
import {
  BUILTIN_ENVIRONMENTS,
  type CreateEnvironment,
  type EnvironmentInfo,
} from '../../domain/environment.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../audit/audit.service.ts';

const isBuiltIn = (name: string): boolean =>
  (BUILTIN_ENVIRONMENTS as readonly string[]).includes(name);

/**
 * Refuses an environment the org does not have, inside the caller's transaction: deploys,
 * publishes with deployTo and trigger routes name one.
 */
export async function requireEnvironment(sql: Sql, name: string): Promise<void> {
  if (isBuiltIn(name) || (await environmentsRepo.exists(sql, { name }))) return;
  const custom = (await environmentsRepo.list(sql)).map((e) => e.name);
  throw new AppError(
    'not_found',
    `no environment '${name}'; this org has ${[...BUILTIN_ENVIRONMENTS, ...custom].join(', ')} (create_environment adds one)`,
    { environment: name },
  );
}

export async function listEnvironments({
  db,
  tenant,
}: {
  db: Database;
  tenant: Tenant;
}): Promise<EnvironmentInfo[]> {
  requirePermission(tenant, 'settings:read');
  return db.tenant(tenant, async (sql) => {
    const counts = await environmentsRepo.deploymentCounts(sql);
    const builtIn = BUILTIN_ENVIRONMENTS.map((name) => ({
      name,
      description: '',
      builtIn: true,
      deployments: counts.get(name) ?? 0,
      createdAt: null,
    }));
    const custom = (await environmentsRepo.list(sql)).map((e) => ({
      ...e,
      builtIn: false,
      deployments: counts.get(e.name) ?? 0,
    }));
    return [...builtIn, ...custom];
  });
}

export async function createEnvironment({
  db,
  tenant,
  input,
}: {
  db: Database;
  tenant: Tenant;
  input: CreateEnvironment;
}): Promise<EnvironmentInfo> {
  requirePermission(tenant, 'settings:write');
  try {
    return await db.tenant(tenant, async (sql) => {
      const created = await environmentsRepo.insert(sql, {
        orgId: tenant.orgId,
        name: input.name,
        description: input.description ?? '',
      });
      await recordAudit(sql, {
        tenant,
        action: 'environment.create',
        resourceType: 'environment',
        resourceId: created.name,
      });
      return { ...created, builtIn: false, deployments: 0 };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new AppError('conflict', `environment '${input.name}' exists already`);
    }
    throw error;
  }
}

/**
 * Deletes a custom environment and the deployments in it. Trigger routes that still point at it
 * keep their rows but find nothing deployed, as with an undeployed workflow; the answer says how
 * many there are.
 */
export async function deleteEnvironment({
  db,
  tenant,
  name,
}: {
  db: Database;
  tenant: Tenant;
  name: string;
}): Promise<{ undeployedWorkflows: string[]; triggerRoutes: number }> {
  requirePermission(tenant, 'settings:write');
  if (isBuiltIn(name)) {
    throw new AppError('conflict', `${name} is built in and cannot be deleted`);
  }
  return db.tenant(tenant, async (sql) => {
    if (!(await environmentsRepo.exists(sql, { name }))) {
      throw new AppError('not_found', `no environment '${name}'; list_environments shows them`);
    }
    const removed = await environmentsRepo.removeDeploymentsIn(sql, { name });
    await environmentsRepo.remove(sql, { name });
    await recordAudit(sql, {
      tenant,
      action: 'environment.delete',
      resourceType: 'environment',
      resourceId: name,
      details: { undeployedWorkflows: removed.workflowIds, triggerRoutes: removed.routes },
    });
    return { undeployedWorkflows: removed.workflowIds, triggerRoutes: removed.routes };
  });
}
