import type { Database, Sql } from '../database.ts';
import type { Invitation, Person } from '../../domain/people.ts';

interface PersonRow {
  readonly id: string;
  readonly email: string;
  readonly name: string | null;
  readonly role: string;
  readonly has_password: boolean;
  readonly joined_at: Date;
}

function toPerson(row: PersonRow): Person {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    owner: row.role === 'owner',
    canSignIn: row.has_password,
    joinedAt: row.joined_at.toISOString(),
  };
}

const PERSON = `SELECT u.id, u.email, u.name, m.role, u.password_hash IS NOT NULL AS has_password,
  m.created_at AS joined_at
  FROM memberships m JOIN users u ON u.org_id = m.org_id AND u.id = m.user_id`;

export async function listPeople(db: Sql): Promise<Person[]> {
  const rows = await db.query<PersonRow>(`${PERSON} ORDER BY m.created_at, u.email`);
  return rows.map(toPerson);
}

export async function findPerson(db: Sql, { id }: { id: string }): Promise<Person | null> {
  const rows = await db.query<PersonRow>(`${PERSON} WHERE u.id = $1`, [id]);
  return rows[0] ? toPerson(rows[0]) : null;
}

export async function findPersonByEmail(
  db: Sql,
  { email }: { email: string },
): Promise<Person | null> {
  const rows = await db.query<PersonRow>(`${PERSON} WHERE u.email = lower($1)`, [email]);
  return rows[0] ? toPerson(rows[0]) : null;
}

export async function findUserByEmail(
  db: Sql,
  { email }: { email: string },
): Promise<{ id: string } | null> {
  const rows = await db.query<{ id: string }>('SELECT id FROM users WHERE email = lower($1)', [
    email,
  ]);
  return rows[0] ?? null;
}

export async function setRole(
  db: Sql,
  { userId, role }: { userId: string; role: string },
): Promise<void> {
  await db.query('UPDATE memberships SET role = $2 WHERE user_id = $1', [userId, role]);
}

export async function countWithRole(db: Sql, { role }: { role: string }): Promise<number> {
  const rows = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM memberships WHERE role = $1',
    [role],
  );
  return rows[0]?.n ?? 0;
}

/** The person and everything that acts for them (keys, sessions) go; the audit log keeps ids. */
export async function deleteUser(db: Sql, { id }: { id: string }): Promise<void> {
  await db.query('DELETE FROM users WHERE id = $1', [id]);
}

export async function setPassword(
  db: Sql,
  { userId, passwordHash, name }: { userId: string; passwordHash: string; name: string | null },
): Promise<void> {
  await db.query('UPDATE users SET password_hash = $2, name = coalesce($3, name) WHERE id = $1', [
    userId,
    passwordHash,
    name,
  ]);
}

export interface SignInCandidate {
  readonly orgId: string;
  readonly userId: string;
  readonly passwordHash: string;
}

/**
 * The people, in any org, with this email key who can sign in: in one batch as weft_app with
 * only the key set, the `sign_in_lookup` policy shows those rows and no other.
 */
export async function findSignInCandidates(
  db: Database,
  { emailKey }: { emailKey: string },
): Promise<SignInCandidate[]> {
  const results = await db.batch(
    { keyHash: emailKey },
    `SELECT org_id, id, password_hash FROM users
      WHERE email_key = weft_current_key_hash() AND password_hash IS NOT NULL
      ORDER BY created_at LIMIT 20`,
  );
  const rows = (results[0] ?? []) as { org_id: string; id: string; password_hash: string }[];
  return rows.map((r) => ({ orgId: r.org_id, userId: r.id, passwordHash: r.password_hash }));
}

interface InvitationRow {
  readonly id: string;
  readonly email: string;
  readonly role: string;
  readonly user_id: string | null;
  readonly invited_by: string | null;
  readonly created_at: Date;
  readonly expires_at: Date;
  readonly accepted_at: Date | null;
}

const INVITATION = 'id, email, role, user_id, invited_by, created_at, expires_at, accepted_at';

function toInvitation(row: InvitationRow): Invitation {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    invitedBy: row.invited_by,
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
    acceptedAt: row.accepted_at?.toISOString() ?? null,
  };
}

export async function insertInvitation(
  db: Sql,
  args: {
    orgId: string;
    email: string;
    role: string;
    userId: string | null;
    tokenHash: string;
    invitedBy: string | null;
    expiresAt: Date;
  },
): Promise<Invitation> {
  const rows = await db.query<InvitationRow>(
    `INSERT INTO invitations (org_id, email, role, user_id, token_hash, invited_by, expires_at)
     VALUES ($1, lower($2), $3, $4, $5, $6, $7) RETURNING ${INVITATION}`,
    [
      args.orgId,
      args.email,
      args.role,
      args.userId,
      args.tokenHash,
      args.invitedBy,
      args.expiresAt,
    ],
  );
  return toInvitation(rows[0] as InvitationRow);
}

export async function listInvitations(db: Sql): Promise<Invitation[]> {
  const rows = await db.query<InvitationRow>(
    `SELECT ${INVITATION} FROM invitations WHERE accepted_at IS NULL AND expires_at > now()
      ORDER BY created_at DESC LIMIT 500`,
  );
  return rows.map(toInvitation);
}

export async function deleteInvitation(db: Sql, { id }: { id: string }): Promise<boolean> {
  const rows = await db.query('DELETE FROM invitations WHERE id = $1 RETURNING id', [id]);
  return rows.length > 0;
}

/** Marks an open, unexpired invitation used and returns it; null when there is none. */
export async function takeInvitation(
  db: Sql,
  { tokenHash }: { tokenHash: string },
): Promise<(Invitation & { userId: string | null }) | null> {
  const rows = await db.query<InvitationRow>(
    `UPDATE invitations SET accepted_at = now()
      WHERE token_hash = $1 AND accepted_at IS NULL AND expires_at > now()
      RETURNING ${INVITATION}`,
    [tokenHash],
  );
  const row = rows[0];
  return row ? { ...toInvitation(row), userId: row.user_id } : null;
}

export async function insertSession(
  db: Sql,
  args: {
    orgId: string;
    userId: string;
    tokenHash: string;
    expiresAt: Date;
    userAgent: string | null;
    ip: string | null;
  },
): Promise<void> {
  await db.query(
    `INSERT INTO sessions (org_id, user_id, token_hash, expires_at, user_agent, ip)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [args.orgId, args.userId, args.tokenHash, args.expiresAt, args.userAgent, args.ip],
  );
}

export interface SessionHolder {
  readonly userId: string;
  readonly email: string;
  readonly name: string | null;
  readonly role: string | null;
  readonly customPermissions: string[] | null;
}

/** The signed-in person behind a session token, with their role; null when there is none. */
export async function findSession(
  db: Sql,
  { tokenHash }: { tokenHash: string },
): Promise<SessionHolder | null> {
  const rows = await db.query<{
    user_id: string;
    email: string;
    name: string | null;
    role: string | null;
    permissions: string[] | null;
  }>(
    `SELECT s.user_id, u.email, u.name, m.role, r.permissions
       FROM sessions s
       JOIN users u ON u.org_id = s.org_id AND u.id = s.user_id
       LEFT JOIN memberships m ON m.org_id = s.org_id AND m.user_id = s.user_id
       LEFT JOIN roles r ON r.org_id = m.org_id AND r.slug = m.role
      WHERE s.token_hash = $1 AND s.expires_at > now()`,
    [tokenHash],
  );
  const row = rows[0];
  return row
    ? {
        userId: row.user_id,
        email: row.email,
        name: row.name,
        role: row.role,
        customPermissions: row.permissions,
      }
    : null;
}

export async function deleteSession(db: Sql, { tokenHash }: { tokenHash: string }): Promise<void> {
  await db.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
}

export async function deleteSessionsOf(db: Sql, { userId }: { userId: string }): Promise<void> {
  await db.query('DELETE FROM sessions WHERE user_id = $1', [userId]);
}
