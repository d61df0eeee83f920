import type { OwnerSql, Sql } from '../database.ts';
import type { Role } from '../../domain/tenant.ts';

export interface Organization {
  id: string;
  name: string;
  createdAt: string;
}

export interface User {
  id: string;
  email: string;
  name: string | null;
}

export async function insertOrganization(
  db: Sql,
  { id, name }: { id: string; name: string },
): Promise<Organization> {
  const rows = await db.query<{ id: string; name: string; created_at: Date }>(
    'INSERT INTO organizations (id, name) VALUES ($1, $2) RETURNING id, name, created_at',
    [id, name],
  );
  const row = rows[0] as { id: string; name: string; created_at: Date };
  return { id: row.id, name: row.name, createdAt: row.created_at.toISOString() };
}

export async function findOrganization(
  db: Sql,
  { id }: { id: string },
): Promise<Organization | null> {
  const rows = await db.query<{ id: string; name: string; created_at: Date }>(
    'SELECT id, name, created_at FROM organizations WHERE id = $1',
    [id],
  );
  const row = rows[0];
  return row ? { id: row.id, name: row.name, createdAt: row.created_at.toISOString() } : null;
}

export async function insertUser(
  db: Sql,
  { orgId, email, name }: { orgId: string; email: string; name: string | null },
): Promise<User> {
  const rows = await db.query<User>(
    // email_key: what a sign-in looks the person up by (people.repo findSignInCandidates).
    `INSERT INTO users (org_id, email, name, email_key)
     VALUES ($1, lower($2), $3, encode(sha256(convert_to('sign-in:' || lower($2), 'UTF8')), 'hex'))
     RETURNING id, email, name`,
    [orgId, email, name],
  );
  return rows[0] as User;
}

export async function insertMembership(
  db: Sql,
  { orgId, userId, role }: { orgId: string; userId: string; role: Role },
): Promise<void> {
  await db.query('INSERT INTO memberships (org_id, user_id, role) VALUES ($1, $2, $3)', [
    orgId,
    userId,
    role,
  ]);
}

export async function findFirstOwner(db: Sql): Promise<User | null> {
  const rows = await db.query<User>(
    `SELECT u.id, u.email, u.name FROM memberships m JOIN users u ON u.org_id = m.org_id AND u.id = m.user_id
      WHERE m.role = 'owner' ORDER BY m.created_at LIMIT 1`,
  );
  return rows[0] ?? null;
}

/** System table, owner connection only. */
export async function findInstallation(db: OwnerSql): Promise<{ defaultOrgId: string } | null> {
  const rows = await db.query<{ default_org_id: string }>(
    'SELECT default_org_id FROM installation',
  );
  return rows[0] ? { defaultOrgId: rows[0].default_org_id } : null;
}

export async function insertInstallation(
  db: OwnerSql,
  { defaultOrgId }: { defaultOrgId: string },
): Promise<void> {
  await db.query('INSERT INTO installation (default_org_id) VALUES ($1)', [defaultOrgId]);
}

export async function registerOrg(db: OwnerSql, { orgId }: { orgId: string }): Promise<void> {
  await db.query('INSERT INTO org_registry (org_id) VALUES ($1) ON CONFLICT DO NOTHING', [orgId]);
}

export async function listRegisteredOrgs(db: OwnerSql): Promise<string[]> {
  return (
    await db.query<{ org_id: string }>(
      'SELECT org_id FROM org_registry ORDER BY created_at, org_id',
    )
  ).map((r) => r.org_id);
}
