import { createHash } from 'node:crypto';
import type { Database } from '../../db/database.ts';
import * as specsRepo from '../../db/repositories/specs.repo.ts';
import { SPEC_MAX_BYTES, type Spec } from '../../domain/spec.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { recordAudit } from '../audit/audit.service.ts';

/**
 * Stores a spec once so that imports can name it by id: an agent uploads a large spec one time
 * instead of writing it into every import call. Content-addressed per org: the same text twice
 * is one row.
 */
export async function createSpec({
  db,
  tenant,
  text,
  name,
}: {
  db: Database;
  tenant: Tenant;
  text: string;
  name: string | undefined;
}): Promise<{ spec: Spec; created: boolean }> {
  requirePermission(tenant, 'connectors:create');
  const sizeBytes = Buffer.byteLength(text, 'utf8');
  if (sizeBytes > SPEC_MAX_BYTES)
    throw new AppError(
      'payload_too_large',
      `the spec is ${sizeBytes} bytes, larger than ${SPEC_MAX_BYTES}; import it by URL instead`,
      { maxBytes: SPEC_MAX_BYTES },
    );
  if (text.trim().length < 2)
    throw new AppError('validation_failed', 'the spec is empty', { field: 'text' });
  const sha256 = createHash('sha256').update(text).digest('hex');
  return db.tenant(tenant, async (sql) => {
    const result = await specsRepo.insertOrFind(sql, {
      orgId: tenant.orgId,
      name: name ?? null,
      content: text,
      sizeBytes,
      sha256,
    });
    if (result.created)
      await recordAudit(sql, {
        tenant,
        action: 'spec.create',
        resourceType: 'spec',
        resourceId: result.spec.specId,
        details: { name: name ?? null, sizeBytes, sha256 },
      });
    return result;
  });
}

export async function getSpec({
  db,
  tenant,
  specId,
  withText,
}: {
  db: Database;
  tenant: Tenant;
  specId: string;
  withText: boolean;
}): Promise<Spec & { text?: string }> {
  requirePermission(tenant, 'connectors:read');
  return db.tenant(tenant, async (sql) => {
    const spec = await specsRepo.findById(sql, { id: specId });
    if (spec === null)
      throw new AppError(
        'not_found',
        `no spec ${specId}; upload one with create_spec (or upload_spec in weft mcp) first`,
      );
    if (!withText) return spec;
    return { ...spec, text: (await specsRepo.findContent(sql, { id: specId })) ?? '' };
  });
}

/** The text of a stored spec, for the importer. */
export async function specText({
  db,
  tenant,
  specId,
}: {
  db: Database;
  tenant: Tenant;
  specId: string;
}): Promise<{ text: string; name: string | null }> {
  const spec = await getSpec({ db, tenant, specId, withText: true });
  return { text: spec.text ?? '', name: spec.name };
}
