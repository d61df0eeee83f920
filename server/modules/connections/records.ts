/**
 * The connection record as every connection module reads it: loading it (with its connector),
 * describing it in errors, the public view, the span recorder and the usability checks. It sits
 * at the bottom of the module so the services and the token lifecycle share it without
 * importing one another.
 */
import type { Sql } from '../../db/database.ts';
import * as connectionsRepo from '../../db/repositories/connections.repo.ts';
import type { ConnectionRecord } from '../../db/repositories/connections.repo.ts';
import type { Connection } from '../../domain/connection.ts';
import type { AuthMethod, Connector } from '../../domain/connector.ts';
import type { Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import type { Span } from '../../engine/types.ts';
import { requireConnector } from '../connectors/connectors.service.ts';
import type { ConnectionRuntime } from './runtime.ts';

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

export function describe(
  record: Pick<ConnectionRecord, 'id' | 'name' | 'authMethod' | 'connectorSlug'>,
): string {
  return `connection '${record.name}' (${record.id}, ${record.connectorSlug}, auth method ${record.authMethod})`;
}

export async function requireRecord(
  sql: Sql,
  id: string,
  forUpdate = false,
): Promise<ConnectionRecord> {
  const record = await connectionsRepo.find(sql, { id, forUpdate });
  if (!record)
    throw new AppError(
      'not_found',
      `no connection ${id}; list connections to see the ids that exist`,
    );
  return record;
}

export async function load(
  runtime: ConnectionRuntime,
  tenant: Tenant,
  id: string,
): Promise<{ record: ConnectionRecord; connector: Connector }> {
  return runtime.db.tenant(tenant, async (sql) => {
    const record = await requireRecord(sql, id);
    return { record, connector: await requireConnector(sql, record.connectorId) };
  });
}

export function spanRecorder(
  runtime: ConnectionRuntime,
  record: ConnectionRecord,
): (span: Span) => void {
  return (span) =>
    runtime.spans.record(record.orgId, {
      ...span,
      connectionId: record.id,
      connectorId: record.connectorId,
      customerId: record.customerId,
    });
}

export function expiredError(record: ConnectionRecord, reason: string | null): AppError {
  return new AppError(
    'connection_expired',
    `${describe(record)} has expired${reason ? `: ${reason}` : ''}; the customer must reconnect`,
    {
      connectionId: record.id,
      reconnectUrl: `/api/v1/connections/oauth/start?connectionId=${record.id}`,
    },
  );
}

export function usable(record: ConnectionRecord): void {
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
