import { randomBytes, randomUUID } from 'node:crypto';
import { seal, open } from '../../crypto/envelope.ts';
import type { Sql } from '../../db/database.ts';
import * as connectionsRepo from '../../db/repositories/connections.repo.ts';
import type { ConnectionRecord } from '../../db/repositories/connections.repo.ts';
import * as connectorsRepo from '../../db/repositories/connectors.repo.ts';
import * as customersRepo from '../../db/repositories/customers.repo.ts';
import * as tracesRepo from '../../db/repositories/traces.repo.ts';
import type { StoredSpan } from '../../db/repositories/traces.repo.ts';
import type {
  CallResult,
  Connection,
  CreateConnection,
  OAuthApp,
  ProxyRequest,
  PutOAuthApp,
} from '../../domain/connection.ts';
import { credentialFieldsOf, type AuthMethod, type Connector } from '../../domain/connector.ts';
import { requirePermission, systemTenant, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import {
  executeAction,
  executeRequest,
  publicHeaders,
  type CallAuth,
} from '../../engine/engine.ts';
import { credentialRedactor } from '../../engine/redact.ts';
import { joinUrl, resolveBaseUrl } from '../../engine/request-builder.ts';
import type { Span } from '../../engine/types.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requireAction, requireConnector } from '../connectors/connectors.service.ts';
import { oauthSecretAad, openCredentials, sealCredentials, verifierAad } from './credentials.ts';
import type { ConnectionRuntime } from './runtime.ts';
import {
  exchangeCustomToken,
  findMethod,
  GrantRejected,
  oauthClientOf,
  openRecord,
  pkcePair,
  requestToken,
  storeTokens,
} from './tokens.ts';

export const PLATFORM_EVENTS_CHANNEL = 'weft_platform_events';
const AUTHORIZATION_TTL_MS = 15 * 60_000;

function reconnectUrl(
  runtime: ConnectionRuntime,
  record: ConnectionRecord,
  method: AuthMethod | undefined,
): string | null {
  if (method?.type !== 'oauth2' || method.grant !== 'authorization_code') return null;
  if (record.status !== 'expired' && record.status !== 'pending' && record.status !== 'error')
    return null;
  return `${runtime.publicUrl ?? ''}/api/v1/connections/oauth/start?connectionId=${record.id}`;
}

export function toConnection(
  runtime: ConnectionRuntime,
  record: ConnectionRecord,
  connector: Connector | null,
): Connection {
  const method = connector?.authMethods.find((m) => m.key === record.authMethod);
  return {
    id: record.id,
    connectorId: record.connectorId,
    connector: record.connectorSlug,
    customerId: record.customerId,
    name: record.name,
    authMethod: record.authMethod,
    status: record.status,
    statusReason: record.statusReason,
    credentialFields: Object.keys(record.credentials).sort(),
    config: record.config,
    tokenExpiresAt: record.tokenExpiresAt?.toISOString() ?? null,
    lastRefreshedAt: record.lastRefreshedAt?.toISOString() ?? null,
    reconnectUrl: reconnectUrl(runtime, record, method),
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  };
}

function describe(
  record: Pick<ConnectionRecord, 'id' | 'name' | 'authMethod' | 'connectorSlug'>,
): string {
  return `connection '${record.name}' (${record.id}, ${record.connectorSlug}, auth method ${record.authMethod})`;
}

async function requireRecord(sql: Sql, id: string, forUpdate = false): Promise<ConnectionRecord> {
  const record = await connectionsRepo.find(sql, { id, forUpdate });
  if (!record)
    throw new AppError(
      'not_found',
      `no connection ${id}; list connections to see the ids that exist`,
    );
  return record;
}

async function load(
  runtime: ConnectionRuntime,
  tenant: Tenant,
  id: string,
): Promise<{ record: ConnectionRecord; connector: Connector }> {
  return runtime.db.tenant(tenant, async (sql) => {
    const record = await requireRecord(sql, id);
    return { record, connector: await requireConnector(sql, record.connectorId) };
  });
}

function spanRecorder(runtime: ConnectionRuntime, record: ConnectionRecord): (span: Span) => void {
  return (span) =>
    runtime.spans.record(record.orgId, {
      ...span,
      connectionId: record.id,
      connectorId: record.connectorId,
      customerId: record.customerId,
    });
}

/** Marks a connection expired, with the reason, and emits `connection.expired`. */
async function markExpired({
  runtime,
  tenant,
  record,
  connector,
  reason,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  record: ConnectionRecord;
  connector: Connector;
  reason: string;
}): Promise<void> {
  await runtime.db.tenant({ orgId: record.orgId }, async (sql) => {
    await connectionsRepo.setStatus(sql, { id: record.id, status: 'expired', reason });
    const view = toConnection(
      runtime,
      { ...record, status: 'expired', statusReason: reason },
      connector,
    );
    const payload = {
      connectionId: record.id,
      connector: record.connectorSlug,
      customerId: record.customerId,
      reason,
      reconnectUrl: view.reconnectUrl,
    };
    await connectionsRepo.insertPlatformEvent(sql, {
      orgId: record.orgId,
      customerId: record.customerId,
      type: 'connection.expired',
      resourceType: 'connection',
      resourceId: record.id,
      payload,
    });
    await sql.notify(
      PLATFORM_EVENTS_CHANNEL,
      JSON.stringify({ type: 'connection.expired', orgId: record.orgId, ...payload }),
    );
    await recordAudit(sql, {
      tenant: { ...tenant, customerId: null },
      action: 'connection.expire',
      resourceType: 'connection',
      resourceId: record.id,
      customerId: record.customerId,
      details: { reason },
    });
  });
}

function expiredError(record: ConnectionRecord, reason: string | null): AppError {
  return new AppError(
    'connection_expired',
    `${describe(record)} has expired${reason ? `: ${reason}` : ''}; the customer must reconnect`,
    {
      connectionId: record.id,
      reconnectUrl: `/api/v1/connections/oauth/start?connectionId=${record.id}`,
    },
  );
}

function tokenField(method: AuthMethod): 'access_token' | 'token' | null {
  if (method.type === 'oauth2') return 'access_token';
  if (method.type === 'custom' && method.tokenExchange !== undefined) return 'token';
  return null;
}

function needsToken(
  record: ConnectionRecord,
  method: AuthMethod,
  values: Readonly<Record<string, string>>,
  now: number,
): boolean {
  const field = tokenField(method);
  if (field === null) return false;
  if (values[field] === undefined) return true;
  if (record.tokenExpiresAt === null) return false;
  const ahead = method.type === 'oauth2' ? method.refreshAheadSeconds * 1000 : 30_000;
  return record.tokenExpiresAt.getTime() - ahead <= now;
}

/**
 * Gets a new token for a connection. Concurrent callers in this process share one attempt; other
 * processes wait on a lock named after the connection and then find the token already fresh.
 * A grant the provider refuses for good marks the connection expired.
 */
function renewToken({
  runtime,
  tenant,
  connectionId,
  rejectedToken,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connectionId: string;
  rejectedToken: string | null;
}): Promise<Record<string, string>> {
  const running = runtime.refreshing.get(connectionId);
  if (running) return running;
  const attempt = runtime.db
    .withLock(`connection-token:${connectionId}`, async () => {
      const { record, connector } = await load(runtime, tenant, connectionId);
      if (record.status === 'expired' || record.status === 'revoked')
        throw expiredError(record, record.statusReason);
      const method = findMethod(connector, record.authMethod);
      const values = openRecord(runtime, record);
      const field = tokenField(method);
      if (field === null) return values;
      // Another process may have renewed it while we waited for the lock.
      if (rejectedToken === null && !needsToken(record, method, values, Date.now())) return values;
      if (rejectedToken !== null && values[field] !== undefined && values[field] !== rejectedToken)
        return values;
      const trace = spanRecorder(runtime, record);
      try {
        if (method.type === 'oauth2') {
          const app = await runtime.db.tenant(tenant, (sql) =>
            connectionsRepo.findOAuthApp(sql, { connectorId: connector.id }),
          );
          const client = oauthClientOf({ runtime, orgId: record.orgId, method, app });
          let params: Record<string, string>;
          if (method.grant === 'client_credentials') {
            params = {
              grant_type: 'client_credentials',
              ...(client.scopes.length > 0 && { scope: client.scopes.join(method.scopeSeparator) }),
            };
          } else {
            const refreshToken = values['refresh_token'];
            if (refreshToken === undefined)
              throw new GrantRejected('no_refresh_token', 'the provider gave no refresh token');
            params = { grant_type: 'refresh_token', refresh_token: refreshToken };
          }
          const tokens = await requestToken({ runtime, method, client, params, trace });
          await runtime.db.tenant({ orgId: record.orgId }, (sql) =>
            storeTokens({ runtime, sql, record, tokens }),
          );
        } else if (method.type === 'custom') {
          const exchanged = await exchangeCustomToken({ runtime, method, values, trace });
          const sealed = sealCredentials({
            keyring: runtime.keyring,
            orgId: record.orgId,
            connectionId: record.id,
            values: { token: exchanged.token },
          });
          await runtime.db.tenant({ orgId: record.orgId }, (sql) =>
            connectionsRepo.mergeCredentials(sql, {
              id: record.id,
              credentials: sealed,
              tokenExpiresAt: exchanged.expiresAt,
              refreshed: true,
              status: 'active',
            }),
          );
        }
      } catch (error) {
        if (error instanceof GrantRejected) {
          const reason = `${error.message}; reconnect to authorize again`;
          await markExpired({ runtime, tenant, record, connector, reason });
          throw expiredError(record, reason);
        }
        throw error;
      }
      return openRecord(runtime, (await load(runtime, tenant, connectionId)).record);
    })
    .finally(() => runtime.refreshing.delete(connectionId));
  runtime.refreshing.set(connectionId, attempt);
  return attempt;
}

/** The engine's view of a connection's auth: fresh values, and a refresh on rejection. */
function callAuthFor({
  runtime,
  tenant,
  record,
  method,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  record: ConnectionRecord;
  method: AuthMethod;
}): CallAuth & { redact<T>(value: T): T } {
  let current: Record<string, string> | null = null;
  const field = tokenField(method);
  return {
    method,
    context: describe(record),
    async values() {
      if (current === null) {
        const opened = openRecord(runtime, record);
        current = needsToken(record, method, opened, Date.now())
          ? await renewToken({ runtime, tenant, connectionId: record.id, rejectedToken: null })
          : opened;
      }
      return current;
    },
    async refresh() {
      if (field === null) return false;
      current = await renewToken({
        runtime,
        tenant,
        connectionId: record.id,
        rejectedToken: current?.[field] ?? null,
      });
      return true;
    },
    redact: (value) => credentialRedactor(method, current)(value),
  };
}

function budgetKey(record: ConnectionRecord): string {
  return `${record.orgId}|${record.customerId ?? 'org'}|${record.connectorId}`;
}

function baseOf(connector: Connector, record: ConnectionRecord): URL {
  const configured = (record.config['serverVariables'] ?? {}) as Record<string, string>;
  return resolveBaseUrl({
    baseUrl: connector.baseUrl,
    serverVariables: connector.serverVariables,
    values: configured,
  });
}

/**
 * After a call: a rejected credential marks the connection in error; a success clears it. An
 * answer from another origin (a redirect led there, without the credentials) says neither.
 */
async function noteOutcome({
  runtime,
  record,
  method,
  status,
  foreign,
}: {
  runtime: ConnectionRuntime;
  record: ConnectionRecord;
  method: AuthMethod;
  status: number;
  foreign: boolean;
}): Promise<void> {
  if (foreign) return;
  if ((status === 401 || status === 403) && method.type !== 'none') {
    const reason = `the API rejected the credentials (HTTP ${status})`;
    if (record.status !== 'error' || record.statusReason !== reason) {
      await runtime.db.tenant({ orgId: record.orgId }, (sql) =>
        connectionsRepo.setStatus(sql, { id: record.id, status: 'error', reason }),
      );
    }
    throw new AppError(
      'credentials_rejected',
      `${describe(record)}: ${reason}; update the credentials or reconnect`,
      {
        connectionId: record.id,
        status,
      },
    );
  }
  if (status < 400 && record.status === 'error') {
    await runtime.db.tenant({ orgId: record.orgId }, (sql) =>
      connectionsRepo.setStatus(sql, { id: record.id, status: 'active', reason: null }),
    );
  }
}

function usable(record: ConnectionRecord): void {
  if (record.status === 'expired') throw expiredError(record, record.statusReason);
  if (record.status === 'revoked')
    throw new AppError('conflict', `${describe(record)} was revoked`);
  if (record.status === 'pending') {
    throw new AppError(
      'conflict',
      `${describe(record)} is not authorized yet; finish the OAuth flow (GET /api/v1/connections/oauth/start?connectionId=${record.id})`,
    );
  }
}

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
  requirePermission(tenant, 'connections:write');
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

export async function deleteConnection({
  runtime,
  tenant,
  id,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  id: string;
}): Promise<void> {
  requirePermission(tenant, 'connections:write');
  await runtime.db.tenant(tenant, async (sql) => {
    const record = await requireRecord(sql, id);
    await connectionsRepo.remove(sql, { id });
    await recordAudit(sql, {
      tenant,
      action: 'connection.delete',
      resourceType: 'connection',
      resourceId: id,
      customerId: record.customerId,
      details: { connector: record.connectorSlug },
    });
  });
}

export async function runAction({
  runtime,
  tenant,
  connectionId,
  action: actionRef,
  input,
  allPages,
  maxItems,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connectionId: string;
  action: string;
  input: Record<string, unknown>;
  allPages: boolean;
  maxItems: number;
}): Promise<CallResult> {
  requirePermission(tenant, 'connections:read');
  const { record, connector, action } = await runtime.db.tenant(tenant, async (sql) => {
    const record = await requireRecord(sql, connectionId);
    const connector = await requireConnector(sql, record.connectorId);
    const action = await requireAction(sql, connector, actionRef);
    return { record, connector, action };
  });
  usable(record);
  const method = findMethod(connector, record.authMethod);
  const trace = spanRecorder(runtime, record);
  const auth = callAuthFor({ runtime, tenant, record, method });
  const { foreign, ...result } = await executeAction({
    deps: { ...runtime.engine, onSpan: trace },
    action,
    base: baseOf(connector, record),
    input,
    auth,
    budgetKey: budgetKey(record),
    budget: connector.rateLimit,
    allPages,
    maxItems,
  });
  await noteOutcome({ runtime, record, method, status: result.status, foreign });
  // An API that echoes a credential back (in an error, say) must not hand it out through us.
  return auth.redact(result);
}

const STRIPPED_PROXY_HEADERS = new Set([
  'authorization',
  'cookie',
  'host',
  'content-length',
  'connection',
  'transfer-encoding',
  'x-fastn-api-key',
  'proxy-authorization',
]);

/** Sends an arbitrary request through a connection's auth, within the connector's base URL. */
export async function proxyRequest({
  runtime,
  tenant,
  connectionId,
  request,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connectionId: string;
  request: ProxyRequest;
}): Promise<CallResult> {
  requirePermission(tenant, 'connections:write');
  const { record, connector } = await load(runtime, tenant, connectionId);
  usable(record);
  const method = findMethod(connector, record.authMethod);
  // Refused here, before anything is sent or traced, when the path leaves the base path.
  const target = joinUrl(baseOf(connector, record), request.path);
  const traceId = randomUUID();
  const auth = callAuthFor({ runtime, tenant, record, method });
  const outcome = await executeRequest({
    deps: { ...runtime.engine, onSpan: spanRecorder(runtime, record) },
    build: () => {
      const url = new URL(target);
      for (const [k, v] of Object.entries(request.query ?? {})) {
        for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, item);
      }
      const headers: Record<string, string> = { accept: 'application/json' };
      for (const [k, v] of Object.entries(request.headers ?? {})) {
        if (!STRIPPED_PROXY_HEADERS.has(k.toLowerCase()))
          headers[k.toLowerCase()] = v.replace(/[\r\n]/g, ' ');
      }
      let body: string | undefined;
      if (request.body !== undefined && request.method !== 'GET' && request.method !== 'HEAD') {
        if (request.bodyType === 'form') {
          body = new URLSearchParams(request.body as Record<string, string>).toString();
          headers['content-type'] = 'application/x-www-form-urlencoded';
        } else {
          body = JSON.stringify(request.body);
          headers['content-type'] ??= 'application/json';
        }
      }
      return { method: request.method, url, headers, body };
    },
    auth,
    budgetKey: budgetKey(record),
    budget: connector.rateLimit,
    name: `proxy ${request.method} ${request.path.split('?')[0] ?? ''}`,
    kind: 'proxy',
    traceId,
  });
  await noteOutcome({
    runtime,
    record,
    method,
    status: outcome.response.status,
    foreign: outcome.foreign,
  });
  return auth.redact({
    status: outcome.response.status,
    ok: outcome.response.status < 300,
    headers: publicHeaders(outcome.response.headers),
    body: outcome.body,
    attempts: outcome.attempts,
    durationMs: outcome.durationMs,
    traceId,
  });
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
// OAuth 2.0

function toOAuthApp(app: connectionsRepo.OAuthAppRecord): OAuthApp {
  return {
    connectorId: app.connectorId,
    clientId: app.clientId,
    hasClientSecret: app.clientSecretSealed !== null,
    authorizeUrl: app.authorizeUrl,
    tokenUrl: app.tokenUrl,
    scopes: app.scopes,
    updatedAt: app.updatedAt.toISOString(),
  };
}

export async function putOAuthApp({
  runtime,
  tenant,
  connector: ref,
  input,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connector: string;
  input: PutOAuthApp;
}): Promise<OAuthApp> {
  requirePermission(tenant, 'connectors:write');
  return runtime.db.tenant(tenant, async (sql) => {
    const connector = await requireConnector(sql, ref);
    const existing = await connectionsRepo.findOAuthApp(sql, { connectorId: connector.id });
    const id = existing?.id ?? randomUUID();
    await connectionsRepo.upsertOAuthApp(sql, {
      id,
      orgId: tenant.orgId,
      connectorId: connector.id,
      clientId: input.clientId,
      clientSecretSealed:
        input.clientSecret === undefined
          ? undefined
          : seal({
              keyring: runtime.keyring,
              plaintext: input.clientSecret,
              aad: oauthSecretAad({ orgId: tenant.orgId, appId: id }),
            }),
      authorizeUrl: input.authorizeUrl ?? null,
      tokenUrl: input.tokenUrl ?? null,
      scopes: input.scopes ?? [],
    });
    await recordAudit(sql, {
      tenant,
      action: 'oauth_app.put',
      resourceType: 'oauth_app',
      resourceId: id,
      details: { connector: connector.slug, clientId: input.clientId },
    });
    const app = await connectionsRepo.findOAuthApp(sql, { connectorId: connector.id });
    if (!app) throw new Error('OAuth app vanished after upsert');
    return toOAuthApp(app);
  });
}

export async function getOAuthApp({
  runtime,
  tenant,
  connector: ref,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connector: string;
}): Promise<OAuthApp> {
  requirePermission(tenant, 'connectors:read');
  return runtime.db.tenant(tenant, async (sql) => {
    const connector = await requireConnector(sql, ref);
    const app = await connectionsRepo.findOAuthApp(sql, { connectorId: connector.id });
    if (!app)
      throw new AppError(
        'not_found',
        `connector '${connector.slug}' has no OAuth app; PUT one with clientId and clientSecret`,
      );
    return toOAuthApp(app);
  });
}

/**
 * Starts an authorization-code flow: makes (or reuses) the connection, stores a one-time state
 * and a PKCE verifier, and returns the provider URL to send the user to.
 */
export async function startAuthorization({
  runtime,
  tenant,
  connector: connectorRef,
  customerId,
  connectionId,
  redirectUri,
  returnUrl,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connector: string | undefined;
  customerId: string | null;
  connectionId: string | undefined;
  redirectUri: string;
  returnUrl: string | null;
}): Promise<{ url: string; connectionId: string; expiresAt: string }> {
  requirePermission(tenant, 'connections:write');
  const state = randomBytes(32).toString('base64url');
  const { verifier, challenge } = pkcePair();
  const expiresAt = new Date(Date.now() + AUTHORIZATION_TTL_MS);
  const { url, id } = await runtime.db.tenant(tenant, async (sql) => {
    let record: ConnectionRecord;
    let connector: Connector;
    if (connectionId !== undefined) {
      record = await requireRecord(sql, connectionId);
      connector = await requireConnector(sql, record.connectorId);
    } else {
      connector = await requireConnector(sql, connectorRef ?? '');
      if (customerId !== null && !(await customersRepo.findById(sql, { id: customerId })))
        throw new AppError('not_found', `no customer ${customerId}`);
      const method = connector.authMethods.find(
        (m) => m.type === 'oauth2' && m.grant === 'authorization_code',
      );
      if (!method)
        throw new AppError(
          'bad_request',
          `connector '${connector.slug}' has no OAuth 2.0 authorization-code method`,
        );
      const id = randomUUID();
      await connectionsRepo.insert(sql, {
        id,
        orgId: tenant.orgId,
        connectorId: connector.id,
        customerId,
        name: connector.name,
        authMethod: method.key,
        status: 'pending',
        credentials: {},
        config: {},
      });
      await recordAudit(sql, {
        tenant,
        action: 'connection.create',
        resourceType: 'connection',
        resourceId: id,
        customerId,
        details: { connector: connector.slug, authMethod: method.key },
      });
      record = await requireRecord(sql, id);
    }
    const method = findMethod(connector, record.authMethod);
    if (method.type !== 'oauth2' || method.grant !== 'authorization_code') {
      throw new AppError(
        'bad_request',
        `${describe(record)} does not use an OAuth 2.0 authorization-code method`,
      );
    }
    if (record.status === 'revoked')
      throw new AppError('conflict', `${describe(record)} was revoked; create a new connection`);
    const client = oauthClientOf({
      runtime,
      orgId: tenant.orgId,
      method,
      app: await connectionsRepo.findOAuthApp(sql, { connectorId: connector.id }),
    });
    if (client.authorizeUrl === null)
      throw new AppError('bad_request', `no authorize URL for connector '${connector.slug}'`);
    await connectionsRepo.insertAuthorization(sql, {
      orgId: tenant.orgId,
      state,
      connectionId: record.id,
      codeVerifierSealed: seal({
        keyring: runtime.keyring,
        plaintext: verifier,
        aad: verifierAad({ orgId: tenant.orgId, state }),
      }),
      redirectUri,
      returnUrl,
      expiresAt,
    });
    const url = new URL(client.authorizeUrl);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', client.clientId);
    url.searchParams.set('redirect_uri', redirectUri);
    if (client.scopes.length > 0)
      url.searchParams.set('scope', client.scopes.join(method.scopeSeparator));
    url.searchParams.set('state', state);
    if (method.pkce) {
      url.searchParams.set('code_challenge', challenge);
      url.searchParams.set('code_challenge_method', 'S256');
    }
    for (const [k, v] of Object.entries(method.authorizeParams ?? {})) url.searchParams.set(k, v);
    return { url: url.toString(), id: record.id };
  });
  return { url, connectionId: id, expiresAt: expiresAt.toISOString() };
}

/**
 * The provider's redirect: finds the authorization by its state alone (no API key: this is the
 * user's browser), exchanges the code, and activates the connection.
 */
export async function completeAuthorization({
  runtime,
  state,
  code,
  error,
}: {
  runtime: ConnectionRuntime;
  state: string;
  code: string | undefined;
  error: string | undefined;
}): Promise<{ connectionId: string; returnUrl: string | null }> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(state))
    throw new AppError(
      'bad_request',
      'this authorization link is not valid; start the connection again',
    );
  const row = await connectionsRepo.takeAuthorizationByState(runtime.db, { state });
  if (!row)
    throw new AppError(
      'bad_request',
      'this authorization link was already used or is unknown; start the connection again',
    );
  if (row.expiresAt.getTime() < Date.now())
    throw new AppError(
      'bad_request',
      'this authorization link has expired; start the connection again',
    );
  const orgId = row.orgId;
  const tenant = systemTenant({
    orgId,
    actorId: null,
    label: 'oauth callback',
    permissions: ['connections:read', 'connections:write', 'connectors:read'],
  });
  const { record, connector } = await load(runtime, tenant, row.connectionId);
  if (error !== undefined || code === undefined) {
    const reason = `the user or provider declined the authorization (${(error ?? 'no code').slice(0, 100)})`;
    await runtime.db.tenant({ orgId }, (sql) =>
      connectionsRepo.setStatus(sql, {
        id: record.id,
        status: record.status === 'pending' ? 'error' : record.status,
        reason,
      }),
    );
    throw new AppError('bad_request', reason);
  }
  const method = findMethod(connector, record.authMethod);
  if (method.type !== 'oauth2')
    throw new AppError('bad_request', 'this connection does not use OAuth 2.0');
  const app = await runtime.db.tenant({ orgId }, (sql) =>
    connectionsRepo.findOAuthApp(sql, { connectorId: connector.id }),
  );
  const client = oauthClientOf({ runtime, orgId, method, app });
  const verifier = open({
    keyring: runtime.keyring,
    sealed: row.codeVerifierSealed,
    aad: verifierAad({ orgId, state }),
  });
  try {
    const tokens = await requestToken({
      runtime,
      method,
      client,
      params: {
        grant_type: 'authorization_code',
        code,
        redirect_uri: row.redirectUri,
        ...(method.pkce && { code_verifier: verifier }),
      },
      trace: spanRecorder(runtime, record),
    });
    await runtime.db.tenant({ orgId }, async (sql) => {
      await storeTokens({ runtime, sql, record, tokens });
      await recordAudit(sql, {
        tenant,
        action: 'connection.authorize',
        resourceType: 'connection',
        resourceId: record.id,
        customerId: record.customerId,
        details: { connector: connector.slug, scope: tokens.scope },
      });
    });
  } catch (failure) {
    if (failure instanceof GrantRejected) {
      await runtime.db.tenant({ orgId }, (sql) =>
        connectionsRepo.setStatus(sql, { id: record.id, status: 'error', reason: failure.message }),
      );
      throw new AppError('bad_request', `${failure.message}; start the connection again`);
    }
    throw failure;
  }
  return { connectionId: record.id, returnUrl: row.returnUrl };
}

// ---------------------------------------------------------------------------------------------
// Traces and platform events

export async function getTrace({
  runtime,
  tenant,
  traceId,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  traceId: string;
}): Promise<StoredSpan[]> {
  requirePermission(tenant, 'connections:read');
  await runtime.spans.flush();
  const spans = await runtime.db.tenant(tenant, (sql) => tracesRepo.listByTrace(sql, { traceId }));
  if (spans.length === 0) throw new AppError('not_found', `no trace ${traceId}`);
  return spans;
}

export async function listConnectionSpans({
  runtime,
  tenant,
  connectionId,
  limit,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connectionId: string;
  limit: number;
}): Promise<StoredSpan[]> {
  requirePermission(tenant, 'connections:read');
  await runtime.spans.flush();
  return runtime.db.tenant(tenant, async (sql) => {
    await requireRecord(sql, connectionId);
    return tracesRepo.listByConnection(sql, { connectionId, limit });
  });
}

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
