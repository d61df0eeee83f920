/**
 * The token lifecycle of a connection: asking a token endpoint (never retried: a replayed
 * rotating refresh token revokes the grant), storing what it gives, renewing a token once per
 * connection everywhere (one promise per process, an advisory lock across processes, a re-check
 * of the stored token under the lock), marking a refused grant expired, and the engine's view
 * of a connection's auth that renews on expiry or rejection. The services call down into this
 * file; it never calls back up into them.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as connectionsRepo from '../../db/repositories/connections.repo.ts';
import type { ConnectionRecord, OAuthAppRecord } from '../../db/repositories/connections.repo.ts';
import { open } from '../../crypto/envelope.ts';
import type { AuthMethod, Connector, OAuth2Method } from '../../domain/connector.ts';
import type { Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { fillTemplate } from '../../engine/auth-apply.ts';
import { parseBody, type CallAuth } from '../../engine/engine.ts';
import { credentialRedactor } from '../../engine/redact.ts';
import { getPath, TransportError, type OutboundRequest, type Span } from '../../engine/types.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { openCredentials, oauthSecretAad, sealCredentials } from './credentials.ts';
import { describe, expiredError, load, spanRecorder, toConnection } from './records.ts';
import type { ConnectionRuntime } from './runtime.ts';

export interface TokenSet {
  accessToken: string;
  refreshToken: string | null;
  expiresAt: Date | null;
  scope: string | null;
}

export interface OAuthClient {
  clientId: string;
  clientSecret: string | null;
  authorizeUrl: string | null;
  tokenUrl: string;
  scopes: string[];
}

/** The org's OAuth app overrides what the connector declares. */
export function oauthClientOf({
  runtime,
  orgId,
  method,
  app,
}: {
  runtime: ConnectionRuntime;
  orgId: string;
  method: OAuth2Method;
  app: OAuthAppRecord | null;
}): OAuthClient {
  if (app === null) {
    throw new AppError(
      'bad_request',
      'no OAuth app is configured for this connector; PUT /api/v1/connectors/{connector}/oauth-app first',
    );
  }
  return {
    clientId: app.clientId,
    clientSecret:
      app.clientSecretSealed === null
        ? null
        : open({
            keyring: runtime.keyring,
            sealed: app.clientSecretSealed,
            aad: oauthSecretAad({ orgId, appId: app.id }),
          }),
    authorizeUrl: app.authorizeUrl ?? method.authorizeUrl ?? null,
    tokenUrl: app.tokenUrl ?? method.tokenUrl,
    scopes: app.scopes.length > 0 ? app.scopes : method.scopes,
  };
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export class GrantRejected extends Error {
  readonly error: string;
  constructor(error: string, description: string | null) {
    super(`the provider rejected the grant (${error}${description ? `: ${description}` : ''})`);
    this.name = 'GrantRejected';
    this.error = error;
  }
}

const FATAL_GRANT_ERRORS = new Set([
  'invalid_grant',
  'invalid_client',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
]);

/** The trace span of one call to a token endpoint (its URL carries no secret). */
function tokenSpan({
  name,
  method,
  url,
  started,
  startedAt,
  status,
  error,
}: {
  name: string;
  method: string;
  url: string;
  started: number;
  startedAt: Date;
  status: number | null;
  error: string | null;
}): Span {
  return {
    traceId: randomBytes(8).toString('hex'),
    name,
    kind: 'token',
    method,
    url,
    status,
    durationMs: performance.now() - started,
    attempts: 1,
    error,
    startedAt,
  };
}

/** A form to an OAuth endpoint with the client authenticated as the method says (RFC 6749 §2.3.1). */
function clientAuthenticated({
  method,
  client,
  params,
}: {
  method: OAuth2Method;
  client: OAuthClient;
  params: Record<string, string>;
}): { form: URLSearchParams; headers: Record<string, string> } {
  const form = new URLSearchParams(params);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (method.tokenAuth === 'basic' && client.clientSecret !== null) {
    const id = encodeURIComponent(client.clientId);
    const secret = encodeURIComponent(client.clientSecret);
    headers['authorization'] = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  } else {
    form.set('client_id', client.clientId);
    if (client.clientSecret !== null) form.set('client_secret', client.clientSecret);
  }
  return { form, headers };
}

/**
 * Revokes a connection's tokens at the method's revocation endpoint (RFC 7009): the refresh
 * token first (which ends the grant at most providers), then the access token. Answers null when
 * there is nothing to revoke or nowhere to revoke it, else whether every token was revoked and,
 * when not, why. Never throws: a connection is deleted whatever the provider says.
 */
export async function revokeTokens({
  runtime,
  method,
  client,
  credentials,
  trace,
}: {
  runtime: ConnectionRuntime;
  method: OAuth2Method;
  client: OAuthClient;
  credentials: Record<string, string>;
  trace: (span: Span) => void;
}): Promise<{ revoked: boolean; problem?: string } | null> {
  const url = method.revocationUrl;
  const tokens = (['refresh_token', 'access_token'] as const).flatMap((hint) => {
    const token = credentials[hint];
    return token === undefined || token === '' ? [] : [{ hint, token }];
  });
  if (url === undefined || tokens.length === 0) return null;
  for (const { hint, token } of tokens) {
    const { form, headers } = clientAuthenticated({
      method,
      client,
      params: { token, token_type_hint: hint },
    });
    const started = performance.now();
    const startedAt = new Date();
    const span = (status: number | null, error: string | null): Span =>
      tokenSpan({ name: `revoke:${hint}`, method: 'POST', url, started, startedAt, status, error });
    try {
      const response = await runtime.engine.send(
        {
          method: 'POST',
          url: new URL(url),
          headers,
          body: form.toString(),
          redirects: 'same-origin-only',
        },
        { timeoutMs: 10_000, maxResponseBytes: 64 * 1024 },
      );
      const ok = response.status >= 200 && response.status < 300;
      trace(span(response.status, ok ? null : `HTTP ${response.status}`));
      if (!ok)
        return {
          revoked: false,
          problem: `the revocation endpoint answered ${response.status} for the ${hint.replace('_', ' ')}`,
        };
    } catch (error) {
      const message = error instanceof TransportError ? error.message : 'network error';
      trace(span(null, message));
      return {
        revoked: false,
        problem: `the revocation endpoint could not be reached: ${message}`,
      };
    }
  }
  return { revoked: true };
}

/**
 * One request to a token endpoint. Never retried: with rotating refresh tokens a retry after a
 * lost answer would replay a spent token and get the whole grant revoked.
 */
export async function requestToken({
  runtime,
  method,
  client,
  params,
  trace,
}: {
  runtime: ConnectionRuntime;
  method: OAuth2Method;
  client: OAuthClient;
  params: Record<string, string>;
  trace: (span: Span) => void;
}): Promise<TokenSet> {
  const { form, headers } = clientAuthenticated({ method, client, params });
  const request: OutboundRequest = {
    method: 'POST',
    url: new URL(client.tokenUrl),
    headers,
    body: form.toString(),
    // The client secret and the grant are the request: never re-sent to another origin.
    redirects: 'same-origin-only',
  };
  const started = performance.now();
  const startedAt = new Date();
  const span = (status: number | null, error: string | null): Span =>
    tokenSpan({
      name: `token:${params['grant_type'] ?? 'unknown'}`,
      method: 'POST',
      url: client.tokenUrl,
      started,
      startedAt,
      status,
      error,
    });
  let response;
  try {
    response = await runtime.engine.send(request, {
      timeoutMs: 20_000,
      maxResponseBytes: 256 * 1024,
    });
  } catch (error) {
    trace(span(null, error instanceof TransportError ? error.message : 'token request failed'));
    throw new AppError(
      'upstream_error',
      `the token endpoint could not be reached: ${error instanceof TransportError ? error.message : 'network error'}`,
    );
  }
  const body = parseBody(response);
  trace(span(response.status, response.status >= 400 ? `HTTP ${response.status}` : null));
  const field = (name: string): unknown => getPath(body, name);
  if (response.status >= 400 || typeof field('access_token') !== 'string') {
    const error = typeof field('error') === 'string' ? (field('error') as string) : null;
    const description =
      typeof field('error_description') === 'string'
        ? (field('error_description') as string).slice(0, 200)
        : null;
    if (error !== null && FATAL_GRANT_ERRORS.has(error))
      throw new GrantRejected(error, description);
    if (response.status === 400 || response.status === 401)
      throw new GrantRejected(error ?? `http_${response.status}`, description);
    throw new AppError(
      'upstream_error',
      `the token endpoint answered ${response.status}${error ? ` (${error})` : ''}; try again later`,
    );
  }
  const expiresIn = Number(field('expires_in'));
  return {
    accessToken: field('access_token') as string,
    refreshToken:
      typeof field('refresh_token') === 'string' ? (field('refresh_token') as string) : null,
    expiresAt:
      Number.isFinite(expiresIn) && expiresIn > 0 ? new Date(Date.now() + expiresIn * 1000) : null,
    scope: typeof field('scope') === 'string' ? (field('scope') as string) : null,
  };
}

/** Runs a custom method's token exchange with the connection's fields. */
export async function exchangeCustomToken({
  runtime,
  method,
  values,
  trace,
}: {
  runtime: ConnectionRuntime;
  method: Extract<AuthMethod, { type: 'custom' }>;
  values: Readonly<Record<string, string>>;
  trace: (span: Span) => void;
}): Promise<{ token: string; expiresAt: Date | null }> {
  const exchange = method.tokenExchange;
  if (exchange === undefined) throw new Error('no token exchange declared');
  const headers: Record<string, string> = { accept: 'application/json' };
  for (const [k, t] of Object.entries(exchange.headers ?? {}))
    headers[k.toLowerCase()] = fillTemplate(t, values);
  const fields = Object.fromEntries(
    Object.entries(exchange.body ?? {}).map(([k, t]) => [k, fillTemplate(t, values)]),
  );
  let body: string | undefined;
  if (exchange.method === 'POST') {
    body =
      exchange.bodyType === 'form'
        ? new URLSearchParams(fields).toString()
        : JSON.stringify(fields);
    headers['content-type'] =
      exchange.bodyType === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
  }
  const url = new URL(fillTemplate(exchange.url, values));
  const started = performance.now();
  const startedAt = new Date();
  let response;
  try {
    response = await runtime.engine.send(
      { method: exchange.method, url, headers, body, redirects: 'same-origin-only' },
      { timeoutMs: 20_000, maxResponseBytes: 256 * 1024 },
    );
  } catch (error) {
    throw new AppError(
      'upstream_error',
      `the token exchange failed: ${error instanceof TransportError ? error.message : 'network error'}`,
    );
  }
  trace(
    tokenSpan({
      name: 'token:exchange',
      method: exchange.method,
      url: `${url.origin}${url.pathname}`,
      started,
      startedAt,
      status: response.status,
      error: response.status >= 400 ? `HTTP ${response.status}` : null,
    }),
  );
  const parsed = parseBody(response);
  const token = getPath(parsed, exchange.tokenPath);
  if (response.status >= 400 || typeof token !== 'string' || token === '') {
    if (response.status === 400 || response.status === 401 || response.status === 403) {
      throw new GrantRejected(
        `http_${response.status}`,
        'the token exchange refused the credentials',
      );
    }
    throw new AppError(
      'upstream_error',
      `the token exchange answered ${response.status} without a token at ${exchange.tokenPath}`,
    );
  }
  const expiresIn =
    exchange.expiresInPath === undefined
      ? exchange.ttlSeconds
      : Number(getPath(parsed, exchange.expiresInPath));
  return {
    token,
    expiresAt:
      expiresIn !== undefined && Number.isFinite(expiresIn) && expiresIn > 0
        ? new Date(Date.now() + expiresIn * 1000)
        : null,
  };
}

export function findMethod(connector: Connector, key: string): AuthMethod {
  const method = connector.authMethods.find((m) => m.key === key);
  if (!method) {
    throw new AppError(
      'bad_request',
      `connector '${connector.slug}' has no auth method '${key}' (it has: ${connector.authMethods.map((m) => m.key).join(', ') || 'none'})`,
    );
  }
  return method;
}

/** Seals a fresh token set into the connection (in the caller's transaction). */
export async function storeTokens({
  runtime,
  sql,
  record,
  tokens,
}: {
  runtime: ConnectionRuntime;
  sql: Parameters<typeof connectionsRepo.mergeCredentials>[0];
  record: Pick<ConnectionRecord, 'id' | 'orgId'>;
  tokens: TokenSet;
}): Promise<void> {
  const values: Record<string, string> = { access_token: tokens.accessToken };
  if (tokens.refreshToken !== null) values['refresh_token'] = tokens.refreshToken;
  const sealed = sealCredentials({
    keyring: runtime.keyring,
    orgId: record.orgId,
    connectionId: record.id,
    values,
  });
  await connectionsRepo.mergeCredentials(sql, {
    id: record.id,
    credentials: sealed,
    tokenExpiresAt: tokens.expiresAt,
    refreshed: true,
    status: 'active',
  });
}

export function openRecord(
  runtime: ConnectionRuntime,
  record: ConnectionRecord,
): Record<string, string> {
  return openCredentials({
    keyring: runtime.keyring,
    orgId: record.orgId,
    connectionId: record.id,
    sealed: record.credentials,
  });
}
export const PLATFORM_EVENTS_CHANNEL = 'weft_platform_events';

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
export function renewToken({
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
export function callAuthFor({
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
