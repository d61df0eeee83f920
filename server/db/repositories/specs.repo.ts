import type { Sql } from '../database.ts';
import type { Spec } from '../../domain/spec.ts';

interface SpecRow {
  readonly id: string;
  readonly name: string | null;
  readonly size_bytes: number;
  readonly sha256: string;
  readonly created_at: Date;
}

const COLUMNS = 'id, name, size_bytes, sha256, created_at';

function toSpec(row: SpecRow): Spec {
  return {
    specId: row.id,
    name: row.name,
    sizeBytes: row.size_bytes,
    sha256: row.sha256,
    createdAt: row.created_at.toISOString(),
  };
}

/** Stores the spec, or finds the copy with the same content (uploading twice keeps one row). */
export async function insertOrFind(
  db: Sql,
  {
    orgId,
    name,
    content,
    sizeBytes,
    sha256,
  }: { orgId: string; name: string | null; content: string; sizeBytes: number; sha256: string },
): Promise<{ spec: Spec; created: boolean }> {
  const rows = await db.query<SpecRow & { created: boolean }>(
    `INSERT INTO specs (org_id, name, content, size_bytes, sha256) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (org_id, sha256) DO UPDATE SET name = coalesce(EXCLUDED.name, specs.name)
     RETURNING ${COLUMNS}, (xmax = 0) AS created`,
    [orgId, name, content, sizeBytes, sha256],
  );
  const row = rows[0] as SpecRow & { created: boolean };
  return { spec: toSpec(row), created: row.created };
}

export async function findById(db: Sql, { id }: { id: string }): Promise<Spec | null> {
  const rows = await db.query<SpecRow>(`SELECT ${COLUMNS} FROM specs WHERE id = $1`, [id]);
  return rows[0] ? toSpec(rows[0]) : null;
}

export async function findContent(db: Sql, { id }: { id: string }): Promise<string | null> {
  const rows = await db.query<{ content: string }>(`SELECT content FROM specs WHERE id = $1`, [id]);
  return rows[0]?.content ?? null;
}
