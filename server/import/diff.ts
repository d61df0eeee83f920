import { isDeepStrictEqual } from 'node:util';
import {
  ConnectorDocumentSchema,
  type ActionInput,
  type AuthMethod,
  type ConnectorDocument,
  type EventInput,
  type Parameter,
} from '../domain/connector.ts';
import { AppError } from '../errors.ts';
import { deriveInputSchema } from '../domain/connector.ts';

/*
 * What a re-import (a newer version of the same spec) would change in a connector, and the
 * merge of the two. Actions are matched by slug, events by name, auth methods by key and
 * parameters by name; comparisons are deep and ignore key order.
 */

type ActionField = Exclude<keyof ActionInput, 'slug'>;
type EventField = Exclude<keyof EventInput, 'name'>;
type ParameterField = Exclude<keyof Parameter, 'name'>;
type ConnectorDocumentFields = ConnectorDocument['connector'];

const ACTION_FIELDS = [
  'name',
  'description',
  'method',
  'path',
  'parameters',
  'bodyType',
  'inputSchema',
  'outputSchema',
  'pagination',
  'cdmEntity',
  'tags',
  'deprecated',
] as const satisfies readonly ActionField[];
const EVENT_FIELDS = [
  'description',
  'payloadSchema',
  'subscription',
  'signature',
] as const satisfies readonly EventField[];
const PARAMETER_FIELDS = [
  'in',
  'wireName',
  'required',
  'description',
  'schema',
  'whole',
] as const satisfies readonly ParameterField[];
/**
 * Connector settings a spec speaks for. Visibility is a sharing decision, never the spec's, and
 * a field the incoming document leaves out (an icon, a rate limit) is one the spec is silent
 * on, so the current value stands.
 */
const CONNECTOR_FIELDS = [
  'name',
  'description',
  'domain',
  'iconUrl',
  'baseUrl',
  'serverVariables',
  'rateLimit',
] as const satisfies readonly (keyof ConnectorDocumentFields)[];

// A field added to the schema does not compile until it is compared (or deliberately left out).
type Unlisted<All, Listed> = Exclude<All, Listed> extends never ? true : Exclude<All, Listed>;
const _actionFieldsComplete: Unlisted<ActionField, (typeof ACTION_FIELDS)[number]> = true;
const _eventFieldsComplete: Unlisted<EventField, (typeof EVENT_FIELDS)[number]> = true;
const _parameterFieldsComplete: Unlisted<ParameterField, (typeof PARAMETER_FIELDS)[number]> = true;
const _connectorFieldsComplete: Unlisted<
  Exclude<keyof ConnectorDocumentFields, 'slug' | 'visibility' | 'authMethods'>,
  (typeof CONNECTOR_FIELDS)[number]
> = true;

export interface ParameterChange {
  name: string;
  fields: ParameterField[];
  /** Present when the parameter went from optional to required or back. */
  required?: { from: boolean; to: boolean };
}

export interface ParameterChanges {
  added: string[];
  removed: string[];
  changed: ParameterChange[];
}

export interface ActionChange {
  slug: string;
  fields: ActionField[];
  /** Present when `fields` has 'parameters'. */
  parameters?: ParameterChanges;
}

export interface EventChange {
  name: string;
  fields: EventField[];
}

export interface AuthMethodChange {
  key: string;
  /** Properties of the method that differ, e.g. ['scopes', 'tokenUrl']. */
  fields: string[];
}

export interface ConnectorFieldChange {
  field: (typeof CONNECTOR_FIELDS)[number];
  from: unknown;
  to: unknown;
}

export interface Changes<T> {
  added: string[];
  removed: string[];
  changed: T[];
}

export interface ConnectorDiff {
  connector: ConnectorFieldChange[];
  authMethods: Changes<AuthMethodChange>;
  actions: Changes<ActionChange>;
  events: Changes<EventChange>;
}

/** Deep equality in which a key holding undefined is the same as a missing key. */
function same(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(withoutUndefined(a), withoutUndefined(b));
}

function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, withoutUndefined(v)]),
  );
}

function diffParameters({
  from,
  to,
}: {
  from: readonly Parameter[];
  to: readonly Parameter[];
}): ParameterChanges {
  const before = new Map(from.map((p) => [p.name, p]));
  const added: string[] = [];
  const changed: ParameterChange[] = [];
  for (const p of to) {
    const old = before.get(p.name);
    if (old === undefined) {
      added.push(p.name);
      continue;
    }
    const fields = PARAMETER_FIELDS.filter((f) => !same(old[f], p[f]));
    if (fields.length === 0) continue;
    changed.push({
      name: p.name,
      fields,
      ...(old.required !== p.required && { required: { from: old.required, to: p.required } }),
    });
  }
  const names = new Set(to.map((p) => p.name));
  return { added, removed: from.filter((p) => !names.has(p.name)).map((p) => p.name), changed };
}

function diffAction({ from, to }: { from: ActionInput; to: ActionInput }): ActionChange | null {
  const fields: ActionField[] = [];
  let parameters: ParameterChanges | undefined;
  for (const field of ACTION_FIELDS) {
    if (field === 'parameters') {
      // Parameters are matched by name, so a new order alone is no change.
      const p = diffParameters({ from: from.parameters, to: to.parameters });
      if (p.added.length + p.removed.length + p.changed.length > 0) {
        fields.push(field);
        parameters = p;
      }
    } else if (field === 'inputSchema') {
      // Without an explicit schema the input schema follows the parameters, whose change is
      // reported as such; with one on either side, compare what each action would validate with.
      if (
        (from.inputSchema !== undefined || to.inputSchema !== undefined) &&
        !same(deriveInputSchema(from), deriveInputSchema(to))
      )
        fields.push(field);
    } else if (!same(from[field], to[field])) {
      fields.push(field);
    }
  }
  if (fields.length === 0) return null;
  return { slug: to.slug, fields, ...(parameters !== undefined && { parameters }) };
}

function diffEvent({ from, to }: { from: EventInput; to: EventInput }): EventChange | null {
  const fields = EVENT_FIELDS.filter((f) => !same(from[f], to[f]));
  return fields.length === 0 ? null : { name: to.name, fields };
}

function diffAuthMethod({
  from,
  to,
}: {
  from: AuthMethod;
  to: AuthMethod;
}): AuthMethodChange | null {
  const before: Record<string, unknown> = from;
  const after: Record<string, unknown> = to;
  const keys = [...new Set([...Object.keys(after), ...Object.keys(before)])];
  const fields = keys.filter((k) => !same(before[k], after[k]));
  return fields.length === 0 ? null : { key: to.key, fields };
}

function collect<T, C>({
  current,
  incoming,
  id,
  compare,
}: {
  current: readonly T[];
  incoming: readonly T[];
  id: (item: T) => string;
  compare: (pair: { from: T; to: T }) => C | null;
}): Changes<C> {
  const before = new Map(current.map((item) => [id(item), item]));
  const after = new Set(incoming.map(id));
  const added: string[] = [];
  const changed: C[] = [];
  for (const to of incoming) {
    const from = before.get(id(to));
    if (from === undefined) added.push(id(to));
    else {
      const change = compare({ from, to });
      if (change !== null) changed.push(change);
    }
  }
  return { added, removed: [...before.keys()].filter((key) => !after.has(key)), changed };
}

/**
 * What replacing `current` with `incoming` (a newer version of the same spec) would change.
 * Connector fields that `incoming` leaves out, and visibility, are not compared.
 */
export function diffDocuments({
  current,
  incoming,
}: {
  current: ConnectorDocument;
  incoming: ConnectorDocument;
}): ConnectorDiff {
  const connector: ConnectorFieldChange[] = [];
  for (const field of CONNECTOR_FIELDS) {
    const from = current.connector[field];
    const to = incoming.connector[field];
    if (to !== undefined && !same(from, to)) connector.push({ field, from, to });
  }
  return {
    connector,
    authMethods: collect({
      current: current.connector.authMethods,
      incoming: incoming.connector.authMethods,
      id: (m) => m.key,
      compare: diffAuthMethod,
    }),
    actions: collect({
      current: current.actions,
      incoming: incoming.actions,
      id: (a) => a.slug,
      compare: diffAction,
    }),
    events: collect({
      current: current.events,
      incoming: incoming.events,
      id: (e) => e.name,
      compare: diffEvent,
    }),
  };
}

export function isEmptyDiff(diff: ConnectorDiff): boolean {
  return (
    diff.connector.length === 0 &&
    [diff.authMethods, diff.actions, diff.events].every(
      (c) => c.added.length + c.removed.length + c.changed.length === 0,
    )
  );
}

function counts({ changes, noun }: { changes: Changes<unknown>; noun: string }): string | null {
  const terms = (
    [
      [changes.added.length, 'added'],
      [changes.removed.length, 'removed'],
      [changes.changed.length, 'changed'],
    ] as const
  ).filter(([n]) => n > 0);
  const [first] = terms;
  if (first === undefined) return null;
  return terms
    .map(([n, verb], i) =>
      i === 0 ? `${n} ${noun}${first[0] === 1 ? '' : 's'} ${verb}` : `${n} ${verb}`,
    )
    .join(', ');
}

function describeParameters(p: ParameterChanges): string {
  return [
    ...p.added.map((name) => `+${name}`),
    ...p.removed.map((name) => `-${name}`),
    ...p.changed.map((c) =>
      c.required === undefined
        ? `~${c.name}`
        : `~${c.name} (now ${c.required.to ? 'required' : 'optional'})`,
    ),
  ].join(' ');
}

function listed({ items, max }: { items: string[]; max: number }): string {
  const shown = items.slice(0, max).join('; ');
  return items.length > max ? `${shown}; and ${items.length - max} more` : shown;
}

/**
 * A one-line account of a diff: "3 actions added, 1 removed, 2 changed (getCustomer: path,
 * parameters +expand); auth: oauth2 scopes changed". "no changes" for an empty diff.
 */
export function summarizeDiff(diff: ConnectorDiff): string {
  const parts: string[] = [];
  const actions = counts({ changes: diff.actions, noun: 'action' });
  if (actions !== null) {
    const details = diff.actions.changed.map(
      (c) =>
        `${c.slug}: ${c.fields
          .map((f) =>
            f === 'parameters' && c.parameters
              ? `parameters ${describeParameters(c.parameters)}`
              : f,
          )
          .join(', ')}`,
    );
    parts.push(details.length > 0 ? `${actions} (${listed({ items: details, max: 3 })})` : actions);
  }
  const events = counts({ changes: diff.events, noun: 'event' });
  if (events !== null) {
    const details = diff.events.changed.map((c) => `${c.name}: ${c.fields.join(', ')}`);
    parts.push(details.length > 0 ? `${events} (${listed({ items: details, max: 3 })})` : events);
  }
  const auth = [
    ...diff.authMethods.added.map((key) => `${key} added`),
    ...diff.authMethods.removed.map((key) => `${key} removed`),
    ...diff.authMethods.changed.map((c) => `${c.key} ${c.fields.join(', ')} changed`),
  ];
  if (auth.length > 0) parts.push(`auth: ${auth.join(', ')}`);
  if (diff.connector.length > 0)
    parts.push(`connector: ${diff.connector.map((c) => c.field).join(', ')} changed`);
  return parts.length === 0 ? 'no changes' : parts.join('; ');
}

/**
 * Merges by the diff: what it lists as added or changed comes from `incoming`, what it lists as
 * removed is dropped only with `removeMissing`, everything else stays as in `current`, in
 * `current`'s order with additions at the end (so an exported document changes only where the
 * spec did). A caller may leave entries out of the diff to skip them. The connector keeps its
 * slug and visibility. Throws validation_failed when the merge would exceed a limit of the
 * document format (say more than 10 auth methods when the old ones are kept).
 */
export function applyDiff({
  current,
  incoming,
  diff,
  options,
}: {
  current: ConnectorDocument;
  incoming: ConnectorDocument;
  diff: ConnectorDiff;
  options: { removeMissing: boolean };
}): ConnectorDocument {
  const merge = <T>({
    before,
    after,
    changes,
    id,
  }: {
    before: readonly T[];
    after: readonly T[];
    changes: { added: string[]; removed: string[]; changed: string[] };
    id: (item: T) => string;
  }): T[] => {
    const incomingById = new Map(after.map((item) => [id(item), item]));
    const changed = new Set(changes.changed);
    const removed = new Set(changes.removed);
    const present = new Set(before.map(id));
    const kept = before.flatMap((item) => {
      const key = id(item);
      if (options.removeMissing && removed.has(key)) return [];
      const replacement = changed.has(key) ? incomingById.get(key) : undefined;
      return [replacement ?? item];
    });
    const added = changes.added.flatMap((key) => {
      const item = incomingById.get(key);
      return item === undefined || present.has(key) ? [] : [item];
    });
    return [...kept, ...added];
  };

  const connector = { ...current.connector };
  for (const change of diff.connector) {
    const value = incoming.connector[change.field];
    if (value !== undefined) Object.assign(connector, { [change.field]: value });
  }
  connector.authMethods = merge({
    before: current.connector.authMethods,
    after: incoming.connector.authMethods,
    changes: { ...diff.authMethods, changed: diff.authMethods.changed.map((c) => c.key) },
    id: (m) => m.key,
  });
  const merged = {
    ...current,
    connector,
    actions: merge({
      before: current.actions,
      after: incoming.actions,
      changes: { ...diff.actions, changed: diff.actions.changed.map((c) => c.slug) },
      id: (a) => a.slug,
    }),
    events: merge({
      before: current.events,
      after: incoming.events,
      changes: { ...diff.events, changed: diff.events.changed.map((c) => c.name) },
      id: (e) => e.name,
    }),
  };
  const checked = ConnectorDocumentSchema.safeParse(merged);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new AppError(
      'validation_failed',
      `the merged connector is not valid (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}); apply with removeMissing or edit the connector first`,
    );
  }
  return checked.data;
}
