import type { z } from 'zod';
import type { EventInputSchema } from '../domain/connector.ts';
import { textOf, truncate } from './names.ts';
import { chooseMedia, PATH_ITEM_METHODS, type OperationInfo } from './operations.ts';
import {
  enumOf,
  inlineSchema,
  isObject,
  own,
  propertiesOf,
  typeOf,
  viewOf,
  type Json,
  type Resolver,
  type SchemaDialect,
} from './schema.ts';
import { addWarning, toPointer, type ImportWarning, type SpecFormat } from './types.ts';

/**
 * Events a spec declares: OpenAPI 3.1 `webhooks`, `x-webhooks`, operation `callbacks`, and the
 * event types a webhook-registration endpoint lets one subscribe to (an enum, a list in the
 * description, or one schema per event titled like the documented example).
 */

export type EventDraft = z.input<typeof EventInputSchema>;

const EVENT_NAME = /^[a-zA-Z0-9_.:/-]{1,200}$/;
const MAX_EVENTS = 1000;
const PAYLOAD_BUDGET = { maxRefDepth: 3, nodes: 800, description: 300 } as const;

/** Registration endpoints: where a client subscribes to events. */
const REGISTRATION_PATH = /hook|notif|(event|callback).*subscri|subscri.*(event|callback)/i;
/** Properties of a registration request or response that name the subscribed events. */
const EVENT_PROPERTY =
  /^(enabled_?events|events|event_?types?|event_?names?|subscribed_?events|topics?|event|scopes?|hook_?types?|triggers?)$/i;
/** Properties of an event payload that carry its type. */
const TYPE_PROPERTY = /^(type|event|event_?type|webhook_?type|topic|event_?name|kind)$/i;
/** Properties that hold the callback URL in a registration body. */
const URL_PROPERTY =
  /^(url|target_?url|callback_?url|webhook_?url|endpoint|endpoint_?url|destination|address|notification_?url)$/i;

/**
 * An event name the connector format accepts (`[a-zA-Z0-9_.:/-]`). Names are kept as the
 * provider sends them (`store/cart/created` stays so: it is what one subscribes to and what
 * deliveries carry); only whitespace becomes a dot and other characters an underscore.
 */
export function eventNameOf(raw: string): string | undefined {
  if (EVENT_NAME.test(raw)) return raw;
  const cleaned = raw
    .trim()
    .slice(0, 400)
    .replace(/\s+/g, '.')
    .replace(/[^a-zA-Z0-9_.:/-]+/g, '_')
    .replace(/^[._/]+|[._/]+$/g, '')
    .slice(0, 200);
  return cleaned === '' ? undefined : cleaned;
}

function isWildcard(value: string): boolean {
  return value.includes('*');
}

interface Context {
  doc: Json;
  resolver: Resolver;
  dialect: SchemaDialect;
  warnings: ImportWarning[];
  events: Map<string, EventDraft>;
}

function payload({ schema, ctx }: { schema: unknown; ctx: Context }): Json | undefined {
  if (schema === undefined) return undefined;
  return inlineSchema({
    schema,
    resolver: ctx.resolver,
    dialect: ctx.dialect,
    budget: { ...PAYLOAD_BUDGET },
  });
}

function addEvent({ event, ctx, at }: { event: EventDraft; ctx: Context; at: string }): void {
  if (ctx.events.has(event.name)) return;
  if (ctx.events.size >= MAX_EVENTS) {
    addWarning(ctx.warnings, {
      path: at,
      reason: `more than ${MAX_EVENTS} events; the rest were dropped`,
    });
    return;
  }
  ctx.events.set(event.name, event);
}

/** The first operation of a path item (webhook or callback) with its request body schema. */
function firstOperation({
  item,
  ctx,
}: {
  item: unknown;
  ctx: Context;
}): { op: Json; body: unknown } | undefined {
  const { node } = ctx.resolver.deref(item);
  if (!isObject(node)) return undefined;
  for (const method of PATH_ITEM_METHODS) {
    const op = own({ record: node, key: method });
    if (!isObject(op)) continue;
    const { node: requestBody } = ctx.resolver.deref(op['requestBody']);
    const chosen = isObject(requestBody) ? chooseMedia(requestBody['content']) : undefined;
    return { op, body: chosen === undefined ? undefined : chosen.media['schema'] };
  }
  return undefined;
}

/** A payload's own event type: a type-like property with a single enum value. */
function declaredType({ schema, ctx }: { schema: unknown; ctx: Context }): string | undefined {
  for (const [name, value] of propertiesOf({ node: schema, resolver: ctx.resolver })) {
    if (!TYPE_PROPERTY.test(name)) continue;
    const values = enumOf({ node: value, resolver: ctx.resolver });
    if (values?.length === 1 && values[0] !== undefined) return values[0];
  }
  return undefined;
}

function webhookMap({ map, at, ctx }: { map: unknown; at: string[]; ctx: Context }): void {
  if (map === undefined) return;
  if (!isObject(map)) {
    addWarning(ctx.warnings, { path: toPointer(at), reason: 'webhooks is not an object; ignored' });
    return;
  }
  for (const key of Object.keys(map)) {
    const where = toPointer([...at, key]);
    const found = firstOperation({ item: own({ record: map, key }), ctx });
    const type = found === undefined ? undefined : declaredType({ schema: found.body, ctx });
    const name = EVENT_NAME.test(key) ? key : eventNameOf(type ?? key);
    if (name === undefined) {
      addWarning(ctx.warnings, { path: where, reason: 'webhook has no usable name; skipped' });
      continue;
    }
    const event: EventDraft = { name };
    const description =
      found === undefined
        ? undefined
        : (textOf({ value: found.op['description'], max: 10_000 }) ??
          textOf({ value: found.op['summary'], max: 10_000 }));
    if (description !== undefined) event.description = description;
    const schema = found === undefined ? undefined : payload({ schema: found.body, ctx });
    if (schema !== undefined) event.payloadSchema = schema;
    addEvent({ event, ctx, at: where });
  }
}

function callbackEvents({ operations, ctx }: { operations: OperationInfo[]; ctx: Context }): void {
  for (const info of operations) {
    const callbacks = info.op['callbacks'];
    if (!isObject(callbacks)) continue;
    for (const key of Object.keys(callbacks)) {
      const where = `${info.at}/callbacks/${toPointer([key]).slice(1)}`;
      const name = eventNameOf(key);
      if (name === undefined) continue;
      const { node: callback } = ctx.resolver.deref(own({ record: callbacks, key }));
      const expression = isObject(callback) ? Object.keys(callback)[0] : undefined;
      const found =
        expression === undefined || !isObject(callback)
          ? undefined
          : firstOperation({ item: own({ record: callback, key: expression }), ctx });
      const event: EventDraft = {
        name,
        subscription: { mode: 'webhook', subscribeAction: info.slug },
      };
      const description =
        found === undefined
          ? undefined
          : (textOf({ value: found.op['description'], max: 10_000 }) ??
            textOf({ value: found.op['summary'], max: 10_000 }));
      if (description !== undefined) event.description = description;
      const schema = found === undefined ? undefined : payload({ schema: found.body, ctx });
      if (schema !== undefined) event.payloadSchema = schema;
      addEvent({ event, ctx, at: where });
    }
  }
}

/** Schemas a registration body or response may hold the event property in. */
function registrationSchemas({ info, ctx }: { info: OperationInfo; ctx: Context }): unknown[] {
  const out: unknown[] = [];
  for (const schema of [info.requestSchema, info.responseSchema]) {
    if (schema === undefined) continue;
    const view = viewOf({ node: schema, resolver: ctx.resolver });
    if (view === undefined) continue;
    const items = view.schema['items'];
    const base =
      typeOf({ node: schema, resolver: ctx.resolver }) === 'array' && items !== undefined
        ? items
        : schema;
    out.push(base);
    for (const wrapper of [
      'data',
      'webhook',
      'hook',
      'subscription',
      'webhook_endpoint',
      'webhook_subscription',
    ]) {
      const inner = propertiesOf({ node: base, resolver: ctx.resolver }).get(wrapper);
      if (inner !== undefined && typeOf({ node: inner, resolver: ctx.resolver }) === 'object')
        out.push(inner);
    }
  }
  return out;
}

/** "Must contain one of the following values: A, B, C" in a description. */
function listedValues(text: string | undefined): string[] {
  if (text === undefined) return [];
  const match =
    /(?:one of|following|possible|valid|allowed|supported)[^:\n]{0,60}values?\s*(?:are|is)?\s*:?\s*((?:`{0,2}[A-Za-z0-9_.:/-]+`{0,2}\s*(?:,|\bor\b|\band\b)\s*)+`{0,2}[A-Za-z0-9_.:/-]+`{0,2})/i.exec(
      text.slice(0, 20_000),
    );
  if (!match?.[1]) return [];
  return match[1]
    .split(/\s*(?:,|\bor\b|\band\b)\s*/)
    .map((v) => v.replaceAll('`', '').trim())
    .filter((v) => v !== '' && /^[A-Za-z0-9_.:/-]+$/.test(v));
}

/**
 * Event names documented as one schema each, titled like the example the registration field
 * gives (`store/order/created`): titles with the same separator and first segment.
 */
function titledLikeExample({
  example,
  ctx,
}: {
  example: string;
  ctx: Context;
}): { name: string; schema: Json }[] {
  const separator = ['/', '.', ':'].find((s) => example.includes(s));
  if (separator === undefined) return [];
  const head = example.split(separator)[0] ?? '';
  if (head === '') return [];
  const components = ctx.doc['components'];
  const schemas =
    ctx.doc['definitions'] ?? (isObject(components) ? components['schemas'] : undefined);
  if (!isObject(schemas)) return [];
  const out: { name: string; schema: Json }[] = [];
  for (const key of Object.keys(schemas)) {
    const schema = own({ record: schemas, key });
    if (!isObject(schema)) continue;
    const title = schema['title'];
    if (typeof title !== 'string' || isWildcard(title) || !title.startsWith(`${head}${separator}`))
      continue;
    if (!/^[A-Za-z0-9_.:/-]+$/.test(title) || title.split(separator).length < 2) continue;
    out.push({ name: title, schema });
  }
  return out.length >= 2 ? out : [];
}

function registrationEvents({
  operations,
  ctx,
}: {
  operations: OperationInfo[];
  ctx: Context;
}): void {
  const found = new Map<string, { info: OperationInfo; original: string; schema?: Json }>();
  const rank = (info: OperationInfo) =>
    (info.method === 'POST' ? 0 : 1) + (/\}$/.test(info.path) ? 2 : 0);
  for (const info of operations) {
    if (!['POST', 'PUT', 'PATCH'].includes(info.method) || !REGISTRATION_PATH.test(info.path))
      continue;
    for (const schema of registrationSchemas({ info, ctx })) {
      for (const [property, value] of propertiesOf({ node: schema, resolver: ctx.resolver })) {
        if (!EVENT_PROPERTY.test(property)) continue;
        let names: { name: string; schema?: Json }[] = (
          enumOf({ node: value, resolver: ctx.resolver }) ?? []
        ).map((name) => ({ name }));
        if (names.length === 0) {
          const view = viewOf({ node: value, resolver: ctx.resolver });
          const propertyDescription =
            view === undefined
              ? undefined
              : textOf({ value: view.schema['description'], max: 20_000 });
          const opDescription = textOf({ value: info.op['description'], max: 20_000 });
          const lines = opDescription?.split('\n').filter((l) => l.includes(property)) ?? [];
          const listed =
            [propertyDescription, ...lines].map(listedValues).find((values) => values.length > 0) ??
            [];
          names = listed.map((name) => ({ name }));
          const example = view === undefined ? undefined : view.schema['example'];
          if (names.length === 0 && typeof example === 'string')
            names = titledLikeExample({ example, ctx });
        }
        for (const { name: original, schema: eventSchema } of names) {
          if (isWildcard(original) || original.length > 200) continue;
          const previous = found.get(original);
          if (previous === undefined || rank(info) < rank(previous.info))
            found.set(original, { info, original, ...(eventSchema && { schema: eventSchema }) });
        }
      }
    }
  }
  for (const { info, original, schema } of found.values()) {
    const name = eventNameOf(original);
    if (name === undefined) continue;
    const unsubscribe = unsubscribeFor({ info, operations });
    const event: EventDraft = {
      name,
      subscription: {
        mode: 'webhook',
        subscribeAction: info.slug,
        ...(unsubscribe && { unsubscribeAction: unsubscribe.slug }),
      },
    };
    if (name !== original)
      event.description = `${truncate({ text: original, max: 200 })} (the API's name for this event)`;
    if (schema !== undefined) {
      const description = textOf({ value: schema['description'], max: 9000 });
      if (description !== undefined)
        event.description = event.description
          ? `${event.description}. ${description}`
          : description;
      const payloadSchema = payload({ schema, ctx });
      if (payloadSchema !== undefined) event.payloadSchema = payloadSchema;
    }
    addEvent({ event, ctx, at: info.at });
  }
}

/** The DELETE on `<collection>/{id}` next to a registration endpoint. */
function unsubscribeFor({
  info,
  operations,
}: {
  info: OperationInfo;
  operations: OperationInfo[];
}): OperationInfo | undefined {
  const candidates = operations
    .filter((o) => o.method === 'DELETE' && /\/\{[^{}]+\}$/.test(o.path))
    .map((o) => ({ o, parent: o.path.replace(/\/\{[^{}]+\}$/, '') }))
    .filter(
      ({ parent }) =>
        parent !== '' &&
        REGISTRATION_PATH.test(parent) &&
        (info.path === parent || info.path.startsWith(`${parent}/`)),
    );
  return candidates.sort((a, b) => b.parent.length - a.parent.length)[0]?.o;
}

/**
 * A single endpoint that registers a callback URL for webhooks, for events that name no
 * subscription of their own (3.1 `webhooks` say what is sent, not how to ask for it).
 */
function registrationEndpoint({
  operations,
  ctx,
}: {
  operations: OperationInfo[];
  ctx: Context;
}): OperationInfo | undefined {
  const candidates = operations.filter(
    (info) =>
      info.method === 'POST' &&
      /webhook/i.test(info.path) &&
      !/\}$/.test(info.path) &&
      registrationSchemas({ info: { ...info, responseSchema: undefined }, ctx }).some((schema) =>
        [...propertiesOf({ node: schema, resolver: ctx.resolver }).keys()].some((k) =>
          URL_PROPERTY.test(k),
        ),
      ),
  );
  return candidates.length === 1 ? candidates[0] : undefined;
}

export function eventsOf({
  doc,
  format,
  resolver,
  operations,
  warnings,
}: {
  doc: Json;
  format: SpecFormat;
  resolver: Resolver;
  operations: OperationInfo[];
  warnings: ImportWarning[];
}): EventDraft[] {
  const ctx: Context = {
    doc,
    resolver,
    dialect:
      format === 'swagger-2.0'
        ? 'swagger-2.0'
        : format === 'openapi-3.1'
          ? 'openapi-3.1'
          : 'openapi-3.0',
    warnings,
    events: new Map(),
  };
  const steps: [string, () => void][] = [
    ['/webhooks', () => webhookMap({ map: doc['webhooks'], at: ['webhooks'], ctx })],
    ['/x-webhooks', () => webhookMap({ map: doc['x-webhooks'], at: ['x-webhooks'], ctx })],
    ['/paths', () => callbackEvents({ operations, ctx })],
    ['/paths', () => registrationEvents({ operations, ctx })],
  ];
  for (const [at, step] of steps) {
    try {
      step();
    } catch (error) {
      addWarning(warnings, {
        path: at,
        reason: `events could not all be read (${error instanceof Error ? error.message : String(error)})`,
      });
    }
  }
  const endpoint = registrationEndpoint({ operations, ctx });
  const unsubscribe =
    endpoint === undefined ? undefined : unsubscribeFor({ info: endpoint, operations });
  return [...ctx.events.values()].map((event) =>
    event.subscription !== undefined || endpoint === undefined
      ? event
      : {
          ...event,
          subscription: {
            mode: 'webhook',
            subscribeAction: endpoint.slug,
            ...(unsubscribe && { unsubscribeAction: unsubscribe.slug }),
          },
        },
  );
}
