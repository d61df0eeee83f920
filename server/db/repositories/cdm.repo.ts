import type { Sql } from '../database.ts';

export type Direction = 'to_canonical' | 'from_canonical';

export interface StoredMapping {
  id: string;
  connectorId: string;
  entity: string;
  direction: Direction;
  version: number;
  fields: Record<string, string>;
  note: string | null;
  createdAt: string;
}

interface MappingRow {
  id: string;
  connector_id: string;
  entity: string;
  direction: Direction;
  version: number;
  fields: Record<string, string>;
  note: string | null;
  created_at: Date;
}

const COLUMNS = 'id, connector_id, entity, direction, version, fields, note, created_at';

function toMapping(r: MappingRow): StoredMapping {
  return {
    id: r.id,
    connectorId: r.connector_id,
    entity: r.entity,
    direction: r.direction,
    version: r.version,
    fields: r.fields,
    note: r.note,
    createdAt: r.created_at.toISOString(),
  };
}

/** The next version, computed and inserted in one statement (a concurrent save gets a conflict). */
export async function insertVersion(
  db: Sql,
  m: {
    orgId: string;
    connectorId: string;
    entity: string;
    direction: Direction;
    fields: Record<string, string>;
    note: string | null;
  },
): Promise<StoredMapping> {
  const rows = await db.query<MappingRow>(
    `INSERT INTO cdm_mappings (org_id, connector_id, entity, direction, version, fields, note)
     SELECT $1, $2, $3, $4, coalesce(max(version), 0) + 1, $5, $6
       FROM cdm_mappings WHERE connector_id = $2 AND entity = $3 AND direction = $4
     RETURNING ${COLUMNS}`,
    [m.orgId, m.connectorId, m.entity, m.direction, JSON.stringify(m.fields), m.note],
  );
  return toMapping(rows[0] as MappingRow);
}

export async function findMapping(
  db: Sql,
  {
    connectorId,
    entity,
    direction,
    version,
  }: { connectorId: string; entity: string; direction: Direction; version: number | null },
): Promise<StoredMapping | null> {
  const rows = await db.query<MappingRow>(
    `SELECT ${COLUMNS} FROM cdm_mappings
      WHERE connector_id = $1 AND entity = $2 AND direction = $3 AND ($4::int IS NULL OR version = $4)
      ORDER BY version DESC LIMIT 1`,
    [connectorId, entity, direction, version],
  );
  return rows[0] ? toMapping(rows[0]) : null;
}

export async function listVersions(
  db: Sql,
  { connectorId, entity, direction }: { connectorId: string; entity: string; direction: Direction },
): Promise<StoredMapping[]> {
  const rows = await db.query<MappingRow>(
    `SELECT ${COLUMNS} FROM cdm_mappings WHERE connector_id = $1 AND entity = $2 AND direction = $3 ORDER BY version DESC`,
    [connectorId, entity, direction],
  );
  return rows.map(toMapping);
}

export async function upsertOverride(
  db: Sql,
  o: {
    orgId: string;
    customerId: string;
    connectorId: string;
    entity: string;
    direction: Direction;
    fields: Record<string, string>;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO cdm_mapping_overrides (org_id, customer_id, connector_id, entity, direction, fields)
     VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (org_id, customer_id, connector_id, entity, direction) DO UPDATE SET fields = EXCLUDED.fields, updated_at = now()`,
    [o.orgId, o.customerId, o.connectorId, o.entity, o.direction, JSON.stringify(o.fields)],
  );
}

export async function findOverride(
  db: Sql,
  {
    customerId,
    connectorId,
    entity,
    direction,
  }: { customerId: string; connectorId: string; entity: string; direction: Direction },
): Promise<Record<string, string> | null> {
  const rows = await db.query<{ fields: Record<string, string> }>(
    'SELECT fields FROM cdm_mapping_overrides WHERE customer_id = $1 AND connector_id = $2 AND entity = $3 AND direction = $4',
    [customerId, connectorId, entity, direction],
  );
  return rows[0]?.fields ?? null;
}

export async function listCustomFields(
  db: Sql,
  { entity }: { entity: string },
): Promise<{ name: string; type: string }[]> {
  return db.query<{ name: string; type: string }>(
    'SELECT name, type FROM cdm_custom_fields WHERE entity = $1 ORDER BY name',
    [entity],
  );
}

export async function insertCustomField(
  db: Sql,
  f: { orgId: string; entity: string; name: string; type: string },
): Promise<void> {
  await db.query(
    'INSERT INTO cdm_custom_fields (org_id, entity, name, type) VALUES ($1, $2, $3, $4)',
    [f.orgId, f.entity, f.name, f.type],
  );
}

/** The latest version of each mapping, optionally of one connector or entity. */
export async function listLatest(
  db: Sql,
  { connectorId, entity }: { connectorId: string | null; entity: string | null },
): Promise<(StoredMapping & { connectorSlug: string })[]> {
  const rows = await db.query<MappingRow & { connector_slug: string }>(
    `SELECT DISTINCT ON (m.connector_id, m.entity, m.direction)
            m.id, m.connector_id, m.entity, m.direction, m.version, m.fields, m.note, m.created_at,
            c.slug AS connector_slug
       FROM cdm_mappings m JOIN connectors c ON c.id = m.connector_id
      WHERE ($1::uuid IS NULL OR m.connector_id = $1) AND ($2::text IS NULL OR m.entity = $2)
      ORDER BY m.connector_id, m.entity, m.direction, m.version DESC
      LIMIT 500`,
    [connectorId, entity],
  );
  return rows.map((r) => ({ ...toMapping(r), connectorSlug: r.connector_slug }));
}
