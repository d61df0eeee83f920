// What a person does to their own account, signed in or with one of their own keys: change
// their password (the current one required; their other sessions end), see and end their
// sessions. No permission is needed: each acts only on the caller's own rows.
import type { Database } from '../../db/database.ts';
import * as accountRepo from '../../db/repositories/account.repo.ts';
import * as peopleRepo from '../../db/repositories/people.repo.ts';
import type { AccountSession, ChangePassword } from '../../domain/account.ts';
import type { Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { hashPassword, hashToken, verifyPassword } from './secrets.ts';

/** The person a caller acts for; keys and sessions act for one, the CLI and workers may not. */
export function callerPerson(tenant: Tenant): string {
  const userId = tenant.actor.userId;
  if (userId === null || tenant.customerId !== null) {
    throw new AppError('forbidden', 'this caller is not a person: use a session or a personal key');
  }
  return userId;
}

const hashOf = (sessionToken: string | null) =>
  sessionToken === null ? null : hashToken(sessionToken);

/**
 * Checks the current password and sets the new one; every other session of the person ends
 * (the one making the request, if it is a session, stays signed in).
 */
export async function changePassword({
  db,
  tenant,
  input,
  sessionToken,
}: {
  db: Database;
  tenant: Tenant;
  input: ChangePassword;
  sessionToken: string | null;
}): Promise<{ endedSessions: number }> {
  const userId = callerPerson(tenant);
  const stored = await db.tenant(tenant, (sql) => accountRepo.findPasswordHash(sql, { userId }));
  // A person without a password yet sets one through a password link (`weft people link`).
  const ok = stored !== null && (await verifyPassword(input.currentPassword, stored));
  if (!ok) {
    throw new AppError('forbidden', 'the current password is wrong', { rule: 'current_password' });
  }
  const passwordHash = await hashPassword(input.newPassword);
  return db.tenant(tenant, async (sql) => {
    await peopleRepo.setPassword(sql, { userId, passwordHash, name: null });
    const endedSessions = await accountRepo.deleteOtherSessionsOf(sql, {
      userId,
      keepHash: hashOf(sessionToken),
    });
    await recordAudit(sql, {
      tenant,
      action: 'person.change_password',
      resourceType: 'person',
      resourceId: userId,
      details: { endedSessions },
    });
    return { endedSessions };
  });
}

export async function listOwnSessions({
  db,
  tenant,
  sessionToken,
}: {
  db: Database;
  tenant: Tenant;
  sessionToken: string | null;
}): Promise<AccountSession[]> {
  const userId = callerPerson(tenant);
  return db.tenant(tenant, (sql) =>
    accountRepo.listSessionsOf(sql, { userId, currentHash: hashOf(sessionToken) }),
  );
}

/** Ends one of the caller's sessions; answers whether it was the one making the request. */
export async function endOwnSession({
  db,
  tenant,
  id,
  sessionToken,
}: {
  db: Database;
  tenant: Tenant;
  id: string;
  sessionToken: string | null;
}): Promise<{ current: boolean }> {
  const userId = callerPerson(tenant);
  return db.tenant(tenant, async (sql) => {
    const ended = await accountRepo.deleteSessionOf(sql, {
      userId,
      id,
      currentHash: hashOf(sessionToken),
    });
    if (!ended) throw new AppError('not_found', `no session ${id} of yours; list your sessions`);
    await recordAudit(sql, {
      tenant,
      action: 'session.end',
      resourceType: 'session',
      resourceId: id,
    });
    return ended;
  });
}

/** Ends every session of the caller but the one making the request. */
export async function endOtherSessions({
  db,
  tenant,
  sessionToken,
}: {
  db: Database;
  tenant: Tenant;
  sessionToken: string | null;
}): Promise<{ endedSessions: number }> {
  const userId = callerPerson(tenant);
  return db.tenant(tenant, async (sql) => {
    const endedSessions = await accountRepo.deleteOtherSessionsOf(sql, {
      userId,
      keepHash: hashOf(sessionToken),
    });
    await recordAudit(sql, {
      tenant,
      action: 'session.end_others',
      resourceType: 'person',
      resourceId: userId,
      details: { endedSessions },
    });
    return { endedSessions };
  });
}
