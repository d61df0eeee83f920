/**
 * Calls through a connection: running a connector action or proxying a request through the
 * engine with the connection's credentials (renewed by the token lifecycle as needed), noting
 * what the answer says about the credentials, and reading back the trace spans of those calls.
 * Every answer is scrubbed of the connection's secrets before it is returned.
 */
import { randomUUID } from 'node:crypto';
import * as connectionsRepo from '../../db/repositories/connections.repo.ts';
import type { ConnectionRecord } from '../../db/repositories/connections.repo.ts';
import * as tracesRepo from '../../db/repositories/traces.repo.ts';
import type { StoredSpan } from '../../db/repositories/traces.repo.ts';
import type { CallResult, ProxyRequest } from '../../domain/connection.ts';
import type { AuthMethod, Connector } from '../../domain/connector.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { executeAction, executeRequest, publicHeaders } from '../../engine/engine.ts';
import { describePlacement } from '../../engine/mask-headers.ts';
import { joinUrl, resolveBaseUrl } from '../../engine/request-builder.ts';
import { requireAction, requireConnector } from '../connectors/connectors.service.ts';
import { describe, load, requireRecord, spanRecorder, usable } from './records.ts';
import type { ConnectionRuntime } from './runtime.ts';
import { callAuthFor, findMethod } from './tokens.ts';
import { enforceQuota } from '../usage/usage.service.ts';

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
  traceId,
  body,
}: {
  runtime: ConnectionRuntime;
  record: ConnectionRecord;
  method: AuthMethod;
  status: number;
  foreign: boolean;
  traceId: string;
  /** The answer's body, already scrubbed of the connection's secrets. */
  body: unknown;
}): Promise<void> {
  if (foreign) return;
  if ((status === 401 || status === 403) && method.type !== 'none') {
    const reason = `the API rejected the credentials (HTTP ${status})`;
    const placement = describePlacement(method);
    if (record.status !== 'error' || record.statusReason !== reason) {
      await runtime.db.tenant({ orgId: record.orgId }, (sql) =>
        connectionsRepo.setStatus(sql, { id: record.id, status: 'error', reason }),
      );
    }
    // A valid key in the wrong place (or without the scheme word the API wants) is as common
    // as a wrong key: the answer names where the credential went and shows what the API said.
    throw new AppError(
      'credentials_rejected',
      `${describe(record)}: ${reason}; sent as ${placement}. Check the placement and prefix against the API's docs (get_trace shows the masked headers sent; change them with update_connector authMethods), then the credential itself (update the connection's credentials or reconnect)`,
      {
        connectionId: record.id,
        status,
        traceId,
        placement,
        bodyExcerpt: excerptOf(body),
      },
    );
  }
  if (status < 400 && record.status === 'error') {
    await runtime.db.tenant({ orgId: record.orgId }, (sql) =>
      connectionsRepo.setStatus(sql, { id: record.id, status: 'active', reason: null }),
    );
  }
}

function excerptOf(body: unknown): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? null);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
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
  requirePermission(tenant, 'connections:execute');
  const { record, connector, action } = await runtime.db.tenant(tenant, async (sql) => {
    const record = await requireRecord(sql, connectionId);
    const connector = await requireConnector(sql, record.connectorId);
    const action = await requireAction(sql, connector, actionRef);
    return { record, connector, action };
  });
  usable(record);
  if (record.customerId !== null) {
    await enforceQuota({
      db: runtime.db,
      orgId: tenant.orgId,
      customerId: record.customerId,
      metric: 'action_calls',
    });
  }
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
  // An API that echoes a credential back (in an error, say) must not hand it out through us.
  const redacted = auth.redact(result);
  await noteOutcome({
    runtime,
    record,
    method,
    status: result.status,
    foreign,
    traceId: result.traceId,
    body: redacted.body,
  });
  return redacted;
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
  requirePermission(tenant, 'connections:execute');
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
    traceId,
    body: auth.redact({ body: outcome.body }).body,
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
