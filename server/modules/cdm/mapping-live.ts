/**
 * Mappings checked against what the API really returns: preview_mapping can fetch records
 * through a connection and action and preview each (a mapping that passes on one hand-written
 * record can fail on the second live one), and saved mappings can be listed. Kept out of
 * cdm.service.ts, which stays about mappings themselves; this file is where mappings meet
 * connections.
 */
import type { z } from 'zod';
import type { PreviewRow } from '../../cdm/mapping.ts';
import type { PreviewRequestSchema } from '../../domain/cdm.ts';
import { locateRecordsInSample, recordsAt } from '../../cdm/suggest.ts';
import type { Database } from '../../db/database.ts';
import * as cdmRepo from '../../db/repositories/cdm.repo.ts';
import type { Direction, StoredMapping } from '../../db/repositories/cdm.repo.ts';
import * as connectorsRepo from '../../db/repositories/connectors.repo.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { runAction } from '../connections/actions.service.ts';
import { requireRecord } from '../connections/records.ts';
import type { ConnectionRuntime } from '../connections/runtime.ts';
import { requireConnector } from '../connectors/connectors.service.ts';
import { previewMapping, requireEntity } from './cdm.service.ts';

export interface LivePreview {
  data: PreviewRow[];
  warnings: string[];
  /** One entry per live record previewed: its index and the fields that failed. */
  samples?: { index: number; errors: { field: string; error: string }[] }[];
  traceId?: string;
}

/**
 * Previews a mapping on up to `maxRecords` records that `action` returns through `connectionId`
 * (`data` shows the first record; `samples` lists every record's failures). The connector is
 * the connection's when not given, so the saved mapping can be previewed without naming it.
 */
export async function previewLive({
  runtime,
  tenant,
  connectionId,
  action,
  input,
  maxRecords,
  entity,
  direction,
  fields,
  connector,
  customerId,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connectionId: string;
  action: string;
  input: Record<string, unknown>;
  maxRecords: number;
  entity: string;
  direction: Direction;
  fields: Record<string, string> | undefined;
  connector: string | undefined;
  customerId: string | null;
}): Promise<LivePreview> {
  requirePermission(tenant, 'connectors:read');
  requireEntity(entity);
  const { connectorSlug, itemsPath } = await runtime.db.tenant(tenant, async (sql) => {
    const record = await requireRecord(sql, connectionId);
    const found = await requireConnector(sql, record.connectorId);
    const act = await connectorsRepo.findAction(sql, { connectorId: found.id, ref: action });
    if (!act)
      throw new AppError('not_found', `connector '${found.slug}' has no action '${action}'`);
    return {
      connectorSlug: found.slug,
      itemsPath: act.pagination?.style === 'link' ? undefined : act.pagination?.itemsPath,
    };
  });
  const result = await runAction({
    runtime,
    tenant,
    connectionId,
    action,
    input,
    allPages: false,
    maxItems: maxRecords,
  });
  if (!result.ok)
    throw new AppError(
      'upstream_error',
      `${action} answered ${result.status}; fix the call first (run_action shows the answer, get_trace { traceId: "${result.traceId}" } the request)`,
      { traceId: result.traceId, status: result.status },
    );
  const recordPath =
    itemsPath !== undefined ? `${itemsPath}[]` : locateRecordsInSample(result.body);
  const records = (
    recordPath === null ? [result.body] : recordsAt({ sample: result.body, recordPath })
  ).slice(0, maxRecords);
  if (records.length === 0)
    return {
      data: [],
      warnings: [
        `${action} returned no records${recordPath === null ? '' : ` at ${recordPath}`}; give input that selects some, or preview with record`,
      ],
      samples: [],
      traceId: result.traceId,
    };
  const previews = [];
  for (const record of records)
    previews.push(
      await previewMapping({
        db: runtime.db,
        tenant,
        connector: connector ?? connectorSlug,
        entity,
        direction,
        fields,
        customerId,
        record,
      }),
    );
  const first = previews[0] ?? { data: [], warnings: [] };
  return {
    data: first.data,
    warnings: [...new Set(previews.flatMap((p) => p.warnings))],
    samples: previews.map((p, index) => ({
      index,
      errors: p.data.flatMap((row) =>
        row.error === undefined ? [] : [{ field: row.field, error: row.error }],
      ),
    })),
    traceId: result.traceId,
  };
}

export async function listMappings({
  db,
  tenant,
  connector,
  entity,
}: {
  db: Database;
  tenant: Tenant;
  connector: string | undefined;
  entity: string | undefined;
}): Promise<(StoredMapping & { connector: string })[]> {
  requirePermission(tenant, 'connectors:read');
  const name = entity === undefined ? null : requireEntity(entity);
  return db.tenant(tenant, async (sql) => {
    const found = connector === undefined ? null : await requireConnector(sql, connector);
    const rows = await cdmRepo.listLatest(sql, { connectorId: found?.id ?? null, entity: name });
    return rows.map(({ connectorSlug, ...m }) => ({ ...m, connector: connectorSlug }));
  });
}

/** preview_mapping and POST /cdm/preview: live records when a connection is named, else `record`. */
export async function previewRequest({
  runtime,
  tenant,
  body,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  body: z.infer<typeof PreviewRequestSchema>;
}): Promise<LivePreview> {
  const common = {
    tenant,
    entity: body.entity,
    direction: body.direction,
    fields: body.fields,
    connector: body.connector,
    customerId: body.customerId ?? null,
  };
  if (body.connectionId !== undefined || body.action !== undefined) {
    if (body.connectionId === undefined || body.action === undefined)
      throw new AppError(
        'validation_failed',
        'a live preview needs both connectionId and action (list_connections, list_actions)',
      );
    return previewLive({
      ...common,
      runtime,
      connectionId: body.connectionId,
      action: body.action,
      input: body.input ?? {},
      maxRecords: body.maxRecords,
    });
  }
  if (body.record === undefined)
    throw new AppError(
      'validation_failed',
      'give record (one source record), or connectionId + action to fetch live records',
    );
  return previewMapping({ ...common, db: runtime.db, record: body.record });
}
