// People of an organization: invited by email with a one-time link (no mail is sent: the link is
// returned to the inviter), who accept it by choosing a password; their role changed; removed.
// There is one owner, who may hand ownership to someone else (and becomes an admin).
import type { Database, Sql } from '../../db/database.ts';
import * as peopleRepo from '../../db/repositories/people.repo.ts';
import type {
  AcceptInvitation,
  CreatedInvitation,
  Invitation,
  InvitePerson,
  Person,
} from '../../domain/people.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { announceAuthChange } from '../auth/auth-cache.ts';
import { requireGrantable, resolveRole } from './roles.service.ts';
import { hashPassword, hashToken, newToken, orgOfToken } from './secrets.ts';
import { startSession, type SessionClient, type StartedSession } from './sessions.service.ts';
import { insertMembership, insertUser } from '../../db/repositories/orgs.repo.ts';

export const INVITATION_TTL_MS = 7 * 24 * 3600_000;

function noPerson(id: string): AppError {
  return new AppError('not_found', `no person ${id} in this organization; list people to see them`);
}

/** The link a person opens; the token is in the fragment, which browsers never send or log. */
export function invitationLink(baseUrl: string, token: string): string {
  return `${baseUrl.replace(/\/$/, '')}/accept-invite#token=${token}`;
}

export async function listPeople({
  db,
  tenant,
}: {
  db: Database;
  tenant: Tenant;
}): Promise<Person[]> {
  requirePermission(tenant, 'people:read');
  return db.tenant(tenant, (sql) => peopleRepo.listPeople(sql));
}

async function createLink(
  sql: Sql,
  {
    tenant,
    email,
    role,
    userId,
    baseUrl,
  }: { tenant: Tenant; email: string; role: string; userId: string | null; baseUrl: string },
): Promise<CreatedInvitation> {
  const token = newToken(tenant.orgId);
  const invitation = await peopleRepo.insertInvitation(sql, {
    orgId: tenant.orgId,
    email,
    role,
    userId,
    tokenHash: hashToken(token),
    invitedBy: tenant.actor.userId,
    expiresAt: new Date(Date.now() + INVITATION_TTL_MS),
  });
  await recordAudit(sql, {
    tenant,
    action: userId === null ? 'person.invite' : 'person.password_link',
    resourceType: 'invitation',
    resourceId: invitation.id,
    details: { email, role },
  });
  return { ...invitation, link: invitationLink(baseUrl, token) };
}

export async function invitePerson({
  db,
  tenant,
  input,
  baseUrl,
}: {
  db: Database;
  tenant: Tenant;
  input: InvitePerson;
  baseUrl: string;
}): Promise<CreatedInvitation> {
  requirePermission(tenant, 'people:write');
  return db.tenant(tenant, async (sql) => {
    requireGrantable(tenant, await resolveRole(sql, input.role));
    if (await peopleRepo.findUserByEmail(sql, { email: input.email })) {
      throw new AppError('conflict', `${input.email} is already in this organization`);
    }
    return createLink(sql, { tenant, email: input.email, role: input.role, userId: null, baseUrl });
  });
}

/**
 * A one-time link with which an existing person chooses a (new) password: how the first owner
 * of a fresh installation signs in (`weft people link`).
 */
export async function passwordLink({
  db,
  tenant,
  email,
  baseUrl,
}: {
  db: Database;
  tenant: Tenant;
  email: string;
  baseUrl: string;
}): Promise<CreatedInvitation> {
  requirePermission(tenant, 'people:write');
  return db.tenant(tenant, async (sql) => {
    const person = await peopleRepo.findPersonByEmail(sql, { email });
    if (!person) throw new AppError('not_found', `nobody in this organization has email ${email}`);
    return createLink(sql, { tenant, email, role: person.role, userId: person.id, baseUrl });
  });
}

export async function listInvitations({
  db,
  tenant,
}: {
  db: Database;
  tenant: Tenant;
}): Promise<Invitation[]> {
  requirePermission(tenant, 'people:read');
  return db.tenant(tenant, (sql) => peopleRepo.listInvitations(sql));
}

export async function revokeInvitation({
  db,
  tenant,
  id,
}: {
  db: Database;
  tenant: Tenant;
  id: string;
}): Promise<void> {
  requirePermission(tenant, 'people:write');
  await db.tenant(tenant, async (sql) => {
    if (!(await peopleRepo.deleteInvitation(sql, { id }))) {
      throw new AppError('not_found', `no invitation ${id}`);
    }
    await recordAudit(sql, {
      tenant,
      action: 'invitation.revoke',
      resourceType: 'invitation',
      resourceId: id,
    });
  });
}

/** Accepting a link: the person joins (or sets their password) and is signed in. */
export async function acceptInvitation({
  db,
  input,
  requestId = null,
  client,
}: {
  db: Database;
  input: AcceptInvitation;
  /** The request that carried it, for the audit entry. */
  requestId?: string | null;
  /** Where it was accepted from, kept with the session it starts. */
  client?: SessionClient;
}): Promise<StartedSession> {
  const invalid = new AppError(
    'bad_request',
    'this invitation link is not valid, was already used or has expired; ask for a new one',
  );
  const orgId = orgOfToken(input.token);
  if (orgId === null) throw invalid;
  const passwordHash = await hashPassword(input.password);
  const userId = await db.tenant({ orgId }, async (sql) => {
    const invitation = await peopleRepo.takeInvitation(sql, { tokenHash: hashToken(input.token) });
    if (!invitation) throw invalid;
    let id = invitation.userId;
    if (id === null) {
      if (await peopleRepo.findUserByEmail(sql, { email: invitation.email })) {
        throw new AppError('conflict', `${invitation.email} is already in this organization`);
      }
      const user = await insertUser(sql, {
        orgId,
        email: invitation.email,
        name: input.name ?? null,
      });
      await insertMembership(sql, { orgId, userId: user.id, role: invitation.role });
      id = user.id;
    }
    await peopleRepo.setPassword(sql, { userId: id, passwordHash, name: input.name ?? null });
    const tenant = {
      orgId,
      customerId: null,
      mode: null,
      actor: { type: 'user' as const, id, label: invitation.email, userId: id },
      permissions: new Set<never>(),
      requestId,
    };
    await recordAudit(sql, {
      tenant,
      action: invitation.userId === null ? 'person.join' : 'person.set_password',
      resourceType: 'person',
      resourceId: id,
      details: { email: invitation.email, role: invitation.role },
    });
    return id;
  });
  return startSession({ db, orgId, userId, ...(client && { client }) });
}

export async function changeRole({
  db,
  tenant,
  userId,
  role,
}: {
  db: Database;
  tenant: Tenant;
  userId: string;
  role: string;
}): Promise<Person> {
  requirePermission(tenant, 'people:write');
  if (role === 'owner') {
    throw new AppError('conflict', 'there is one owner: transfer ownership instead');
  }
  return db.tenant(tenant, async (sql) => {
    const person = await peopleRepo.findPerson(sql, { id: userId });
    if (!person) throw noPerson(userId);
    if (person.owner) {
      throw new AppError('conflict', "the owner's role changes only by transferring ownership");
    }
    requireGrantable(tenant, await resolveRole(sql, role));
    // Taking away a role is handing out less; but only someone who could grant the old role may.
    requireGrantable(tenant, await resolveRole(sql, person.role));
    await peopleRepo.setRole(sql, { userId, role });
    await announceAuthChange(sql, { userId });
    await recordAudit(sql, {
      tenant,
      action: 'person.change_role',
      resourceType: 'person',
      resourceId: userId,
      details: { from: person.role, to: role },
    });
    return (await peopleRepo.findPerson(sql, { id: userId })) as Person;
  });
}

export async function removePerson({
  db,
  tenant,
  userId,
}: {
  db: Database;
  tenant: Tenant;
  userId: string;
}): Promise<void> {
  requirePermission(tenant, 'people:write');
  await db.tenant(tenant, async (sql) => {
    const person = await peopleRepo.findPerson(sql, { id: userId });
    if (!person) throw noPerson(userId);
    if (person.owner) {
      throw new AppError('conflict', 'the owner cannot be removed: transfer ownership first');
    }
    requireGrantable(tenant, await resolveRole(sql, person.role));
    // Their API keys and sessions go with them (foreign keys), in every process at once.
    await peopleRepo.deleteUser(sql, { id: userId });
    await announceAuthChange(sql, { userId });
    await recordAudit(sql, {
      tenant,
      action: 'person.remove',
      resourceType: 'person',
      resourceId: userId,
      details: { email: person.email, role: person.role },
    });
  });
}

/** Only the owner may: the new owner gets every right, the old one becomes an admin. */
export async function transferOwnership({
  db,
  tenant,
  userId,
}: {
  db: Database;
  tenant: Tenant;
  userId: string;
}): Promise<Person[]> {
  requirePermission(tenant, 'people:write');
  return db.tenant(tenant, async (sql) => {
    const caller = tenant.actor.userId;
    const current = caller === null ? null : await peopleRepo.findPerson(sql, { id: caller });
    // The operator's CLI acts as the org's first owner.
    const isOwner = current?.owner === true;
    if (!isOwner) {
      throw new AppError('forbidden', 'only the owner may transfer ownership', {
        rule: 'owner_only',
      });
    }
    const target = await peopleRepo.findPerson(sql, { id: userId });
    if (!target) throw noPerson(userId);
    if (target.owner) return peopleRepo.listPeople(sql);
    await peopleRepo.setRole(sql, { userId: current.id, role: 'admin' });
    await peopleRepo.setRole(sql, { userId, role: 'owner' });
    await announceAuthChange(sql, { userId });
    await announceAuthChange(sql, { userId: current.id });
    await recordAudit(sql, {
      tenant,
      action: 'organization.transfer_ownership',
      resourceType: 'person',
      resourceId: userId,
      details: { from: current.id, to: userId },
    });
    return peopleRepo.listPeople(sql);
  });
}
