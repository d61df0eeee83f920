// Deleting an organization: only its owner may, typing its name back. Everything the org owns
// goes with its row (every tenant table cascades from organizations), its audit log included,
// so the deletion is announced to the caller's log (`onDeleting`) before the row goes; keys and
// sessions stop at once (nothing is found for them, and every process drops its cached keys).
import type { Database } from '../../db/database.ts';
import * as accountRepo from '../../db/repositories/account.repo.ts';
import { findOrganization } from '../../db/repositories/orgs.repo.ts';
import * as peopleRepo from '../../db/repositories/people.repo.ts';
import type { DeleteOrganization } from '../../domain/account.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { announceAuthChange } from '../auth/auth-cache.ts';

export interface OrganizationDeletion {
  readonly orgId: string;
  readonly name: string;
  readonly by: { readonly userId: string; readonly label: string | null };
  readonly requestId: string | null;
}

export async function deleteOrganization({
  db,
  tenant,
  input,
  onDeleting,
}: {
  db: Database;
  tenant: Tenant;
  input: DeleteOrganization;
  /** Called once the checks pass, just before the delete, with what is being deleted. */
  onDeleting: (deletion: OrganizationDeletion) => void;
}): Promise<void> {
  requirePermission(tenant, 'settings:write');
  await db.tenant(tenant, async (sql) => {
    const caller = tenant.actor.userId;
    const person = caller === null ? null : await peopleRepo.findPerson(sql, { id: caller });
    if (person?.owner !== true || tenant.customerId !== null) {
      throw new AppError('forbidden', 'only the owner may delete the organization', {
        rule: 'owner_only',
      });
    }
    const org = await findOrganization(sql, { id: tenant.orgId });
    if (!org) throw new AppError('not_found', 'this organization no longer exists');
    if (input.name !== org.name) {
      throw new AppError(
        'bad_request',
        'to confirm, give the organization’s name exactly as it is (see GET /api/v1/auth/session)',
      );
    }
    onDeleting({
      orgId: org.id,
      name: org.name,
      by: { userId: person.id, label: person.email },
      requestId: tenant.requestId,
    });
    await announceAuthChange(sql, { orgId: org.id });
    await accountRepo.deleteOrganization(sql, { id: org.id });
  });
  await db.owner((sql) => accountRepo.forgetOrganization(sql, { id: tenant.orgId }));
}
