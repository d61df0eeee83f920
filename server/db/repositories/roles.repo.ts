import type { Sql } from '../database.ts';

export interface CustomRoleRow {
  readonly slug: string;
  readonly name: string;
  readonly description: string;
  readonly permissions: string[];
}

const COLUMNS = 'slug, name, description, permissions';

export async function list(db: Sql): Promise<CustomRoleRow[]> {
  return db.query<CustomRoleRow>(`SELECT ${COLUMNS} FROM roles ORDER BY created_at, slug`);
}

export async function find(db: Sql, { slug }: { slug: string }): Promise<CustomRoleRow | null> {
  const rows = await db.query<CustomRoleRow>(`SELECT ${COLUMNS} FROM roles WHERE slug = $1`, [
    slug,
  ]);
  return rows[0] ?? null;
}

export async function insert(
  db: Sql,
  args: { orgId: string } & CustomRoleRow,
): Promise<CustomRoleRow | null> {
  const rows = await db.query<CustomRoleRow>(
    `INSERT INTO roles (org_id, slug, name, description, permissions) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (org_id, slug) DO NOTHING RETURNING ${COLUMNS}`,
    [args.orgId, args.slug, args.name, args.description, args.permissions],
  );
  return rows[0] ?? null;
}

export async function update(
  db: Sql,
  args: { slug: string; name?: string; description?: string; permissions?: string[] },
): Promise<CustomRoleRow | null> {
  const rows = await db.query<CustomRoleRow>(
    `UPDATE roles SET name = coalesce($2, name), description = coalesce($3, description),
        permissions = coalesce($4, permissions), updated_at = now()
      WHERE slug = $1 RETURNING ${COLUMNS}`,
    [args.slug, args.name ?? null, args.description ?? null, args.permissions ?? null],
  );
  return rows[0] ?? null;
}

export async function remove(db: Sql, { slug }: { slug: string }): Promise<boolean> {
  return (await db.query('DELETE FROM roles WHERE slug = $1 RETURNING slug', [slug])).length > 0;
}

/** How many people hold each role. */
export async function holders(db: Sql): Promise<Map<string, number>> {
  const rows = await db.query<{ role: string; n: number }>(
    'SELECT role, count(*)::int AS n FROM memberships GROUP BY role',
  );
  return new Map(rows.map((r) => [r.role, r.n]));
}
