// The naming conventions that let one generic module drive any connector's subscribe,
// unsubscribe and poll actions. They read only an action's declared parameters (names, wire
// names, JSON Schemas) and a response's shape: nothing here knows a particular API.
import type { Action, Parameter } from '../../domain/connector.ts';
import { AppError } from '../../errors.ts';

type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `callback_url`, `callbackUrl` and `Callback-URL` all read `callbackurl`. */
export function normalize(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Names of the hook URL field, best first. */
const URL_NAMES = [
  'url',
  'callbackurl',
  'targeturl',
  'webhookurl',
  'hookurl',
  'notificationurl',
  'deliveryurl',
  'endpointurl',
  'callback',
  'target',
  'endpoint',
  'address',
  'uri',
];
/** Names of the field that says which event to deliver, best first. */
const EVENT_NAMES = [
  'event',
  'events',
  'topic',
  'topics',
  'eventtype',
  'eventtypes',
  'eventname',
  'eventnames',
  'enabledevents',
  'subscribedevents',
  'types',
  'type',
];
/** Input parameters that mean "only what changed since this value". */
const SINCE_NAMES = [
  'since',
  'updatedsince',
  'updatedafter',
  'updatedatmin',
  'updatedatgt',
  'updatedatgte',
  'updatedmin',
  'modifiedsince',
  'modifiedafter',
  'lastmodifiedsince',
  'changedsince',
];
/** Input parameters that take a sync token the previous answer handed out. */
const TOKEN_NAMES = ['cursor', 'synctoken', 'deltatoken', 'changetoken', 'statetoken'];
/** Record fields holding the time of the last change, best first. */
const UPDATED_FIELDS = [
  'updatedat',
  'modifiedat',
  'lastmodified',
  'updated',
  'modified',
  'datemodified',
  'updatedtime',
  'lastupdated',
  'changedat',
];
const SECRET_KEY = /secret|token|password|signing.?key|api.?key/i;

interface Field {
  name: string;
  wire: string;
  schema: JsonObject | undefined;
}

function fieldsOf(params: readonly Parameter[]): Field[] {
  return params.map((p) => ({ name: p.name, wire: p.wireName ?? p.name, schema: p.schema }));
}

function propertiesOf(schema: JsonObject | undefined): Field[] {
  const props = schema?.['properties'];
  if (!isObject(props)) return [];
  return Object.entries(props).map(([name, s]) => ({
    name,
    wire: name,
    schema: isObject(s) ? s : undefined,
  }));
}

/** The field whose name (or wire name) ranks best in `names`; ties go to declaration order. */
function pick(fields: readonly Field[], names: readonly string[]): Field | undefined {
  let best: Field | undefined;
  let bestRank = Infinity;
  for (const f of fields) {
    const rank = Math.min(
      ...[f.name, f.wire].map((n) => {
        const i = names.indexOf(normalize(n));
        return i === -1 ? Infinity : i;
      }),
    );
    if (rank < bestRank) {
      best = f;
      bestRank = rank;
    }
  }
  return best;
}

function pickUrl(fields: readonly Field[]): Field | undefined {
  return (
    pick(fields, URL_NAMES) ??
    fields.find((f) => {
      const format = f.schema?.['format'];
      return format === 'uri' || format === 'url' || normalize(f.name).endsWith('url');
    })
  );
}

function eventValue(field: Field, event: string): unknown {
  return field.schema?.['type'] === 'array' ? [event] : event;
}

/**
 * The input of a subscribe action. The hook URL goes into the body or query parameter named like
 * a URL (`url`, `callbackUrl`, `target_url`, `webhook_url`, … or any `format: uri` / `*Url`
 * field); the event name into one named like an event (`event`, `events`, `topic`, `types`, …),
 * as a one-element array when its schema is an array. An action whose body is one whole-body
 * parameter gets an object built the same way from that parameter's schema properties, with
 * `url` (and `event`) when the schema names none.
 */
export function subscribeInput({
  action,
  hookUrl,
  event,
}: {
  action: Action;
  hookUrl: string;
  event: string;
}): JsonObject {
  const fields = fieldsOf(action.parameters.filter((p) => p.in === 'body' || p.in === 'query'));
  const plain = fields.filter((f) => !action.parameters.find((p) => p.name === f.name)?.whole);
  const urlField = pickUrl(plain);
  if (urlField !== undefined) {
    const eventField = pick(
      plain.filter((f) => f !== urlField),
      EVENT_NAMES,
    );
    return {
      [urlField.name]: hookUrl,
      ...(eventField !== undefined && { [eventField.name]: eventValue(eventField, event) }),
    };
  }
  const whole = action.parameters.find((p) => p.in === 'body' && p.whole === true);
  if (whole !== undefined) {
    const props = propertiesOf(whole.schema);
    const innerUrl = pickUrl(props);
    const innerEvent = pick(
      props.filter((f) => f !== innerUrl),
      EVENT_NAMES,
    );
    const body: JsonObject = { [innerUrl?.name ?? 'url']: hookUrl };
    if (innerEvent !== undefined) body[innerEvent.name] = eventValue(innerEvent, event);
    else if (props.length === 0) body['event'] = event;
    return { [whole.name]: body };
  }
  throw new AppError(
    'bad_request',
    `action '${action.slug}' declares no parameter for the hook URL (looked for url, callbackUrl, target_url, webhook_url, …); add a body parameter named url to it`,
    { action: action.slug },
  );
}

function looksLikeId(name: string): boolean {
  const n = normalize(name);
  return n === 'id' || n.endsWith('id');
}

/**
 * The input of an unsubscribe action: the provider's subscription id as the path parameter named
 * like an id (`id`, `webhook_id`, `hookId`, …; or the only path parameter), else as such a body or
 * query parameter, else as `{ id }` in a whole-body parameter.
 */
export function unsubscribeInput({ action, id }: { action: Action; id: string }): JsonObject {
  const path = action.parameters.filter((p) => p.in === 'path');
  const inPath =
    path.find((p) => normalize(p.name) === 'id') ??
    path.find((p) => looksLikeId(p.name)) ??
    (path.length === 1 ? path[0] : undefined);
  if (inPath !== undefined) return { [inPath.name]: id };
  const other = action.parameters.filter(
    (p) => (p.in === 'body' || p.in === 'query') && p.whole !== true,
  );
  const named =
    other.find((p) => normalize(p.name) === 'id') ?? other.find((p) => looksLikeId(p.name));
  if (named !== undefined) return { [named.name]: id };
  const whole = action.parameters.find((p) => p.in === 'body' && p.whole === true);
  if (whole !== undefined) return { [whole.name]: { id } };
  throw new AppError(
    'bad_request',
    `action '${action.slug}' declares no parameter for the subscription id; give it a path parameter named id (e.g. /webhooks/{id})`,
    { action: action.slug },
  );
}

/**
 * The provider's id for a new subscription: `id` (string or number), else the first non-empty
 * string field named like an id (`webhook_id`, `subscriptionId`), looked for in the body and then
 * in a `data`, `webhook` or `subscription` object within it.
 */
export function subscriptionIdOf(body: unknown): string | undefined {
  const places = [body, ...['data', 'webhook', 'subscription'].map((k) => field(body, k))];
  for (const place of places) {
    if (!isObject(place)) continue;
    const id = place['id'];
    if ((typeof id === 'string' && id !== '') || (typeof id === 'number' && Number.isFinite(id)))
      return String(id);
    for (const [key, value] of Object.entries(place)) {
      if (typeof value !== 'string' || value === '') continue;
      if (/(?:^|[_-])id$/i.test(key) || /[a-z0-9]I[dD]$/.test(key)) return value;
    }
  }
  return undefined;
}

function field(value: unknown, key: string): unknown {
  return isObject(value) ? value[key] : undefined;
}

/**
 * A subscribe answer as it may be kept with the trigger: fields named like a secret or a token
 * (a per-subscription signing secret, say) are dropped, at any depth.
 */
export function withoutSecrets(value: unknown, depth = 0): unknown {
  if (depth > 8) return null;
  if (Array.isArray(value)) return value.map((v) => withoutSecrets(v, depth + 1));
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k]) => !SECRET_KEY.test(k))
      .map(([k, v]) => [k, withoutSecrets(v, depth + 1)]),
  );
}

/** How a poll action says "only what changed": a since-time or a sync token. */
export type CursorParam = { kind: 'since' | 'token'; name: string; wire: string };

/**
 * The poll action's incremental parameter, if any. Parameters the pagination uses (its cursor,
 * offset, page and limit) never count. A sync token is only used without pagination, where the
 * first answer is the whole answer and so carries the next token.
 */
export function cursorParamOf(action: Action): CursorParam | null {
  const pagination = action.pagination;
  const paging = new Set<string>();
  if (pagination !== undefined) {
    switch (pagination.style) {
      case 'cursor':
        paging.add(pagination.cursorParam);
        if (pagination.limitParam !== undefined) paging.add(pagination.limitParam);
        break;
      case 'offset':
        paging.add(pagination.offsetParam).add(pagination.limitParam);
        break;
      case 'page':
        paging.add(pagination.pageParam);
        if (pagination.perPageParam !== undefined) paging.add(pagination.perPageParam);
        break;
      case 'link':
        break;
    }
  }
  const params = action.parameters.filter(
    (p) =>
      (p.in === 'query' || p.in === 'body') &&
      p.whole !== true &&
      !paging.has(p.name) &&
      !paging.has(p.wireName ?? p.name),
  );
  const fields = fieldsOf(params);
  const since = pick(fields, SINCE_NAMES);
  if (since !== undefined) return { kind: 'since', name: since.name, wire: since.wire };
  const token = pagination === undefined ? pick(fields, TOKEN_NAMES) : undefined;
  if (token !== undefined) return { kind: 'token', name: token.name, wire: token.wire };
  return null;
}

/** The sync token an answer hands out: a top-level `<param>`, `next_<param>` or `new_<param>`. */
export function nextTokenOf({ body, param }: { body: unknown; param: CursorParam }): string | null {
  if (!isObject(body)) return null;
  const wanted = [normalize(param.wire), normalize(param.name)].flatMap((n) => [
    `next${n}`,
    `new${n}`,
    n,
  ]);
  for (const name of wanted) {
    for (const [key, value] of Object.entries(body)) {
      if (normalize(key) === name && typeof value === 'string' && value !== '') return value;
    }
  }
  return null;
}

/** The time a record last changed, as the API wrote it (string or number), if it says. */
export function updatedValueOf(record: unknown): string | number | null {
  if (!isObject(record)) return null;
  for (const name of UPDATED_FIELDS) {
    for (const [key, value] of Object.entries(record)) {
      if (normalize(key) !== name) continue;
      if (typeof value === 'string' && value !== '') return value;
      if (typeof value === 'number' && Number.isFinite(value)) return value;
    }
  }
  return null;
}

/** Orders two change times: numbers as numbers, dates by `Date.parse`, anything else as text. */
export function isLater(a: string | number, b: string | number): boolean {
  const rank = (v: string | number): number | null =>
    typeof v === 'number' ? v : /^\d+(\.\d+)?$/.test(v) ? Number(v) : Date.parse(v) || null;
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== null && rb !== null) return ra > rb;
  return String(a) > String(b);
}

/** The list a poll answer holds: the engine's collected `items`, the body array, or `data`-like. */
export function itemsOf({
  items,
  body,
}: {
  items: unknown[] | undefined;
  body: unknown;
}): unknown[] | null {
  const isList = (v: unknown): v is unknown[] => Array.isArray(v);
  if (items !== undefined) return items;
  if (isList(body)) return body;
  if (!isObject(body)) return null;
  for (const key of ['data', 'items', 'results', 'records', 'entries', 'objects']) {
    const value = body[key];
    if (isList(value)) return value;
  }
  const arrays = Object.values(body).filter(isList);
  return arrays.length === 1 ? (arrays[0] ?? null) : null;
}
