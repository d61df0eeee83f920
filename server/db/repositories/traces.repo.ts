import type { Sql } from '../database.ts';
import type { Span } from '../../engine/types.ts';

export interface StoredSpan extends Span {
  connectionId: string | null;
  connectorId: string | null;
  customerId: string | null;
}

export async function insertMany(
  db: Sql,
  { orgId, spans }: { orgId: string; spans: readonly StoredSpan[] },
): Promise<void> {
  if (spans.length === 0) return;
  const values: unknown[] = [];
  const tuples = spans.map((s, i) => {
    values.push(
      orgId,
      s.traceId,
      s.customerId,
      s.connectionId,
      s.connectorId,
      s.kind,
      s.name,
      s.method,
      s.url,
      s.status,
      s.durationMs,
      s.attempts,
      s.error,
      s.startedAt,
      s.requestHeaders === undefined ? null : JSON.stringify(s.requestHeaders),
    );
    const base = i * 15;
    return `(${Array.from({ length: 15 }, (_, j) => `$${base + j + 1}`).join(', ')})`;
  });
  await db.query(
    `INSERT INTO trace_spans (org_id, trace_id, customer_id, connection_id, connector_id, kind, name, method, url, status, duration_ms, attempts, error, started_at, request_headers)
     VALUES ${tuples.join(', ')}`,
    values,
  );
}

interface SpanRow {
  trace_id: string;
  customer_id: string | null;
  connection_id: string | null;
  connector_id: string | null;
  kind: Span['kind'];
  name: string;
  method: string;
  url: string;
  status: number | null;
  duration_ms: number;
  attempts: number;
  error: string | null;
  started_at: Date;
  request_headers: Record<string, string> | null;
}

function toSpan(r: SpanRow): StoredSpan {
  return {
    traceId: r.trace_id,
    customerId: r.customer_id,
    connectionId: r.connection_id,
    connectorId: r.connector_id,
    kind: r.kind,
    name: r.name,
    method: r.method,
    url: r.url,
    status: r.status,
    durationMs: r.duration_ms,
    attempts: r.attempts,
    error: r.error,
    startedAt: r.started_at,
    ...(r.request_headers !== null && { requestHeaders: r.request_headers }),
  };
}

const COLUMNS =
  'trace_id, customer_id, connection_id, connector_id, kind, name, method, url, status, duration_ms, attempts, error, started_at, request_headers';

export async function listByTrace(
  db: Sql,
  { traceId }: { traceId: string },
): Promise<StoredSpan[]> {
  return (
    await db.query<SpanRow>(
      `SELECT ${COLUMNS} FROM trace_spans WHERE trace_id = $1 ORDER BY started_at`,
      [traceId],
    )
  ).map(toSpan);
}

export async function listByConnection(
  db: Sql,
  { connectionId, limit }: { connectionId: string; limit: number },
): Promise<StoredSpan[]> {
  return (
    await db.query<SpanRow>(
      `SELECT ${COLUMNS} FROM trace_spans WHERE connection_id = $1 ORDER BY started_at DESC LIMIT $2`,
      [connectionId, limit],
    )
  ).map(toSpan);
}
