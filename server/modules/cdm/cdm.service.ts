import { z } from 'zod';
import {
  CDM_ENTITIES,
  coreFields,
  isCdmEntity,
  withCustomFields,
  type CdmEntity,
  type CustomField,
} from '../../cdm/entities.ts';
import {
  compileMapping,
  mapsNothing,
  preview,
  validateMapping,
  type ApplyResult,
  type FieldError,
  type Mapping,
  type PreviewRow,
} from '../../cdm/mapping.ts';
import {
  locateRecords,
  locateRecordsInSample,
  recordsAt,
  suggestMapping,
  type MappingSuggestion,
} from '../../cdm/suggest.ts';
import { expandRefs, expressionsFor, localResolver } from '../../cdm/suggest-expressions.ts';
import type { Database, Sql } from '../../db/database.ts';
import * as cdmRepo from '../../db/repositories/cdm.repo.ts';
import type { Direction, StoredMapping } from '../../db/repositories/cdm.repo.ts';
import * as connectorsRepo from '../../db/repositories/connectors.repo.ts';
import * as customersRepo from '../../db/repositories/customers.repo.ts';
import type { Action } from '../../domain/connector.ts';
import { requirePermission, type Tenant } from '../../domain/tenant.ts';
import { AppError } from '../../errors.ts';
import { didYouMean } from '../../text.ts';
import { recordAudit } from '../audit/audit.service.ts';
import { requireConnector } from '../connectors/connectors.service.ts';

export function requireEntity(name: string): CdmEntity {
  if (isCdmEntity(name)) return name;
  throw new AppError(
    'not_found',
    `no CDM entity '${name}'${didYouMean(name, [...CDM_ENTITIES])}; the entities are ${CDM_ENTITIES.join(', ')}`,
  );
}

async function customFieldsOf(sql: Sql, entity: CdmEntity): Promise<CustomField[]> {
  return (await cdmRepo.listCustomFields(sql, { entity })) as CustomField[];
}

export function listEntities(): { name: CdmEntity; coreFields: string[] }[] {
  return CDM_ENTITIES.map((name) => ({ name, coreFields: coreFields(name) }));
}

/** The entity's JSON Schema, with the org's custom fields under `custom`. */
export async function getEntitySchema({
  db,
  tenant,
  entity,
}: {
  db: Database;
  tenant: Tenant;
  entity: string;
}): Promise<Record<string, unknown>> {
  requirePermission(tenant, 'connectors:read');
  const name = requireEntity(entity);
  const custom = await db.tenant(tenant, (sql) => customFieldsOf(sql, name));
  return z.toJSONSchema(withCustomFields({ entity: name, fields: custom }), {
    io: 'input',
    unrepresentable: 'any',
  });
}

export async function addCustomField({
  db,
  tenant,
  entity,
  field,
}: {
  db: Database;
  tenant: Tenant;
  entity: string;
  field: CustomField;
}): Promise<{ entity: CdmEntity; customFields: CustomField[] }> {
  requirePermission(tenant, 'connectors:update');
  const name = requireEntity(entity);
  withCustomFields({ entity: name, fields: [field] });
  return db.tenant(tenant, async (sql) => {
    const existing = await customFieldsOf(sql, name);
    if (existing.some((f) => f.name === field.name))
      throw new AppError('conflict', `${name} already has a custom field ${field.name}`);
    await cdmRepo.insertCustomField(sql, {
      orgId: tenant.orgId,
      entity: name,
      name: field.name,
      type: field.type,
    });
    await recordAudit(sql, {
      tenant,
      action: 'cdm.custom_field.create',
      resourceType: 'cdm_custom_field',
      resourceId: `${name}.${field.name}`,
      details: { type: field.type },
    });
    return { entity: name, customFields: await customFieldsOf(sql, name) };
  });
}

/**
 * The JSON Schema of one record of what an action returns, and where records sit in the
 * response: the items path a list action pages over, else a list response told by its shape.
 */
function recordSchema(
  outputSchema: Record<string, unknown> | undefined,
  itemsPath: string | undefined,
): { schema: unknown; recordPath: string | null } {
  if (outputSchema === undefined) return { schema: undefined, recordPath: null };
  if (itemsPath !== undefined) {
    let schema: unknown = outputSchema;
    for (const part of itemsPath.split('.')) {
      schema = (schema as { properties?: Record<string, unknown> } | undefined)?.properties?.[part];
    }
    const items = (schema as { items?: unknown } | undefined)?.items;
    if (items !== undefined) return { schema: items, recordPath: `${itemsPath}[]` };
  }
  const found = locateRecords({ schema: outputSchema, resolve: () => undefined });
  return found ?? { schema: outputSchema, recordPath: null };
}

export interface ActionSuggestion extends Omit<MappingSuggestion, 'fields'> {
  fields: (MappingSuggestion['fields'][number] & { expression?: string; note?: string })[];
  /** Target field → expression, ready for preview_mapping and save_mapping as `fields`. */
  mapping: Record<string, string>;
  unmatchedEnumValues?: Record<string, string[]>;
  /** Where one record sits in the action's response (`data[]`, `[]`); null: the response is one. */
  recordPath: string | null;
  note?: string;
  /** When nothing was suggested: why, and what to do instead. */
  reason?: string;
  nextStep?: string;
}

/**
 * Proposes a mapping from an action's output to a CDM entity: each core field with a source
 * path, a confidence and the evidence. Deterministic; nothing is saved. For a list action the
 * paths are relative to one record, since a mapping is applied to one record at a time.
 */
export async function suggestForAction({
  db,
  tenant,
  connector: connectorRef,
  action: actionRef,
  entity,
  samples,
  body = false,
}: {
  db: Database;
  tenant: Tenant;
  connector: string;
  action: string;
  entity: string | undefined;
  samples: readonly unknown[];
  /** Suggest on the request body instead of the answer (a resource the API only takes). */
  body?: boolean;
}): Promise<ActionSuggestion> {
  requirePermission(tenant, 'connectors:read');
  const { action, productPaths } = await db.tenant(tenant, async (sql) => {
    const connector = await requireConnector(sql, connectorRef);
    const found = await connectorsRepo.findAction(sql, {
      connectorId: connector.id,
      ref: actionRef,
    });
    if (!found)
      throw new AppError('not_found', `connector '${connector.slug}' has no action '${actionRef}'`);
    // What the API calls its products only matters to an entity with a product id field.
    const named = entity ?? found.cdmEntity ?? '';
    const paths = coreFields(requireEntity(named)).some((f) => f.endsWith('productId'))
      ? await connectorsRepo.listEntityPaths(sql, { connectorId: connector.id, entity: 'Product' })
      : [];
    return { action: found, productPaths: paths };
  });
  const target = requireEntity(entity ?? action.cdmEntity ?? '');
  if (body) return suggestForBody({ action, entity: target });
  // Stored schemas may still hold `$ref`s (cut cycles, $defs): expanded so that a list
  // action's item schema is seen through its pagination items path.
  const outputSchema =
    action.outputSchema === undefined
      ? undefined
      : (expandRefs(action.outputSchema, localResolver(action.outputSchema)) as Record<
          string,
          unknown
        >);
  const declared = recordSchema(
    outputSchema,
    action.pagination?.style === 'link' ? undefined : action.pagination?.itemsPath,
  );
  const { schema } = declared;
  if (schema === undefined && samples.length === 0) {
    throw new AppError(
      'bad_request',
      `action ${action.slug} declares no output schema; pass samples (run_action on it and give its result), or write the mapping by hand (get_cdm_schema lists the target fields)`,
    );
  }
  const recordPath = schema === undefined ? locateRecordsInSample(samples[0]) : declared.recordPath;
  // Samples may be whole responses of the list action: their records are what gets mapped.
  const records =
    recordPath === null ? samples : samples.flatMap((sample) => recordsAt({ sample, recordPath }));
  const suggestion = suggestMapping({
    entity: target,
    schema: schema ?? {},
    resolve: () => undefined,
    samples: records,
    // An item read's last path parameter names one record (`/items/{asin}`).
    recordKey: /\{([^}]+)\}$/.exec(action.path)?.[1],
    productNouns: productNounsOf(productPaths),
  });
  const expressions = expressionsFor({
    entity: target,
    fields: suggestion.fields,
    schema: schema ?? {},
    samples: records,
  });
  const byField = new Map(expressions.fields.map((f) => [f.cdmField, f]));
  const result: ActionSuggestion = {
    ...suggestion,
    fields: suggestion.fields.map((f) => {
      const e = byField.get(f.cdmField);
      return e === undefined
        ? f
        : { ...f, expression: e.expression, ...(e.note && { note: e.note }) };
    }),
    mapping: Object.fromEntries(expressions.fields.map((f) => [f.cdmField, f.expression])),
    ...(Object.keys(expressions.unmatchedEnumValues).length > 0 && {
      unmatchedEnumValues: expressions.unmatchedEnumValues,
    }),
    recordPath,
  };
  if (suggestion.fields.length === 0) {
    const fieldsSeen =
      schema === undefined
        ? 0
        : Object.keys((schema as { properties?: object }).properties ?? {}).length;
    result.reason =
      schema === undefined
        ? `${action.slug} declares no output schema and no sample field matched a ${target} field`
        : `none of the ${fieldsSeen} top-level fields of one ${action.slug} record${recordPath === null ? '' : ` (at ${recordPath})`} matched a ${target} field by name and type`;
    result.nextStep = `pass samples from run_action on ${action.slug}, try another entity, or write the fields by hand (get_cdm_schema { entity: "${target}" } lists the targets) and check them with preview_mapping`;
  }
  if (recordPath === null) return result;
  if (!recordPath.endsWith('[]'))
    return {
      ...result,
      note: `${action.slug} wraps its record in \`${recordPath}\`: the source paths are relative to it, and the mapping is applied to the record there.`,
    };
  return {
    ...result,
    note: `${action.slug} returns a list (records at ${recordPath}): the source paths are relative to one record. A mapping is applied to one record at a time; preview_mapping with connectionId + action fetches live records and previews each.`,
  };
}

/**
 * What this API calls its products, from the collections the import took for Product (`pet` of
 * `/pet/{petId}`): an order's `petId` is then its product's id.
 */
function productNounsOf(paths: readonly string[]): string[] {
  const nouns = paths.flatMap((path) => {
    const last = path
      .split('/')
      .filter((s) => s !== '' && !s.startsWith('{'))
      .at(-1);
    return last === undefined ? [] : [last.replace(/s$/, '')];
  });
  return [...new Set(nouns)].slice(0, 5);
}

/**
 * Where each core field goes in an action's request body (the input schema without its path,
 * query and header parameters): for a resource the API only takes (a shipment's tracking sent
 * to the order), mapped `from_canonical`.
 */
function suggestForBody({
  action,
  entity,
}: {
  action: Action;
  entity: CdmEntity;
}): ActionSuggestion {
  const input = (action.inputSchema ?? {}) as {
    properties?: Record<string, unknown>;
    required?: unknown;
  };
  const params = new Set(action.parameters.filter((p) => p.in !== 'body').map((p) => p.name));
  const properties = Object.fromEntries(
    Object.entries(input.properties ?? {}).filter(([name]) => !params.has(name)),
  );
  const suggestion = suggestMapping({
    entity,
    schema: { type: 'object', properties },
    resolve: () => undefined,
  });
  const result: ActionSuggestion = {
    ...suggestion,
    mapping: Object.fromEntries(suggestion.fields.map((f) => [f.cdmField, f.sourcePath])),
    recordPath: null,
    note: `fields of ${action.slug}'s request body: save them from_canonical, body path ← canonical field`,
  };
  if (suggestion.fields.length === 0) {
    result.reason = `none of the ${Object.keys(properties).length} fields of ${action.slug}'s request body matched a ${entity} field`;
    result.nextStep = `try another action or entity, or write the fields by hand`;
  }
  return result;
}

function mappingErrors(errors: FieldError[]): AppError {
  return new AppError(
    'validation_failed',
    `the mapping has ${errors.length} problem${errors.length > 1 ? 's' : ''}: ${errors.map((e) => `${e.field || '(mapping)'}: ${e.message}`).join('; ')}`,
    {
      errors,
    },
  );
}

/** Saves a new version (v1, v2, …) after checking every expression and target field. */
export async function saveMapping({
  db,
  tenant,
  connector: connectorRef,
  entity,
  direction,
  fields,
  note,
}: {
  db: Database;
  tenant: Tenant;
  connector: string;
  entity: string;
  direction: Direction;
  fields: Record<string, string>;
  note: string | null;
}): Promise<StoredMapping> {
  requirePermission(tenant, 'connectors:update');
  const name = requireEntity(entity);
  return db.tenant(tenant, async (sql) => {
    const connector = await requireConnector(sql, connectorRef);
    const errors = validateMapping({
      mapping: { entity: name, direction, fields },
      customFields: await customFieldsOf(sql, name),
    });
    if (errors.length > 0) throw mappingErrors(errors);
    const saved = await cdmRepo.insertVersion(sql, {
      orgId: tenant.orgId,
      connectorId: connector.id,
      entity: name,
      direction,
      fields,
      note,
    });
    await recordAudit(sql, {
      tenant,
      action: 'cdm.mapping.save',
      resourceType: 'cdm_mapping',
      resourceId: saved.id,
      details: {
        connector: connector.slug,
        entity: name,
        direction,
        version: saved.version,
        fields: Object.keys(fields).length,
      },
    });
    return saved;
  });
}

export async function getMapping({
  db,
  tenant,
  connector: connectorRef,
  entity,
  direction,
  version,
}: {
  db: Database;
  tenant: Tenant;
  connector: string;
  entity: string;
  direction: Direction;
  version: number | null;
}): Promise<StoredMapping & { versions: number[] }> {
  requirePermission(tenant, 'connectors:read');
  const name = requireEntity(entity);
  return db.tenant(tenant, async (sql) => {
    const connector = await requireConnector(sql, connectorRef);
    const versions = await cdmRepo.listVersions(sql, {
      connectorId: connector.id,
      entity: name,
      direction,
    });
    const found = version === null ? versions[0] : versions.find((v) => v.version === version);
    if (!found) {
      throw new AppError(
        'not_found',
        `no ${direction} mapping${version === null ? '' : ` v${version}`} for ${connector.slug} × ${name}; save one with save_mapping`,
      );
    }
    return { ...found, versions: versions.map((v) => v.version) };
  });
}

export interface MappingDiff {
  from: number;
  to: number;
  added: string[];
  removed: string[];
  changed: { field: string; from: string; to: string }[];
}

export function diffMappings(a: StoredMapping, b: StoredMapping): MappingDiff {
  const added = Object.keys(b.fields).filter((f) => !(f in a.fields));
  const removed = Object.keys(a.fields).filter((f) => !(f in b.fields));
  const changed = Object.keys(b.fields)
    .filter((f) => f in a.fields && a.fields[f] !== b.fields[f])
    .map((f) => ({ field: f, from: a.fields[f] ?? '', to: b.fields[f] ?? '' }));
  return { from: a.version, to: b.version, added, removed, changed };
}

export async function diffMappingVersions({
  db,
  tenant,
  connector,
  entity,
  direction,
  from,
  to,
}: {
  db: Database;
  tenant: Tenant;
  connector: string;
  entity: string;
  direction: Direction;
  from: number;
  to: number;
}): Promise<MappingDiff> {
  const a = await getMapping({ db, tenant, connector, entity, direction, version: from });
  const b = await getMapping({ db, tenant, connector, entity, direction, version: to });
  return diffMappings(a, b);
}

/** A customer's own field expressions on top of the org mapping (same checks as a save). */
export async function setCustomerOverride({
  db,
  tenant,
  connector: connectorRef,
  entity,
  direction,
  customerId,
  fields,
}: {
  db: Database;
  tenant: Tenant;
  connector: string;
  entity: string;
  direction: Direction;
  customerId: string;
  fields: Record<string, string>;
}): Promise<{ customerId: string; fields: Record<string, string> }> {
  requirePermission(tenant, 'connectors:update');
  const name = requireEntity(entity);
  return db.tenant(tenant, async (sql) => {
    const connector = await requireConnector(sql, connectorRef);
    if (!(await customersRepo.findById(sql, { id: customerId })))
      throw new AppError('not_found', `no customer ${customerId}`);
    const errors = validateMapping({
      mapping: { entity: name, direction, fields },
      customFields: await customFieldsOf(sql, name),
    });
    if (errors.length > 0) throw mappingErrors(errors);
    await cdmRepo.upsertOverride(sql, {
      orgId: tenant.orgId,
      customerId,
      connectorId: connector.id,
      entity: name,
      direction,
      fields,
    });
    await recordAudit(sql, {
      tenant,
      action: 'cdm.mapping.override',
      resourceType: 'cdm_mapping_override',
      resourceId: `${connector.slug}:${name}:${direction}`,
      customerId,
      details: { fields: Object.keys(fields) },
    });
    return { customerId, fields };
  });
}

/** The mapping in force: the latest org version, with the customer's overrides on top. */
export async function effectiveMapping({
  sql,
  connectorId,
  entity,
  direction,
  customerId,
}: {
  sql: Sql;
  connectorId: string;
  entity: CdmEntity;
  direction: Direction;
  customerId: string | null;
}): Promise<Mapping | null> {
  const base = await cdmRepo.findMapping(sql, { connectorId, entity, direction, version: null });
  const override =
    customerId === null
      ? null
      : await cdmRepo.findOverride(sql, { customerId, connectorId, entity, direction });
  if (!base && !override) return null;
  return { entity, direction, fields: { ...(base?.fields ?? {}), ...(override ?? {}) } };
}

async function resolveMapping({
  db,
  tenant,
  connector,
  entity,
  direction,
  fields,
  customerId,
}: {
  db: Database;
  tenant: Tenant;
  connector: string | undefined;
  entity: CdmEntity;
  direction: Direction;
  fields: Record<string, string> | undefined;
  customerId: string | null;
}): Promise<{ mapping: Mapping; customFields: CustomField[]; label: string }> {
  return db.tenant(tenant, async (sql) => {
    const customFields = await customFieldsOf(sql, entity);
    if (fields !== undefined)
      return {
        mapping: { entity, direction, fields },
        customFields,
        label: `the given ${direction} mapping for ${entity}`,
      };
    if (connector === undefined)
      throw new AppError('bad_request', 'give fields, or a connector whose saved mapping to use');
    const found = await requireConnector(sql, connector);
    const mapping = await effectiveMapping({
      sql,
      connectorId: found.id,
      entity,
      direction,
      customerId,
    });
    if (!mapping)
      throw new AppError(
        'not_found',
        `no ${direction} mapping for ${found.slug} × ${entity}; save one first`,
      );
    return {
      mapping,
      customFields,
      label: `the ${direction} mapping ${found.slug} × ${entity}${customerId === null ? '' : ` (with customer ${customerId}'s overrides)`}`,
    };
  });
}

/** Why a mapping that maps nothing from a record does so, and what to try. */
function mapsNothingWarning({ label, record }: { label: string; record: unknown }): string {
  const keys =
    record !== null && typeof record === 'object' && !Array.isArray(record)
      ? Object.keys(record).slice(0, 12)
      : [];
  return (
    `${label} maps nothing from this record: every target came out empty. ` +
    (keys.length > 0 ? `The record's fields are ${keys.join(', ')}. ` : '') +
    'Expressions are evaluated on one record: paths written for the whole list response ' +
    '(data[].email) find nothing there; write them relative to one record (email), as suggest_mapping proposes, ' +
    'and preview one record of the list, not the response.'
  );
}

/**
 * Source, expression and result side by side for one record; nothing is saved. `warnings`
 * flags a mapping that maps nothing from a record that has data.
 */
export async function previewMapping(args: {
  db: Database;
  tenant: Tenant;
  connector: string | undefined;
  entity: string;
  direction: Direction;
  fields: Record<string, string> | undefined;
  customerId: string | null;
  record: unknown;
}): Promise<{ data: PreviewRow[]; warnings: string[] }> {
  requirePermission(args.tenant, 'connectors:read');
  const entity = requireEntity(args.entity);
  const { mapping, customFields, label } = await resolveMapping({ ...args, entity });
  const data = await preview({ mapping, record: args.record, customFields });
  const warnings = mapsNothing({ rows: data, record: args.record })
    ? [mapsNothingWarning({ label, record: args.record })]
    : [];
  return { data, warnings };
}

/** Maps one or many records; per-field errors are collected for each record. */
export async function applyMapping(args: {
  db: Database;
  tenant: Tenant;
  connector: string | undefined;
  entity: string;
  direction: Direction;
  fields: Record<string, string> | undefined;
  customerId: string | null;
  records: readonly unknown[];
}): Promise<ApplyResult[]> {
  requirePermission(args.tenant, 'connectors:read');
  const entity = requireEntity(args.entity);
  const { mapping, customFields } = await resolveMapping({ ...args, entity });
  const errors = validateMapping({ mapping, customFields });
  if (errors.length > 0) throw mappingErrors(errors);
  return compileMapping({ mapping, customFields }).applyMany(args.records);
}
