// Signing in with an email and a password, and the sessions that follow: a random token in an
// HttpOnly cookie (only its hash is stored), valid for SESSION_TTL_MS, acting with the person's
// current role on every request. Writes made with the cookie must carry the session's CSRF token
// (app/http.ts checks it), which only our own page can read.
import type { Database } from '../../db/database.ts';
import { findOrganization } from '../../db/repositories/orgs.repo.ts';
import * as peopleRepo from '../../db/repositories/people.repo.ts';
import type { SessionInfo, SignIn } from '../../domain/people.ts';
import type { Permission, Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { permissionsOfRole } from './roles.service.ts';
import {
  DECOY_HASH,
  csrfTokenOf,
  emailKey,
  hashToken,
  newToken,
  orgOfToken,
  verifyPassword,
} from './secrets.ts';

export const SESSION_COOKIE = 'weft_session';
export const SESSION_TTL_MS = 7 * 24 * 3600_000;

export interface StartedSession {
  readonly token: string;
  readonly orgId: string;
  readonly expiresAt: Date;
}

/** Where a sign-in came from, kept with the session for the person's list of sessions. */
export interface SessionClient {
  readonly userAgent: string | null;
  readonly ip: string | null;
}

/** The client of a request: its User-Agent (cut short) and address. */
export function sessionClientOf(request: {
  headers: Record<string, string | string[] | undefined>;
  ip: string;
}): SessionClient {
  const agent = request.headers['user-agent'];
  return {
    userAgent: typeof agent === 'string' && agent !== '' ? agent.slice(0, 300) : null,
    ip: request.ip === '' ? null : request.ip.slice(0, 64),
  };
}

export async function startSession({
  db,
  orgId,
  userId,
  client = { userAgent: null, ip: null },
}: {
  db: Database;
  orgId: string;
  userId: string;
  client?: SessionClient;
}): Promise<StartedSession> {
  const token = newToken(orgId);
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  await db.tenant({ orgId }, (sql) =>
    peopleRepo.insertSession(sql, {
      orgId,
      userId,
      tokenHash: hashToken(token),
      expiresAt,
      ...client,
    }),
  );
  return { token, orgId, expiresAt };
}

const WRONG = 'wrong email or password';

/**
 * Checks the password against every person with this email (one per org, at most a few), so a
 * person in two orgs signs in to the one whose password matches, or names the org to choose.
 * A miss costs one scrypt like a hit, so timing does not tell whether an email exists.
 */
export async function signIn({
  db,
  input,
  client,
}: {
  db: Database;
  input: SignIn;
  client?: SessionClient;
}): Promise<StartedSession> {
  const candidates = (
    await peopleRepo.findSignInCandidates(db, { emailKey: emailKey(input.email) })
  ).filter((c) => input.orgId === undefined || c.orgId === input.orgId);
  if (candidates.length === 0) {
    await verifyPassword(input.password, DECOY_HASH);
    throw new AppError('unauthorized', WRONG);
  }
  const matches = [];
  for (const candidate of candidates) {
    if (await verifyPassword(input.password, candidate.passwordHash)) matches.push(candidate);
  }
  const [match, ...others] = matches;
  if (match === undefined) throw new AppError('unauthorized', WRONG);
  if (others.length > 0) {
    throw new AppError('bad_request', 'this email signs in to several organizations: give orgId', {
      orgIds: matches.map((m) => m.orgId),
    });
  }
  return startSession({
    db,
    orgId: match.orgId,
    userId: match.userId,
    ...(client && { client }),
  });
}

/** The tenant of a request made with a session cookie. */
export async function authenticateSession({
  db,
  token,
  requestId,
}: {
  db: Database;
  token: string;
  requestId: string | null;
}): Promise<Tenant> {
  const expired = new AppError('unauthorized', 'your session has ended; sign in again');
  const orgId = orgOfToken(token);
  if (orgId === null) throw expired;
  const holder = await db.tenant({ orgId }, (sql) =>
    peopleRepo.findSession(sql, { tokenHash: hashToken(token) }),
  );
  if (!holder) throw expired;
  if (holder.role === null) {
    throw new AppError('unauthorized', 'you no longer belong to this organization');
  }
  return {
    orgId,
    customerId: null,
    // A signed-in person acts as a live key would: every environment is theirs to reach.
    mode: 'live',
    actor: { type: 'user', id: holder.userId, label: holder.email, userId: holder.userId },
    permissions: new Set<Permission>(permissionsOfRole(holder.role, holder.customPermissions)),
    requestId,
  };
}

export async function signOut({ db, token }: { db: Database; token: string }): Promise<void> {
  const orgId = orgOfToken(token);
  if (orgId === null) return;
  await db.tenant({ orgId }, (sql) =>
    peopleRepo.deleteSession(sql, { tokenHash: hashToken(token) }),
  );
}

/** Who the caller is, with the CSRF token of their cookie session (null for an API key). */
export async function sessionInfo({
  db,
  tenant,
  sessionToken,
}: {
  db: Database;
  tenant: Tenant;
  sessionToken: string | null;
}): Promise<SessionInfo> {
  const userId = tenant.actor.userId;
  if (userId === null) throw new AppError('forbidden', 'this caller is not a person');
  return db.tenant(tenant, async (sql) => {
    const person = await peopleRepo.findPerson(sql, { id: userId });
    const org = await findOrganization(sql, { id: tenant.orgId });
    if (!person || !org)
      throw new AppError('unauthorized', 'you no longer belong to this organization');
    return {
      user: { id: person.id, email: person.email, name: person.name },
      org: { id: org.id, name: org.name },
      role: person.role,
      permissions: [...tenant.permissions],
      csrfToken: sessionToken === null ? null : csrfTokenOf(sessionToken),
    };
  });
}
