// The map step: which action's record is each canonical entity, chosen by how well the record
// fits the entity (the fields suggest_mapping finds), with the path and the import's tag only
// picking the candidates.
import type { Gateway } from './gateway.ts';
import type { ProposedMapping } from './types.ts';

/** An action as the run state lists it. */
export interface MapAction {
  slug: string;
  method: string;
  path: string;
  cdmEntity?: string;
}

/** What the map step reads of a step's context (the run's StepContext is one). */
export interface MapContext {
  readonly gateway: Gateway;
  readonly allow: readonly string[];
  readonly step: string;
  readonly state: { readonly connector?: { slug: string }; readonly actions: readonly MapAction[] };
}

export interface MapResult {
  mappings: { saved: ProposedMapping[]; proposed: ProposedMapping[] };
}

/** Methods that read: their answer is the record as the API keeps it. */
export const READS = new Set(['GET', 'HEAD']);

const call = (ctx: MapContext, name: string, args: Record<string, unknown>) =>
  ctx.gateway.call(ctx.step, ctx.allow, name, args);

/** The canonical entities the map step looks for. */
const ENTITIES = ['Contact', 'Product', 'Order', 'Invoice', 'InventoryLevel', 'Fulfillment'];

/** Path words that name each entity's collection; they only pick candidates, the schema decides. */
const ENTITY_NOUNS: Record<string, RegExp> = {
  Contact:
    /^(contacts?|customers?|users?|people|persons?|members?|leads?|subscribers?|clients?|recipients?)$/,
  Product: /^(products?|catalogs?|variants?|skus?|goods|merchandise|offerings?)$/,
  Order: /^(orders?|purchases?)$/,
  Invoice: /^(invoices?|bills?)$/,
  InventoryLevel: /^(inventory|inventories|stocks?|levels?)$/,
  Fulfillment:
    /^(fulfil+ments?|shipments?|track|tracking|trackers?|packages?|deliveries|parcels?|consignments?)$/,
};

/**
 * Fields most resources carry: they say little about which entity a record is. A mapping is
 * saved only when fields beyond these fit (an email, a price, line items, a tracking number).
 */
const GENERIC_FIELDS = new Set([
  'id',
  'name',
  'fullName',
  'description',
  'status',
  'currency',
  'createdAt',
  'updatedAt',
]);

/** A suggested field counts towards the fit from this confidence up. */
const FIT_CONFIDENCE = 0.7;

interface SuggestedField {
  cdmField: string;
  sourcePath: string;
  confidence: number;
  expression?: string;
}

interface MapCandidate {
  action: MapAction;
  /** See priorOf. */
  prior: number;
  write: boolean;
}

const wordsOf = (segment: string): string[] =>
  segment
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((w) => w !== '');

/** Path words that say how a collection is read, not what it holds (`users.info`, `/search`). */
const READ_WORDS =
  /^(get|list|info|all|search|find|query|read|show|fetch|lookup|details?|by|id|api|rest|v)$/;

/** Head words that name no kind of thing, only that there are several. */
const CONTAINER_WORDS = /^(items?|entries|records?|collection)$/;

/**
 * The collection's head noun (last word that is not a read word) and all its path words. An
 * order to ship (`fulfillmentOrders`, `shipment_orders`) is a fulfilment, not a sale: its head
 * is the word that says so.
 */
function nounsOf(path: string): { head: string | undefined; words: string[] } {
  const segments = path.split('/').filter((s) => s !== '' && !s.startsWith('{'));
  const words = segments.flatMap(wordsOf).filter((w) => !READ_WORDS.test(w));
  const last = wordsOf(segments.at(-1) ?? '').filter((w) => !READ_WORDS.test(w));
  // `stockItems`, `catalog/items`: "items" says there are several, the word before says of what
  // (not across a parameter: `/orders/{id}/items` are an order's lines).
  const literal = path.split('/').filter((x) => x !== '');
  const end = literal.findLastIndex((x) => !x.startsWith('{'));
  const run = literal.slice(0, end);
  const from = run.findLastIndex((x) => x.startsWith('{')) + 1;
  const previous = run.slice(from).flatMap(wordsOf);
  const before = [...previous, ...last.slice(0, -1)].filter((w) => !READ_WORDS.test(w));
  const head =
    CONTAINER_WORDS.test(words.at(-1) ?? '') && before.length > 0 ? before.at(-1) : words.at(-1);
  const shipping = last.slice(0, -1).find((w) => ENTITY_NOUNS['Fulfillment']!.test(w));
  if (head !== undefined && shipping !== undefined && ENTITY_NOUNS['Order']!.test(head))
    return { head: shipping, words };
  return { head, words };
}

/**
 * Whether any word of the path names the entity, its parameters' names included
 * (`/inventory_item/{sku}` names a product by its key).
 */
function mentions(path: string, entity: string, extra?: RegExp): boolean {
  const nouns = extra ?? ENTITY_NOUNS[entity];
  if (nouns === undefined) return false;
  return path
    .split('/')
    .map((s) => s.replace(/^\{|\}$/g, ''))
    .flatMap(wordsOf)
    .some((w) => nouns.test(w));
}

/**
 * How strongly an action's path or import tag points at an entity (0: not at all): 4 when the
 * import took it for the entity and the head noun of its path names it, 3 when only the import
 * did, 2 when only the head noun does (`/v1/customers`, `users.info`), 1 when another word of
 * the path does (`/fba/inventory/summaries`).
 */
export function priorOf(action: MapAction, entity: string, extra?: RegExp): number {
  const nouns = extra ?? ENTITY_NOUNS[entity];
  const { head, words } = nounsOf(action.path);
  const named = nouns !== undefined && head !== undefined && nouns.test(head);
  if (action.cdmEntity === entity) return named ? 4 : 3;
  if (named) return 2;
  // A collection whose head names another entity holds that one (`fulfillmentOrders` for Order).
  if (head !== undefined && ENTITIES.some((e) => e !== entity && ENTITY_NOUNS[e]?.test(head)))
    return 0;
  return nouns !== undefined && words.some((w) => nouns.test(w)) ? 1 : 0;
}

/** Whether the path's head noun is the entity's own name (`/invoices` for Invoice, not `/bills`). */
function namedAs(path: string, entity: string): boolean {
  const own = entity.toLowerCase();
  const { head } = nounsOf(path);
  return head === own || head === `${own}s`;
}

/** Path parameters before the last segment: a resource nested under another one. */
function nesting(path: string): number {
  return path
    .replace(/\/\{[^}]+\}$/, '')
    .split('/')
    .filter((s) => s.startsWith('{')).length;
}

/**
 * Fields without which a record is not the entity, whatever else it carries: a stock level
 * counts something (a product's feature flags keyed by SKU are not one).
 */
const DEFINING: Readonly<Record<string, RegExp>> = { InventoryLevel: /^quantity/ };

/** Whether the confident fields include the entity's defining one, when it has one. */
export function definesEntity(fields: readonly SuggestedField[], entity: string): boolean {
  const defining = DEFINING[entity];
  return (
    defining === undefined ||
    fields.some((f) => f.confidence >= FIT_CONFIDENCE && defining.test(f.cdmField))
  );
}

/**
 * How well a suggestion fits the entity: the confident fields, those that only this kind of
 * record carries counting fully, generic ones (id, name, dates) a quarter. Null when it does
 * not clear the bar: two entity-specific fields; on an action the import took for the entity,
 * one and another field; when its path names the entity too, any three fields (a product is
 * often only a name and a description).
 */
export function fitOf(fields: readonly SuggestedField[], prior: number): number | null {
  const confident = fields.filter((f) => f.confidence >= FIT_CONFIDENCE);
  const specific = confident.filter((f) => !GENERIC_FIELDS.has(f.cdmField));
  const enough =
    specific.length >= 2 ||
    (prior >= 3 && specific.length === 1 && confident.length >= 2) ||
    (prior === 4 && confident.length >= 3) ||
    // Tagged and named by its path, and the API keys it by a field the record carries: a
    // catalog item may be no more than its id and its name.
    (prior === 4 && confident.length === 2 && confident.some((f) => f.cdmField === 'id'));
  if (!enough) return null;
  return confident.reduce(
    (sum, f) => sum + f.confidence * (GENERIC_FIELDS.has(f.cdmField) ? 0.25 : 1),
    0,
  );
}

/** Candidates for an entity, most likely first: reads before writes, item reads before lists. */
export function candidatesFor(
  actions: readonly MapAction[],
  entity: string,
  alias?: string,
): MapCandidate[] {
  const out: MapCandidate[] = [];
  const extra =
    alias === undefined ? undefined : new RegExp(`${ENTITY_NOUNS[entity]!.source}|^${alias}s?$`);
  for (const action of actions) {
    const prior = priorOf(action, entity, extra);
    if (prior === 0) continue;
    // The import tags by the record's fields as well, so its tag alone adds nothing to the fit:
    // a record no word of whose path names the entity (a cart's billing address, a checkout
    // session, a credit note) is some other resource shaped like it.
    if (prior === 3 && !mentions(action.path, entity, extra)) continue;
    // Under another resource (`/carts/{id}/items`, `/customers/{id}/credit_notes`), only a
    // collection whose own name says the entity is one: the rest are parts of the parent.
    if (nesting(action.path) > 0 && prior !== 2 && prior !== 4) continue;
    const write = !READS.has(action.method);
    // A write is a candidate when its path or tag names the entity at its end: its answer is
    // often the record itself (APIs that only take writes for a resource).
    if (write && (prior < 2 || action.method === 'DELETE')) continue;
    // Under another record (`POST /orders/{id}/track`) a write often answers with the parent:
    // its request body says what it is (see fromBody).
    if (write && nesting(action.path) > 0) continue;
    out.push({ action, prior, write });
  }
  const depth = (a: MapCandidate) =>
    a.action.path.split('/').filter((s) => s.startsWith('{')).length;
  const item = (a: MapCandidate) => (a.action.path.endsWith('}') ? 0 : 1);
  return out
    .sort(
      (a, b) =>
        Number(a.write) - Number(b.write) ||
        b.prior - a.prior ||
        depth(a) - item(a) - (depth(b) - item(b)) ||
        item(a) - item(b) ||
        a.action.path.length - b.action.path.length,
    )
    .slice(0, MAX_CANDIDATES);
}

/** suggest_mapping calls per entity at most, so a large API stays quick. */
const MAX_CANDIDATES = 8;

interface Fit {
  entity: string;
  candidate: MapCandidate;
  score: number;
  fields: SuggestedField[];
  mapping: unknown;
}

/**
 * Maps the connector to the canonical entities: for each entity, the actions whose path or
 * import tag names it are asked for a suggestion, and the one whose record fits the entity
 * best (by the fields suggested, not by the action's name) is saved when it clears the bar.
 * Reads are preferred; a write counts only when no read fits.
 */
export async function map(ctx: MapContext): Promise<MapResult> {
  const { state } = ctx;
  const slug = state.connector?.slug ?? '';
  const saved: ProposedMapping[] = [];
  const proposed: ProposedMapping[] = [];
  const fits: Fit[][] = [];
  // What the orders are of is the product: Order first, so that the collection its line's
  // product id names (`petId` → `/pet`) is a Product candidate whatever the API calls it.
  let ordered: string | undefined;
  for (const entity of MAP_ORDER) {
    let found: Fit[] = [];
    let unfit: ProposedMapping | undefined;
    const alias = entity === 'Product' ? ordered : undefined;
    for (const candidate of candidatesFor(state.actions, entity, alias)) {
      if (candidate.write && found.some((f) => !f.candidate.write)) break;
      const answer = await call(ctx, 'suggest_mapping', {
        connector: slug,
        action: candidate.action.slug,
        entity,
      });
      if (!answer.ok || answer.data === null) continue;
      const fields = answer.data['fields'] as SuggestedField[];
      const fit = definesEntity(fields, entity) ? fitOf(fields, candidate.prior) : null;
      if (fit === null) {
        if (unfit === undefined && fields.length > 0)
          unfit = { entity, action: candidate.action.slug, fields: fieldsOf(fields) };
        continue;
      }
      // The name counts a little; a resource nested under another one (`/accounts/{id}/people`)
      // is less likely the API's own record of the entity than a top-level one.
      // A record with no id of its own (tracking details, a report row) cannot be kept in step
      // with the entity: one the API keys by an id is more likely the entity's own record.
      const keyed =
        entity === 'InventoryLevel' ||
        fields.some((f) => f.cdmField === 'id' && f.confidence >= FIT_CONFIDENCE);
      const score =
        (fit +
          0.25 * candidate.prior +
          (candidate.prior === 4 ? 1 : 0) +
          (namedAs(candidate.action.path, entity) ? 0.75 : 0)) *
        0.75 ** nesting(candidate.action.path) *
        (keyed ? 1 : 0.8);
      found.push({ entity, candidate, score, fields, mapping: answer.data['mapping'] });
    }
    // A named view of a collection (`/stockItems/lowStock`) yields to the collection's own
    // item read (`/stockItems/{sku}`) when that fits too: the view is a filtered list of it.
    const items = new Set(
      found.flatMap((f) => {
        const m = /^(.*)\/\{[^}]+\}$/.exec(f.candidate.action.path);
        return m === null || f.candidate.write ? [] : [m[1]!.toLowerCase()];
      }),
    );
    found = found.filter((f) => {
      const m = /^(.*)\/[^/{]+\/?$/.exec(f.candidate.action.path);
      return m === null || !items.has(m[1]!.toLowerCase());
    });
    // Best first; a score within 0.01 of a better one keeps the earlier candidate's place.
    found.sort((a, b) => (Math.abs(a.score - b.score) <= 0.01 ? 0 : b.score - a.score));
    if (entity === 'Order') ordered = orderedNoun(found[0]?.fields ?? []);
    if (found.length === 0) {
      const mapped = new Set(fits.map((list) => list[0]!.entity));
      const written = await fromBody(ctx, entity, slug, mapped, unfit !== undefined);
      if (written !== undefined) {
        (written.saved ? saved : proposed).push(written.mapping);
        continue;
      }
    }
    if (found.length > 0) fits.push(found);
    // Left for a person to review: the first suggestion that did not clear the bar.
    else if (unfit !== undefined) proposed.push(unfit);
  }
  for (const best of fits.map((found) => found[0]!)) {
    const mapping = {
      entity: best.entity,
      action: best.candidate.action.slug,
      fields: fieldsOf(best.fields),
    };
    const result = await call(ctx, 'save_mapping', {
      connector: slug,
      entity: best.entity,
      direction: 'to_canonical',
      fields: best.mapping,
      note: `suggested from ${best.candidate.action.slug} by the connector agent`,
    });
    (result.ok ? saved : proposed).push(mapping);
  }
  return { mappings: { saved, proposed } };
}

/** Whether the path is under one record of the parent entity's collection (`/orders/{id}/…`). */
function childOf(path: string, parent: string): boolean {
  const segments = path.split('/').filter((x) => x !== '');
  return segments.some(
    (x, i) =>
      i + 1 < segments.length - 1 &&
      segments[i + 1]!.startsWith('{') &&
      !x.startsWith('{') &&
      wordsOf(x).some((w) => ENTITY_NOUNS[parent]?.test(w)),
  );
}

/** Methods whose request body carries the resource. */
const BODY_WRITES = new Set(['POST', 'PUT', 'PATCH']);

/**
 * An entity the API only takes as part of another one it has (tracking sent to an order,
 * `POST /orders/{id}/track`): the write under that record whose path names the entity and whose
 * request body fits is mapped `from_canonical`, body path ← canonical field, so the entity can
 * at least be written back.
 */
async function fromBody(
  ctx: MapContext,
  entity: string,
  slug: string,
  mapped: ReadonlySet<string>,
  /** Whether some record of the entity could be read, though it did not fit. */
  readable: boolean,
): Promise<{ saved: boolean; mapping: ProposedMapping } | undefined> {
  // An update of one record (`PUT /orders/{id}`) when no answer tells what the record holds,
  // its path naming the entity itself (the import's tag alone took a cart for an order).
  const update = (a: MapAction) =>
    !readable &&
    a.method !== 'POST' &&
    a.path.endsWith('}') &&
    nesting(a.path) === 0 &&
    priorOf(a, entity) % 2 === 0;
  const writes = ctx.state.actions.filter(
    (a) =>
      BODY_WRITES.has(a.method) &&
      priorOf(a, entity) >= 2 &&
      (update(a) || [...mapped].some((parent) => parent !== entity && childOf(a.path, parent))),
  );
  let best: { action: MapAction; fields: SuggestedField[]; score: number } | undefined;
  for (const action of writes.slice(0, MAX_CANDIDATES)) {
    const answer = await call(ctx, 'suggest_mapping', {
      connector: slug,
      action: action.slug,
      entity,
      body: true,
    });
    if (!answer.ok || answer.data === null) continue;
    const fields = answer.data['fields'] as SuggestedField[];
    // The write's path names the entity, so its body is the entity: the bar of a named and
    // tagged record; for the update of a record nothing else describes, any field that fits.
    const confident = fields.filter((f) => f.confidence >= FIT_CONFIDENCE);
    const fit = !definesEntity(fields, entity)
      ? null
      : (fitOf(fields, 4) ?? (update(action) && confident.length > 0 ? 0.25 : null));
    if (fit !== null && (best === undefined || fit > best.score + 0.01))
      best = { action, fields, score: fit };
  }
  if (best === undefined) return undefined;
  const confident = best.fields.filter((f) => f.confidence >= FIT_CONFIDENCE);
  const mapping = { entity, action: best.action.slug, fields: fieldsOf(confident) };
  const result = await call(ctx, 'save_mapping', {
    connector: slug,
    entity,
    direction: 'from_canonical',
    fields: bodyMapping(confident),
    note: `suggested from ${best.action.slug}'s request body by the connector agent`,
  });
  return { saved: result.ok, mapping };
}

/**
 * Suggested fields turned around: body path ← canonical field (`tracking_number` ←
 * `trackingNumber`); a line-item field maps over the line items (`items[]` ← `lineItems`,
 * `items[].sku` ← `sku`).
 */
export function bodyMapping(fields: readonly SuggestedField[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fields) {
    const line = /^lineItems\[\]\.(.+)$/.exec(f.cdmField);
    const target = /^([^[]+)\[\]\.([^[]+)$/.exec(f.sourcePath);
    if (line !== null) {
      // One array level only, on both sides.
      if (target === null) continue;
      out[`${target[1]}[]`] = 'lineItems';
      out[f.sourcePath] = line[1]!;
    } else if (!f.sourcePath.includes('[]')) out[f.sourcePath] = f.cdmField;
  }
  return out;
}

const MAP_ORDER = ['Contact', 'Order', 'Product', 'Invoice', 'InventoryLevel', 'Fulfillment'];

/** The noun of a line's product id that is a plain `<noun>Id` field (`petId` → `pet`). */
function orderedNoun(fields: readonly SuggestedField[]): string | undefined {
  const source = fields.find(
    (f) => f.cdmField === 'lineItems[].productId' && f.confidence >= FIT_CONFIDENCE,
  )?.sourcePath;
  const noun =
    source === undefined ? undefined : /^([a-z]+)_?id$/i.exec(source)?.[1]?.toLowerCase();
  return noun === undefined || noun === 'product' ? undefined : noun;
}

function fieldsOf(fields: readonly SuggestedField[]): ProposedMapping['fields'] {
  return fields.map((f) => ({
    cdmField: f.cdmField,
    expression: f.expression ?? f.sourcePath,
    confidence: f.confidence,
  }));
}
