import { AppError } from '../errors.ts';

/** The six roles every organization has; an org adds its own (custom roles, stored). */
export const ROLES = ['owner', 'admin', 'developer', 'operator', 'viewer', 'end_user'] as const;
export type SystemRole = (typeof ROLES)[number];
/** A system role, or the slug of one of the org's custom roles. */
export type Role = string;

export function isSystemRole(role: string): role is SystemRole {
  return (ROLES as readonly string[]).includes(role);
}

export const PERMISSIONS = [
  // The five resource categories.
  'connectors:create',
  'connectors:read',
  'connectors:update',
  'connectors:delete',
  'connectors:execute',
  'connectors:share',
  'connections:create',
  'connections:read',
  'connections:update',
  'connections:delete',
  'connections:execute',
  'connections:share',
  'workflows:create',
  'workflows:read',
  'workflows:update',
  'workflows:delete',
  'workflows:execute',
  'workflows:deploy_test',
  'workflows:deploy_prod',
  'agents:create',
  'agents:read',
  'agents:update',
  'agents:delete',
  'agents:execute',
  'tools:create',
  'tools:read',
  'tools:update',
  'tools:delete',
  'tools:execute',
  // What the platform itself needs.
  'customers:read',
  'customers:write',
  'api_keys:read',
  'api_keys:write',
  'secrets:read',
  'secrets:write',
  'people:read',
  'people:write',
  'settings:read',
  'settings:write',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const CATEGORY_READ: readonly Permission[] = [
  'connectors:read',
  'connections:read',
  'workflows:read',
  'agents:read',
  'tools:read',
];
const CATEGORY_EXECUTE: readonly Permission[] = [
  'connectors:execute',
  'connections:execute',
  'workflows:execute',
  'agents:execute',
  'tools:execute',
];

/**
 * What each system role may do: the one table of it. Counts: owner 39, admin 39, developer 34,
 * operator 18, viewer 7, end_user 9 (server/http/permissions.test.ts asserts them).
 */
export const ROLE_PERMISSIONS: Record<SystemRole, readonly Permission[]> = {
  // Everything, plus what only the owner may do (transfer ownership), which no permission names.
  owner: PERMISSIONS,
  // Everything a permission names: runs the org, its people and its settings.
  admin: PERMISSIONS,
  // Builds: everything but people, settings and managing others' API keys (a developer still
  // creates and revokes their own keys: api_keys:read is enough for one's own, see api-keys.service).
  developer: PERMISSIONS.filter(
    (p) =>
      ![
        'people:read',
        'people:write',
        'settings:read',
        'settings:write',
        'api_keys:write',
      ].includes(p),
  ),
  // Runs what developers built: reads and executes everything, deploys workflows, connects
  // customers' accounts, manages customers; reads secrets and keys, changes neither.
  operator: [
    ...CATEGORY_READ,
    ...CATEGORY_EXECUTE,
    'workflows:deploy_test',
    'workflows:deploy_prod',
    'connections:create',
    'connections:update',
    'customers:read',
    'customers:write',
    'secrets:read',
    'api_keys:read',
  ],
  // Looks: reads every category, the customers and the settings (the audit log), changes nothing.
  viewer: [...CATEGORY_READ, 'customers:read', 'settings:read'],
  // A customer's end user in the connect widget: sees connectors and workflows, manages their own
  // connections, turns workflows on and off, sees the tools.
  end_user: [
    'connectors:read',
    'connections:create',
    'connections:read',
    'connections:update',
    'connections:delete',
    'connections:execute',
    'workflows:read',
    'workflows:update',
    'tools:read',
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
    throw new AppError('forbidden', `this caller lacks the permission ${permission}`, {
      permission,
    });
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
