// Roles: the six system roles (a table in code, server/domain/tenant.ts) and an org's custom
// roles (stored). A role is a set of permissions; nobody can create, change or hand out a role
// with a permission they do not hold themselves, so people:write cannot be turned into more.
import type { Database, Sql } from '../../db/database.ts';
import * as rolesRepo from '../../db/repositories/roles.repo.ts';
import type { CreateRole, RoleDefinition, UpdateRole } from '../../domain/people.ts';
import {
  PERMISSIONS,
  ROLE_PERMISSIONS,
  ROLES,
  isSystemRole,
  requirePermission,
  type Permission,
  type Tenant,
} from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { announceAuthChange } from '../auth/auth-cache.ts';

const SYSTEM_NAMES: Record<(typeof ROLES)[number], [string, string]> = {
  owner: ['Owner', 'Everything, and the one who may transfer ownership'],
  admin: ['Admin', 'Everything: the org, its people and settings'],
  developer: ['Developer', 'Builds connectors, workflows, agents and tools; no people or settings'],
  operator: ['Operator', 'Runs and deploys what developers built; manages customers'],
  viewer: ['Viewer', 'Reads everything, changes nothing'],
  end_user: ['End user', "A customer's user in the connect widget: their own connections"],
};

/** Only known permission names, in the catalog's order (a stored list may hold retired ones). */
export function knownPermissions(names: readonly string[]): Permission[] {
  return PERMISSIONS.filter((p) => names.includes(p));
}

/** What a role allows: a system role's table entry, a custom role's stored list, or nothing. */
export function permissionsOfRole(
  role: string | null,
  customPermissions: readonly string[] | null,
): Permission[] {
  if (role === null) return [];
  if (isSystemRole(role)) return [...ROLE_PERMISSIONS[role]];
  return knownPermissions(customPermissions ?? []);
}

export async function resolveRole(sql: Sql, role: string): Promise<Permission[]> {
  if (isSystemRole(role)) return [...ROLE_PERMISSIONS[role]];
  const found = await rolesRepo.find(sql, { slug: role });
  if (!found)
    throw new AppError('not_found', `no role ${role}; list roles to see those that exist`);
  return knownPermissions(found.permissions);
}

/** Refuses to hand out what the caller does not hold. */
export function requireGrantable(tenant: Tenant, permissions: readonly Permission[]): void {
  const missing = permissions.filter((p) => !tenant.permissions.has(p));
  if (missing.length > 0) {
    throw new AppError(
      'forbidden',
      `you cannot grant permissions you do not hold: ${missing.join(', ')}`,
      { permission: missing[0], missing },
    );
  }
}

export async function listRoles({
  db,
  tenant,
}: {
  db: Database;
  tenant: Tenant;
}): Promise<RoleDefinition[]> {
  requirePermission(tenant, 'people:read');
  return db.tenant(tenant, async (sql) => {
    const holders = await rolesRepo.holders(sql);
    const system = ROLES.map((slug) => ({
      slug,
      name: SYSTEM_NAMES[slug][0],
      description: SYSTEM_NAMES[slug][1],
      system: true,
      permissions: [...ROLE_PERMISSIONS[slug]],
      people: holders.get(slug) ?? 0,
    }));
    const custom = (await rolesRepo.list(sql)).map((r) => ({
      slug: r.slug,
      name: r.name,
      description: r.description,
      system: false,
      permissions: knownPermissions(r.permissions),
      people: holders.get(r.slug) ?? 0,
    }));
    return [...system, ...custom];
  });
}

async function findRole(sql: Sql, slug: string): Promise<RoleDefinition> {
  const holders = await rolesRepo.holders(sql);
  if (isSystemRole(slug)) {
    return {
      slug,
      name: SYSTEM_NAMES[slug][0],
      description: SYSTEM_NAMES[slug][1],
      system: true,
      permissions: [...ROLE_PERMISSIONS[slug]],
      people: holders.get(slug) ?? 0,
    };
  }
  const found = await rolesRepo.find(sql, { slug });
  if (!found)
    throw new AppError('not_found', `no role ${slug}; list roles to see those that exist`);
  return {
    slug: found.slug,
    name: found.name,
    description: found.description,
    system: false,
    permissions: knownPermissions(found.permissions),
    people: holders.get(slug) ?? 0,
  };
}

export async function createRole({
  db,
  tenant,
  input,
}: {
  db: Database;
  tenant: Tenant;
  input: CreateRole;
}): Promise<RoleDefinition> {
  requirePermission(tenant, 'people:write');
  if (isSystemRole(input.slug) || input.slug === 'member') {
    throw new AppError('conflict', `${input.slug} is a system role; choose another slug`);
  }
  const permissions = knownPermissions(input.permissions);
  requireGrantable(tenant, permissions);
  return db.tenant(tenant, async (sql) => {
    const created = await rolesRepo.insert(sql, {
      orgId: tenant.orgId,
      slug: input.slug,
      name: input.name,
      description: input.description,
      permissions,
    });
    if (!created) throw new AppError('conflict', `a role ${input.slug} already exists`);
    await recordAudit(sql, {
      tenant,
      action: 'role.create',
      resourceType: 'role',
      resourceId: input.slug,
      details: { permissions },
    });
    return findRole(sql, input.slug);
  });
}

export async function duplicateRole({
  db,
  tenant,
  from,
  slug,
  name,
}: {
  db: Database;
  tenant: Tenant;
  from: string;
  slug: string;
  name: string;
}): Promise<RoleDefinition> {
  requirePermission(tenant, 'people:write');
  const source = await db.tenant(tenant, (sql) => findRole(sql, from));
  return createRole({
    db,
    tenant,
    input: {
      slug,
      name,
      description: `Based on ${source.name}`,
      permissions: source.permissions,
    },
  });
}

export async function updateRole({
  db,
  tenant,
  slug,
  input,
}: {
  db: Database;
  tenant: Tenant;
  slug: string;
  input: UpdateRole;
}): Promise<RoleDefinition> {
  requirePermission(tenant, 'people:write');
  if (isSystemRole(slug)) {
    throw new AppError(
      'conflict',
      `${slug} is a system role and cannot be changed; duplicate it as a custom role`,
    );
  }
  const permissions = input.permissions && knownPermissions(input.permissions);
  if (permissions) requireGrantable(tenant, permissions);
  return db.tenant(tenant, async (sql) => {
    const updated = await rolesRepo.update(sql, {
      slug,
      ...(input.name !== undefined && { name: input.name }),
      ...(input.description !== undefined && { description: input.description }),
      ...(permissions && { permissions }),
    });
    if (!updated) throw new AppError('not_found', `no role ${slug}`);
    // Everyone holding it acts with the new list from their next request.
    await announceAuthChange(sql, { orgId: tenant.orgId });
    await recordAudit(sql, {
      tenant,
      action: 'role.update',
      resourceType: 'role',
      resourceId: slug,
      details: { ...input },
    });
    return findRole(sql, slug);
  });
}

export async function deleteRole({
  db,
  tenant,
  slug,
}: {
  db: Database;
  tenant: Tenant;
  slug: string;
}): Promise<void> {
  requirePermission(tenant, 'people:write');
  if (isSystemRole(slug)) {
    throw new AppError('conflict', `${slug} is a system role and cannot be deleted`);
  }
  await db.tenant(tenant, async (sql) => {
    const holders = (await rolesRepo.holders(sql)).get(slug) ?? 0;
    if (holders > 0) {
      throw new AppError(
        'conflict',
        `${holders} ${holders === 1 ? 'person holds' : 'people hold'} the role ${slug}; give them another role first`,
      );
    }
    if (!(await rolesRepo.remove(sql, { slug })))
      throw new AppError('not_found', `no role ${slug}`);
    await recordAudit(sql, {
      tenant,
      action: 'role.delete',
      resourceType: 'role',
      resourceId: slug,
    });
  });
}
