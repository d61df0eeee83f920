import type { Sql } from '../database.ts';
import type { Secret } from '../../domain/secret.ts';
import type { Actor } from '../../domain/tenant.ts';

interface SecretRow {
  readonly name: string;
  readonly created_at: Date;
  readonly updated_at: Date;
  readonly created_by_type: Actor['type'];
  readonly created_by_id: string | null;
  readonly updated_by_type: Actor['type'];
  readonly updated_by_id: string | null;
}

/** The sealed value is selected only by the functions that need it. */
const COLUMNS =
  'name, created_at, updated_at, created_by_type, created_by_id, updated_by_type, updated_by_id';

function toSecret(row: SecretRow): Secret {
  return {
    name: row.name,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    createdBy: { type: row.created_by_type, id: row.created_by_id },
    updatedBy: { type: row.updated_by_type, id: row.updated_by_id },
  };
}

export async function list(db: Sql): Promise<Secret[]> {
  const rows = await db.query<SecretRow>(`SELECT ${COLUMNS} FROM secrets ORDER BY name`);
  return rows.map(toSecret);
}

/** Creates the secret or replaces its value; `created` tells which. */
export async function upsert(
  db: Sql,
  {
    orgId,
    name,
    valueSealed,
    actor,
  }: { orgId: string; name: string; valueSealed: string; actor: Pick<Actor, 'type' | 'id'> },
): Promise<{ id: string; secret: Secret; created: boolean }> {
  const rows = await db.query<SecretRow & { id: string; created: boolean }>(
    `INSERT INTO secrets (org_id, name, value_sealed, created_by_type, created_by_id, updated_by_type, updated_by_id)
     VALUES ($1, $2, $3, $4, $5, $4, $5)
     ON CONFLICT (org_id, name) DO UPDATE SET
       value_sealed = EXCLUDED.value_sealed,
       updated_at = now(),
       updated_by_type = EXCLUDED.updated_by_type,
       updated_by_id = EXCLUDED.updated_by_id
     RETURNING id, (xmax = 0) AS created, ${COLUMNS}`,
    [orgId, name, valueSealed, actor.type, actor.id],
  );
  const row = rows[0] as SecretRow & { id: string; created: boolean };
  return { id: row.id, secret: toSecret(row), created: row.created };
}

export async function remove(db: Sql, { name }: { name: string }): Promise<{ id: string } | null> {
  const rows = await db.query<{ id: string }>('DELETE FROM secrets WHERE name = $1 RETURNING id', [
    name,
  ]);
  return rows[0] ?? null;
}

/** Sealed values by name; every secret of the org when `names` is null. */
export async function findSealed(
  db: Sql,
  { names }: { names: readonly string[] | null },
): Promise<{ name: string; valueSealed: string }[]> {
  const rows = await db.query<{ name: string; value_sealed: string }>(
    `SELECT name, value_sealed FROM secrets WHERE $1::text[] IS NULL OR name = ANY($1::text[])`,
    [names],
  );
  return rows.map((r) => ({ name: r.name, valueSealed: r.value_sealed }));
}

export async function lockAllSealed(
  db: Sql,
): Promise<{ id: string; name: string; valueSealed: string }[]> {
  const rows = await db.query<{ id: string; name: string; value_sealed: string }>(
    'SELECT id, name, value_sealed FROM secrets FOR UPDATE',
  );
  return rows.map((r) => ({ id: r.id, name: r.name, valueSealed: r.value_sealed }));
}

export async function updateSealed(
  db: Sql,
  { id, valueSealed }: { id: string; valueSealed: string },
): Promise<void> {
  await db.query('UPDATE secrets SET value_sealed = $2 WHERE id = $1', [id, valueSealed]);
}
