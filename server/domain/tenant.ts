import { AppError } from '../errors.ts';

export const ROLES = ['owner', 'admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'customers:read',
  'customers:write',
  'api_keys:read',
  'api_keys:write',
  'audit:read',
  'connectors:read',
  'connectors:write',
  'connections:read',
  'connections:write',
  'workflows:read',
  'workflows:write',
  'workflows:execute',
  'executions:read',
  'executions:write',
  'secrets:read',
  'secrets:write',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: PERMISSIONS,
  admin: PERMISSIONS,
  member: [
    'customers:read',
    'customers:write',
    'api_keys:read',
    'connectors:read',
    'connectors:write',
    'connections:read',
    'connections:write',
    'workflows:read',
    'workflows:write',
    'workflows:execute',
    'executions:read',
    'executions:write',
    'secrets:read',
  ],
  viewer: [
    'customers:read',
    'connectors:read',
    'connections:read',
    'workflows:read',
    'executions:read',
  ],
};

export type Mode = 'test' | 'live';

export interface Actor {
  readonly type: 'api_key' | 'user' | 'agent' | 'system' | 'cli';
  /** The API key id, user id, … that acted. */
  readonly id: string | null;
  readonly label: string | null;
  /** The user on whose behalf the actor works (owner of the key). */
  readonly userId: string | null;
}

/** Who is calling, for which org (and customer): passed explicitly to every service. */
export interface Tenant {
  readonly orgId: string;
  readonly customerId: string | null;
  readonly mode: Mode | null;
  readonly actor: Actor;
  readonly permissions: ReadonlySet<Permission>;
  readonly requestId: string | null;
}

export function requirePermission(tenant: Tenant, permission: Permission): void {
  if (!tenant.permissions.has(permission)) {
    throw new AppError('forbidden', `this key lacks the permission ${permission}`, { permission });
  }
}

/**
 * Test keys are for trying things out: they may deploy to and run in development and staging,
 * never production, so a leaked or shared test key cannot change what customers get. Live keys
 * (and the platform's own tenants, which have no mode) may target every environment.
 */
export function requireEnvironmentAllowed(tenant: Tenant, environment: string): void {
  if (tenant.mode === 'test' && environment === 'production') {
    throw new AppError(
      'forbidden',
      'test keys cannot deploy to or run in production; use a live key, or target development or staging',
      { rule: 'test_key_production', environment },
    );
  }
}

/** A full-permission tenant for the operator's CLI and first-start bootstrap. */
export function operatorTenant({
  orgId,
  userId,
  label,
}: {
  orgId: string;
  userId: string | null;
  label: string;
}): Tenant {
  return {
    orgId,
    customerId: null,
    mode: null,
    actor: { type: 'cli', id: null, label, userId },
    permissions: new Set(PERMISSIONS),
    requestId: null,
  };
}

/**
 * The tenant of work the platform does for an org on its own (a workflow run, a trigger), acting
 * as `system` with only the permissions that work needs.
 */
export function systemTenant({
  orgId,
  customerId = null,
  mode = null,
  actorId,
  label,
  permissions,
  requestId = null,
}: {
  orgId: string;
  customerId?: string | null;
  mode?: Mode | null;
  actorId: string | null;
  label: string;
  permissions: readonly Permission[];
  requestId?: string | null;
}): Tenant {
  return {
    orgId,
    customerId,
    mode,
    actor: { type: 'system', id: actorId, label, userId: null },
    permissions: new Set(permissions),
    requestId,
  };
}
