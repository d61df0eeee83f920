import type { Sql } from '../database.ts';
import type { Customer } from '../../domain/customer.ts';

interface CustomerRow {
  readonly id: string;
  readonly external_id: string | null;
  readonly name: string;
  readonly metadata: Record<string, unknown>;
  readonly gateway_connectors: string[] | null;
  readonly created_at: Date;
  readonly updated_at: Date;
}

const COLUMNS = 'id, external_id, name, metadata, gateway_connectors, created_at, updated_at';

function toCustomer(row: CustomerRow): Customer {
  return {
    id: row.id,
    externalId: row.external_id,
    name: row.name,
    metadata: row.metadata,
    gatewayConnectors: row.gateway_connectors,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function insert(
  db: Sql,
  {
    orgId,
    name,
    externalId,
    metadata,
  }: { orgId: string; name: string; externalId: string | null; metadata: Record<string, unknown> },
): Promise<Customer> {
  const rows = await db.query<CustomerRow>(
    `INSERT INTO customers (org_id, name, external_id, metadata) VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
    [orgId, name, externalId, JSON.stringify(metadata)],
  );
  return toCustomer(rows[0] as CustomerRow);
}

export async function findById(db: Sql, { id }: { id: string }): Promise<Customer | null> {
  const rows = await db.query<CustomerRow>(`SELECT ${COLUMNS} FROM customers WHERE id = $1`, [id]);
  return rows[0] ? toCustomer(rows[0]) : null;
}

export async function list(
  db: Sql,
  {
    limit,
    after,
    externalId,
  }: { limit: number; after: { createdAt: string; id: string } | null; externalId: string | null },
): Promise<Customer[]> {
  const rows = await db.query<CustomerRow>(
    `SELECT ${COLUMNS} FROM customers
      WHERE ($1::text IS NULL OR external_id = $1)
        AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
      ORDER BY created_at DESC, id DESC
      LIMIT $4`,
    [externalId, after?.createdAt ?? null, after?.id ?? null, limit],
  );
  return rows.map(toCustomer);
}

export async function update(
  db: Sql,
  {
    id,
    name,
    externalId,
    metadata,
    gatewayConnectors,
  }: {
    id: string;
    name?: string;
    externalId?: string | null;
    metadata?: Record<string, unknown>;
    gatewayConnectors?: string[] | null;
  },
): Promise<Customer | null> {
  const rows = await db.query<CustomerRow>(
    `UPDATE customers SET
        name = coalesce($2, name),
        external_id = CASE WHEN $3::boolean THEN $4 ELSE external_id END,
        metadata = coalesce($5::jsonb, metadata),
        gateway_connectors = CASE WHEN $6::boolean THEN $7::text[] ELSE gateway_connectors END,
        updated_at = now()
      WHERE id = $1
      RETURNING ${COLUMNS}`,
    [
      id,
      name ?? null,
      externalId !== undefined,
      externalId ?? null,
      metadata === undefined ? null : JSON.stringify(metadata),
      gatewayConnectors !== undefined,
      gatewayConnectors ?? null,
    ],
  );
  return rows[0] ? toCustomer(rows[0]) : null;
}

export async function remove(db: Sql, { id }: { id: string }): Promise<boolean> {
  const rows = await db.query('DELETE FROM customers WHERE id = $1 RETURNING id', [id]);
  return rows.length > 0;
}
