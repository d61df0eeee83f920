/**
 * Connections themselves: creating (with the first token for grants that need no user),
 * reading, listing and deleting them, opening one credential field for an internal check,
 * testing one with a real call, and the platform events they emit. Calls through a connection
 * live in actions.service.ts, the OAuth flow in oauth.service.ts, token renewal in tokens.ts.
 */
import { randomUUID } from 'node:crypto';
import * as connectionsRepo from '../../db/repositories/connections.repo.ts';
import * as connectorsRepo from '../../db/repositories/connectors.repo.ts';
import * as customersRepo from '../../db/repositories/customers.repo.ts';
import type { Connection, CreateConnection } from '../../domain/connection.ts';
import { credentialFieldsOf, type Connector } from '../../domain/connector.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requireConnector } from '../connectors/connectors.service.ts';
import { proxyRequest, runAction } from './actions.service.ts';
import { openCredentials, sealCredentials } from './credentials.ts';
import { load, requireRecord, spanRecorder, toConnection, usable } from './records.ts';
import type { ConnectionRuntime } from './runtime.ts';
import { findMethod, oauthClientOf, openRecord, renewToken, revokeTokens } from './tokens.ts';

// ---------------------------------------------------------------------------------------------
// Connections

export async function createConnection({
  runtime,
  tenant,
  input,
  obtainToken = true,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  input: CreateConnection;
  /** False for a dry run: grants that need no user are not asked for a token. */
  obtainToken?: boolean;
}): Promise<Connection> {
  requirePermission(tenant, 'connections:create');
  const id = randomUUID();
  const { record, connector, method } = await runtime.db.tenant(tenant, async (sql) => {
    const connector = await requireConnector(sql, input.connector);
    if (
      input.customerId !== null &&
      !(await customersRepo.findById(sql, { id: input.customerId }))
    ) {
      throw new AppError('not_found', `no customer ${input.customerId}`);
    }
    const firstMethod = connector.authMethods[0];
    const method =
      input.authMethod === undefined ? firstMethod : findMethod(connector, input.authMethod);
    if (method === undefined)
      throw new AppError(
        'bad_request',
        `connector '${connector.slug}' declares no auth method; add one first`,
      );
    const fields = credentialFieldsOf(method);
    const allowed = new Set(fields.map((f) => f.name));
    const unknown = Object.keys(input.credentials).filter((name) => !allowed.has(name));
    if (unknown.length > 0) {
      throw new AppError(
        'validation_failed',
        `auth method '${method.key}' (${method.type}) takes no credential ${unknown.map((n) => `'${n}'`).join(', ')}; it takes: ${[...allowed].join(', ') || 'none'}`,
      );
    }
    const missing = fields
      .filter((f) => f.required && input.credentials[f.name] === undefined)
      .map((f) => f.name);
    if (missing.length > 0) {
      throw new AppError(
        'validation_failed',
        `auth method '${method.key}' (${method.type}) needs the credential${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
        { missing },
      );
    }
    const needsAuthorization =
      method.type === 'oauth2' || (method.type === 'custom' && method.tokenExchange !== undefined);
    const name = input.name ?? `${connector.name}${input.customerId ? '' : ' (test)'}`;
    await connectionsRepo.insert(sql, {
      id,
      orgId: tenant.orgId,
      connectorId: connector.id,
      customerId: input.customerId,
      name,
      authMethod: method.key,
      status: needsAuthorization ? 'pending' : 'active',
      credentials: sealCredentials({
        keyring: runtime.keyring,
        orgId: tenant.orgId,
        connectionId: id,
        values: input.credentials,
      }),
      config: input.config,
    });
    await recordAudit(sql, {
      tenant,
      action: 'connection.create',
      resourceType: 'connection',
      resourceId: id,
      customerId: input.customerId,
      details: {
        connector: connector.slug,
        authMethod: method.key,
        fields: Object.keys(input.credentials),
      },
    });
    return { record: await requireRecord(sql, id), connector, method };
  });
  // Grants that need no user get their first token now, so the connection is usable at once.
  const immediate =
    (method.type === 'oauth2' && method.grant === 'client_credentials') ||
    (method.type === 'custom' && method.tokenExchange !== undefined);
  if (immediate && obtainToken) {
    try {
      await renewToken({ runtime, tenant, connectionId: id, rejectedToken: null });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.code !== 'connection_expired') {
        await runtime.db.tenant(tenant, (sql) =>
          connectionsRepo.setStatus(sql, { id, status: 'error', reason: error.message }),
        );
      }
    }
    return getConnection({ runtime, tenant, id });
  }
  return toConnection(runtime, record, connector);
}

export async function getConnection({
  runtime,
  tenant,
  id,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  id: string;
}): Promise<Connection> {
  requirePermission(tenant, 'connections:read');
  const { record, connector } = await load(runtime, tenant, id);
  return toConnection(runtime, record, connector);
}

/**
 * One credential value of a connection, in plaintext, for a check made inside Weft (the signing
 * secret of an inbound event). Only the named field is opened. Null when the connection has no
 * such field. Never return the value to a client, log it, or store it anywhere else.
 */
export async function readCredentialField({
  runtime,
  tenant,
  connectionId,
  field,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connectionId: string;
  field: string;
}): Promise<string | null> {
  requirePermission(tenant, 'connections:read');
  const { record } = await load(runtime, tenant, connectionId);
  const sealed = Object.hasOwn(record.credentials, field) ? record.credentials[field] : undefined;
  if (sealed === undefined) return null;
  const opened = openCredentials({
    keyring: runtime.keyring,
    orgId: record.orgId,
    connectionId: record.id,
    sealed: { [field]: sealed },
  });
  return opened[field] ?? null;
}

export async function listConnections({
  runtime,
  tenant,
  customerId,
  connector,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  customerId: string | undefined;
  connector: string | undefined;
}): Promise<Connection[]> {
  requirePermission(tenant, 'connections:read');
  return runtime.db.tenant(tenant, async (sql) => {
    const found = connector === undefined ? undefined : await requireConnector(sql, connector);
    const records = await connectionsRepo.list(sql, { customerId, connectorId: found?.id });
    const connectors = new Map<string, Connector>();
    for (const r of records) {
      if (!connectors.has(r.connectorId))
        connectors.set(r.connectorId, await requireConnector(sql, r.connectorId));
    }
    return records.map((r) => toConnection(runtime, r, connectors.get(r.connectorId) ?? null));
  });
}

/** What deleting a connection did at the provider: null when there was nothing to revoke. */
export type Revocation = { revoked: boolean; problem?: string } | null;

/**
 * Deletes a connection and its stored credentials. An OAuth connection whose method names a
 * revocation endpoint has its tokens revoked there first (skipped with `revoke: false`, as a dry
 * run does); a provider that refuses or cannot be reached does not keep the connection, and what
 * happened is answered and kept in the audit entry.
 */
export async function deleteConnection({
  runtime,
  tenant,
  id,
  revoke = true,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  id: string;
  revoke?: boolean;
}): Promise<{ revocation: Revocation }> {
  requirePermission(tenant, 'connections:delete');
  let revocation: Revocation = null;
  if (revoke) {
    const found = await runtime.db.tenant(tenant, async (sql) => {
      const record = await requireRecord(sql, id);
      const connector = await requireConnector(sql, record.connectorId);
      const method = connector.authMethods.find((m) => m.key === record.authMethod);
      if (method?.type !== 'oauth2' || method.revocationUrl === undefined) return null;
      const app = await connectionsRepo.findOAuthApp(sql, { connectorId: connector.id });
      return app === null ? null : { record, method, app };
    });
    if (found !== null) {
      revocation = await revokeTokens({
        runtime,
        method: found.method,
        client: oauthClientOf({
          runtime,
          orgId: tenant.orgId,
          method: found.method,
          app: found.app,
        }),
        credentials: openRecord(runtime, found.record),
        trace: spanRecorder(runtime, found.record),
      });
    }
  }
  await runtime.db.tenant(tenant, async (sql) => {
    const record = await requireRecord(sql, id);
    await connectionsRepo.remove(sql, { id });
    await recordAudit(sql, {
      tenant,
      action: 'connection.delete',
      resourceType: 'connection',
      resourceId: id,
      customerId: record.customerId,
      details: {
        connector: record.connectorSlug,
        ...(revocation !== null && {
          tokensRevoked: revocation.revoked,
          ...(revocation.problem !== undefined && { revocationProblem: revocation.problem }),
        }),
      },
    });
  });
  return { revocation };
}
/**
 * Checks that a connection works: tokens are obtained or renewed if needed, then the first GET
 * action that needs no input is called (or the base URL when there is none).
 */
export async function testConnection({
  runtime,
  tenant,
  connectionId,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connectionId: string;
}): Promise<{
  ok: boolean;
  status: number | null;
  message: string;
  durationMs: number;
  traceId: string | null;
  /** Where the credential went (`header Authorization, prefix "Bearer "`), on a 401/403. */
  placement?: string;
  /** The start of the API's answer on a 401/403, secrets scrubbed. */
  bodyExcerpt?: string;
  nextSteps?: string[];
}> {
  requirePermission(tenant, 'connections:read');
  const started = performance.now();
  const { record, connector } = await load(runtime, tenant, connectionId);
  const elapsed = () => Math.round(performance.now() - started);
  try {
    usable(record);
    const actions = await runtime.db.tenant(tenant, (sql) =>
      connectorsRepo.listActions(sql, { connectorId: connector.id }),
    );
    const probe = actions.find(
      (a) => a.method === 'GET' && !a.deprecated && !a.parameters.some((p) => p.required),
    );
    const result = probe
      ? await runAction({
          runtime,
          tenant,
          connectionId,
          action: probe.slug,
          input: {},
          allPages: false,
          maxItems: 1,
        })
      : await proxyRequest({
          runtime,
          tenant,
          connectionId,
          request: { method: 'GET', path: '/', bodyType: 'json' },
        });
    return {
      ok: result.ok,
      status: result.status,
      message: result.ok
        ? `${probe ? `action ${probe.slug}` : 'GET /'} answered ${result.status}`
        : `the API answered ${result.status}`,
      durationMs: elapsed(),
      traceId: result.traceId,
    };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    const details = error.details ?? {};
    if (error.code === 'credentials_rejected') {
      const traceId = typeof details['traceId'] === 'string' ? details['traceId'] : null;
      const placement = typeof details['placement'] === 'string' ? details['placement'] : '';
      return {
        ok: false,
        status: typeof details['status'] === 'number' ? details['status'] : null,
        message: error.message,
        durationMs: elapsed(),
        traceId,
        placement,
        bodyExcerpt: typeof details['bodyExcerpt'] === 'string' ? details['bodyExcerpt'] : '',
        nextSteps: [
          `Check where the API wants the credential: it was sent as ${placement}. If the docs say another header, query parameter or scheme word (Token, Bearer…), change the auth method with update_connector.`,
          ...(traceId !== null
            ? [`get_trace { traceId: "${traceId}" } shows the headers sent, secrets masked.`]
            : []),
          'If the placement is right, the credential is wrong or lacks access: update the connection with a valid one.',
        ],
      };
    }
    return {
      ok: false,
      status: null,
      message: error.message,
      durationMs: elapsed(),
      traceId: null,
    };
  }
}
// ---------------------------------------------------------------------------------------------
// Platform events

export async function listPlatformEvents({
  runtime,
  tenant,
  limit,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  limit: number;
}) {
  requirePermission(tenant, 'connections:read');
  return runtime.db.tenant(tenant, (sql) => connectionsRepo.listPlatformEvents(sql, { limit }));
}
