import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { CDM_ENTITIES, type CdmEntity } from '../../server/cdm/entities.ts';
import { compileMapping } from '../../server/cdm/mapping.ts';
import type { Action } from '../../server/domain/connector.ts';
import type { Tenant } from '../../server/domain/tenant.ts';
import { AppError } from '../../server/errors.ts';
import { getPath } from '../../server/engine/types.ts';
import { effectiveMapping } from '../../server/modules/cdm/cdm.service.ts';
import { runAction } from '../../server/modules/connections/actions.service.ts';
import type { ConnectionRuntime } from '../../server/modules/connections/runtime.ts';

const NAMES: Record<CdmEntity, { one: string; many: string }> = {
  Contact: { one: 'contact', many: 'contacts' },
  Product: { one: 'product', many: 'products' },
  Order: { one: 'order', many: 'orders' },
  Invoice: { one: 'invoice', many: 'invoices' },
  InventoryLevel: { one: 'inventory_level', many: 'inventory_levels' },
  Fulfillment: { one: 'fulfillment', many: 'fulfillments' },
};

/** A connected app that can serve an entity: its connection, an action and the mapping in force. */
export interface CdmSource {
  connectionId: string;
  connector: string;
  connectorId: string;
  action: Action;
  fields: Record<string, string>;
}

export interface CdmTool {
  name: string;
  entity: CdmEntity;
  kind: 'list' | 'upsert';
  sources: CdmSource[];
}

function isList(action: Action): boolean {
  return action.method === 'GET' && !action.parameters.some((p) => p.required);
}

function isWrite(action: Action): boolean {
  return action.method === 'POST' || action.method === 'PUT' || action.method === 'PATCH';
}

/**
 * Entity-level tools (`list_contacts`, `upsert_order`, …) over whichever connected apps have an
 * action for the entity (its `cdmEntity`) and a mapping in force: to_canonical to list,
 * from_canonical to write.
 */
export async function cdmTools({
  runtime,
  tenant,
  connections,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  connections: {
    connectionId: string;
    connector: string;
    connectorId: string;
    actions: Action[];
  }[];
}): Promise<CdmTool[]> {
  const tools: CdmTool[] = [];
  for (const entity of CDM_ENTITIES) {
    const lists: CdmSource[] = [];
    const writes: CdmSource[] = [];
    for (const c of connections) {
      const actions = c.actions.filter((a) => a.cdmEntity === entity && !a.deprecated);
      if (actions.length === 0) continue;
      const [toCanonical, fromCanonical] = await runtime.db.tenant(tenant, async (sql) => [
        await effectiveMapping({
          sql,
          connectorId: c.connectorId,
          entity,
          direction: 'to_canonical',
          customerId: tenant.customerId,
        }),
        await effectiveMapping({
          sql,
          connectorId: c.connectorId,
          entity,
          direction: 'from_canonical',
          customerId: tenant.customerId,
        }),
      ]);
      const list = actions.find(isList);
      const write = actions.find(isWrite);
      if (list && toCanonical)
        lists.push({
          connectionId: c.connectionId,
          connector: c.connector,
          connectorId: c.connectorId,
          action: list,
          fields: toCanonical.fields,
        });
      if (write && fromCanonical)
        writes.push({
          connectionId: c.connectionId,
          connector: c.connector,
          connectorId: c.connectorId,
          action: write,
          fields: fromCanonical.fields,
        });
    }
    if (lists.length > 0)
      tools.push({ name: `list_${NAMES[entity].many}`, entity, kind: 'list', sources: lists });
    if (writes.length > 0)
      tools.push({ name: `upsert_${NAMES[entity].one}`, entity, kind: 'upsert', sources: writes });
  }
  return tools;
}

export function describeCdmTool(tool: CdmTool): Tool {
  const connectors = tool.sources.map((s) => s.connector);
  if (tool.kind === 'list') {
    return {
      name: tool.name,
      title: `List ${NAMES[tool.entity].many}`,
      description: `Lists ${NAMES[tool.entity].many} in the canonical ${tool.entity} form from a connected app (${connectors.join(', ')}). Pass connector to choose one.`,
      inputSchema: {
        type: 'object',
        properties: {
          connector: { type: 'string', enum: connectors },
          limit: { type: 'integer', minimum: 1, maximum: 1000 },
        },
        additionalProperties: false,
      },
      annotations: { readOnlyHint: true, openWorldHint: true },
    };
  }
  return {
    name: tool.name,
    title: `Create or update a ${NAMES[tool.entity].one}`,
    description: `Writes a ${tool.entity} given in the canonical form to a connected app (${connectors.join(', ')}), mapped to the app's own fields. Pass connector to choose one.`,
    inputSchema: {
      type: 'object',
      properties: {
        record: { type: 'object', description: `A canonical ${tool.entity}` },
        connector: { type: 'string', enum: connectors },
      },
      required: ['record'],
      additionalProperties: false,
    },
    annotations: { readOnlyHint: false, openWorldHint: true },
  };
}

function pick(tool: CdmTool, connector: unknown): CdmSource {
  const source =
    typeof connector === 'string'
      ? tool.sources.find((s) => s.connector === connector)
      : tool.sources[0];
  if (!source)
    throw new AppError(
      'validation_failed',
      `${tool.name}: no connected app '${String(connector)}'; choose one of ${tool.sources.map((s) => s.connector).join(', ')}`,
    );
  return source;
}

export async function runCdmTool({
  runtime,
  tenant,
  tool,
  args,
}: {
  runtime: ConnectionRuntime;
  tenant: Tenant;
  tool: CdmTool;
  args: Record<string, unknown>;
}): Promise<Record<string, unknown>> {
  const source = pick(tool, args['connector']);
  if (tool.kind === 'list') {
    const limit = typeof args['limit'] === 'number' ? args['limit'] : 100;
    const result = await runAction({
      runtime,
      tenant,
      connectionId: source.connectionId,
      action: source.action.slug,
      input: {},
      allPages: source.action.pagination !== undefined,
      maxItems: limit,
    });
    const itemsPath =
      source.action.pagination?.style === 'link' ? undefined : source.action.pagination?.itemsPath;
    const raw =
      result.items ?? (itemsPath === undefined ? result.body : getPath(result.body, itemsPath));
    const records = Array.isArray(raw) ? raw.slice(0, limit) : [];
    const mapped = await compileMapping({
      entity: tool.entity,
      direction: 'to_canonical',
      fields: source.fields,
    }).applyMany(records);
    return {
      connector: source.connector,
      status: result.status,
      items: mapped.map((m) => m.value),
      errors: mapped.flatMap((m, i) => m.errors.map((e) => ({ index: i, ...e }))),
    };
  }
  const record = args['record'];
  if (record === null || typeof record !== 'object' || Array.isArray(record))
    throw new AppError(
      'validation_failed',
      `${tool.name} needs record: a canonical ${tool.entity} object`,
    );
  const mapped = await compileMapping({
    entity: tool.entity,
    direction: 'from_canonical',
    fields: source.fields,
  }).apply(record);
  if (mapped.errors.length > 0) {
    throw new AppError(
      'validation_failed',
      `could not map the ${tool.entity} for ${source.connector}: ${mapped.errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
    );
  }
  const result = await runAction({
    runtime,
    tenant,
    connectionId: source.connectionId,
    action: source.action.slug,
    input: mapped.value,
    allPages: false,
    maxItems: 1,
  });
  return {
    connector: source.connector,
    status: result.status,
    ok: result.ok,
    body: result.body,
    sent: mapped.value,
  };
}
