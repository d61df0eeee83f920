import { randomUUID } from 'node:crypto';
import type { Database } from '../../db/database.ts';
import * as orgsRepo from '../../db/repositories/orgs.repo.ts';
import type { Organization, User } from '../../db/repositories/orgs.repo.ts';
import { advisoryLock, advisoryUnlock } from '../../db/repositories/system.repo.ts';
import type { CreatedApiKey } from '../../domain/api-key.ts';
import { operatorTenant, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { insertApiKey } from '../api-keys/api-keys.service.ts';
import { recordAudit } from '../audit/audit.service.ts';

export interface CreatedOrganization {
  organization: Organization;
  owner: User;
  keys: CreatedApiKey[];
}

const BOOTSTRAP_LOCK_KEY = 0x77656675;

/** A new organization with its owner and one test and one live key (returned once). */
export async function createOrganization({
  db,
  name,
  ownerEmail,
  ownerName = null,
  actorLabel,
}: {
  db: Database;
  name: string;
  ownerEmail: string;
  ownerName?: string | null;
  actorLabel: string;
}): Promise<CreatedOrganization> {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > 200) {
    throw new AppError('validation_failed', 'organization name must be 1–200 characters');
  }
  if (!/^[^\s@]+@[^\s@]+$/.test(ownerEmail)) {
    throw new AppError(
      'validation_failed',
      `owner email ${JSON.stringify(ownerEmail)} is not an email address`,
    );
  }
  const orgId = randomUUID();
  // Registered first: an id without an org is harmless, an org missing here would be skipped
  // by installation-wide maintenance.
  await db.owner((sql) => orgsRepo.registerOrg(sql, { orgId }));
  return db.tenant({ orgId }, async (sql) => {
    const organization = await orgsRepo.insertOrganization(sql, { id: orgId, name: trimmed });
    const owner = await orgsRepo.insertUser(sql, { orgId, email: ownerEmail, name: ownerName });
    await orgsRepo.insertMembership(sql, { orgId, userId: owner.id, role: 'owner' });
    const tenant = operatorTenant({ orgId, userId: owner.id, label: actorLabel });
    await recordAudit(sql, {
      tenant,
      action: 'organization.create',
      resourceType: 'organization',
      resourceId: orgId,
      details: { name: trimmed },
    });
    const keys = [
      await insertApiKey(sql, { tenant, userId: owner.id, name: 'Default test key', kind: 'test' }),
      await insertApiKey(sql, { tenant, userId: owner.id, name: 'Default live key', kind: 'live' }),
    ];
    return { organization, owner, keys };
  });
}

/**
 * First start on an empty database: creates the first organization. Two processes starting at
 * once serialize on an advisory lock, so exactly one bootstraps; the other gets null.
 */
export async function bootstrapIfEmpty({
  db,
  actorLabel,
}: {
  db: Database;
  actorLabel: string;
}): Promise<CreatedOrganization | null> {
  return db.owner(async (sql) => {
    await advisoryLock(sql, { key: BOOTSTRAP_LOCK_KEY });
    try {
      if (await orgsRepo.findInstallation(sql)) return null;
      const created = await createOrganization({
        db,
        name: 'My organization',
        ownerEmail: 'owner@localhost',
        actorLabel,
      });
      await orgsRepo.insertInstallation(sql, { defaultOrgId: created.organization.id });
      return created;
    } finally {
      await advisoryUnlock(sql, { key: BOOTSTRAP_LOCK_KEY });
    }
  });
}

/** The operator's view of an org: for the CLI, which acts as the org's first owner. */
export async function operatorContext({
  db,
  orgId,
  actorLabel,
}: {
  db: Database;
  orgId: string | undefined;
  actorLabel: string;
}): Promise<{ tenant: Tenant; organization: Organization }> {
  const id =
    orgId ??
    (await db.owner(async (sql) => {
      const installation = await orgsRepo.findInstallation(sql);
      if (installation) return installation.defaultOrgId;
      // No first start yet: a single organization is the obvious default.
      const orgs = await orgsRepo.listRegisteredOrgs(sql);
      if (orgs.length > 1) {
        throw new AppError(
          'bad_request',
          `there are ${orgs.length} organizations: choose one with --org <id>`,
        );
      }
      return orgs[0];
    }));
  if (id === undefined)
    throw new AppError(
      'not_found',
      'no organization yet: run `weft start` once, or `weft org create <name>`',
    );
  const found = await db.tenant({ orgId: id }, async (sql) => ({
    organization: await orgsRepo.findOrganization(sql, { id }),
    owner: await orgsRepo.findFirstOwner(sql),
  }));
  if (!found.organization) throw new AppError('not_found', `no organization ${id}`);
  return {
    organization: found.organization,
    tenant: operatorTenant({ orgId: id, userId: found.owner?.id ?? null, label: actorLabel }),
  };
}
