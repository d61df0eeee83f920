import type { OperationInfo } from './operations.ts';
import { itemsPathOf } from './operations.ts';
import {
  isObject,
  own,
  propertiesOf,
  typeOf,
  viewOf,
  type Resolver,
  type SchemaView,
} from './schema.ts';
import type { CdmEntity } from '../domain/cdm.ts';
import type { CrudKind, EntityGuess, RankedAction } from './types.ts';

/**
 * Resources (schemas returned by list or get operations that carry an id) with their CRUD
 * operations and a first guess of the CDM entity, and the ranking of actions built on them.
 * Heuristics, meant as a starting point the agent or a person confirms.
 */

const ID_PROPERTY =
  /^(id|uuid|gid|guid|key|sku|asin|code|number)$|(^|_)(id|number|key)$|[a-z](Id|Number|Key)$|ID$/;

interface Signals {
  names: RegExp;
  description: RegExp;
  /** Tested on property names lowercased with anything but letters and digits removed. */
  properties: [RegExp, number][];
}

const SIGNALS: Record<CdmEntity, Signals> = {
  Contact: {
    names: /customer|contact|user|person|people|member|lead|subscriber|client|recipient/i,
    description: /\b(customer|contact|person|user who|buyer|shopper)\b/i,
    properties: [
      [/^(email|emailaddress|primaryemail)$/, 3],
      [/^(firstname|givenname)$/, 3],
      [/^(lastname|familyname|surname)$/, 3],
      [/phone|mobile|telephone/, 2],
      [/^(jobtitle|position)$/, 1],
      [/^(company|companyname|organization|organisation)$/, 1],
      [/address/, 1],
      [/^(name|fullname|displayname|username|login)$/, 1],
    ],
  },
  Product: {
    names:
      /product|catalog|merchandise|goods|offering|inventory_?item|^item$|(^|_)item(_|$)|variant/i,
    description: /\b(for sale|product|merchandise|catalog item)\b/i,
    properties: [
      [/sku$/, 3],
      [/^price|price$/, 3],
      [/^(variants|variations|options)$/, 2],
      [/^(upc|ean|gtin|barcode|mpn|isbn|asin)$/, 2],
      [/^(brand|brandid|manufacturer|vendor)$/, 1],
      [/categor/, 1],
      [/image|photo/, 1],
      [/^(weight|dimensions|width|height)$/, 1],
      [/^(name|title|productname)$/, 1],
    ],
  },
  Order: {
    names: /order|purchase|checkout/i,
    description: /\b(order|purchase)\b/i,
    properties: [
      [/^(lineitems|orderlines|lines|items|orderitems|products|purchaseunits)$/, 3],
      [/^total|total$|^amount$/, 2],
      [/^(ordernumber|orderid|orderkey|incrementid)$/, 2],
      [/^(shippingaddress|billingaddress|shipto|billto|shipping|billing)$/, 2],
      [/^(fulfil+mentstatus|financialstatus|paymentstatus|orderstatus)$/, 2],
      [/^(currency|currencycode|ordercurrencycode)$/, 1],
      [/^(customer|customerid|buyer|payer|customeremail)$/, 1],
      [/^(quantity|shipdate|orderdate)$/, 1],
    ],
  },
  Invoice: {
    names: /invoice|(^|_|-)bill(_|-|$)/i,
    description: /\binvoice\b/i,
    properties: [
      [/^(amountdue|balance|balancedue|amountremaining)$/, 3],
      [/^(duedate|dueat)$/, 3],
      [/^(amountpaid|paidat|paid|totalpaid)$/, 2],
      [/^(invoicenumber|docnumber|number|incrementid)$/, 2],
      [/^(issuedate|issuedat|invoicedate|txndate|issuingdate)$/, 2],
      [/total$|^tax/, 1],
      [/^(lines|lineitems|line|fees|items)$/, 1],
      [/^(currency|currencycode)$/, 1],
    ],
  },
  InventoryLevel: {
    names: /inventory|stock|(^|_)level/i,
    description: /\b(inventory|stock)\b/i,
    properties: [
      [/available|fulfillable/, 3],
      [/onhand|^qty$|instock|totalquantity/, 3],
      [/location|warehouse/, 2],
      [/reserved|committed|allocated/, 2],
      [/quantity|inventorylevel|stocklevel/, 1],
      [/(sku|productid|variantid)$/, 1],
    ],
  },
  Fulfillment: {
    names: /fulfil+ment|shipment|tracking|tracker|package|delivery|parcel|consignment/i,
    description: /\b(fulfil+ment|shipment|shipping|tracking)\b/i,
    properties: [
      [/^tracking(number|code|numbers|id)?$/, 3],
      [/trackingur[li]/, 2],
      [/carrier|courier|trackingcompany/, 3],
      [/^(shippedat|shipdate|shipmentdate|shippeddate|deliveredat|shippingdate)$/, 2],
      [/^(tracks|packages|shipments|servicecode|fulfil+mentshipments|trackers)$/, 1],
    ],
  },
};

const MIN_SCORE = 5;

function normalized(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Score of the best CDM entity for a resource, from its name, path noun, description and properties. */
function score({
  name,
  noun,
  view,
  properties,
}: {
  name: string;
  noun: string | undefined;
  view: SchemaView;
  properties: string[];
}): { entity: CdmEntity | null; score: number } {
  const description = view.schema['description'];
  const props = properties.map(normalized);
  let best: { entity: CdmEntity; score: number } | undefined;
  // A generic schema name (HubSpot's SimplePublicObject) leaves the path to say what it is.
  const generic = !Object.values(SIGNALS).some((signals) => signals.names.test(name));
  for (const [entity, signals] of Object.entries(SIGNALS) as [CdmEntity, Signals][]) {
    let total = signals.names.test(name) ? 5 : 0;
    if (noun !== undefined && signals.names.test(noun)) total += generic ? 5 : 3;
    if (typeof description === 'string' && signals.description.test(description.slice(0, 2000)))
      total += 1.5;
    for (const [pattern, weight] of signals.properties)
      if (props.some((p) => pattern.test(p))) total += weight;
    if (best === undefined || total > best.score) best = { entity, score: total };
  }
  if (best === undefined || best.score < MIN_SCORE)
    return { entity: null, score: best?.score ?? 0 };
  return best;
}

interface ResponseResource {
  name: string;
  list: boolean;
}

/**
 * The schema name a node stands for: its reference, the one referenced part of an `allOf`
 * (`allOf: [$ref X, {extra fields}]` is still X), or the first non-deleted union member.
 */
function nameOf({
  node,
  resolver,
  depth = 0,
}: {
  node: unknown;
  resolver: Resolver;
  depth?: number;
}): string | undefined {
  if (depth > 8) return undefined;
  const view = viewOf({ node, resolver });
  if (view === undefined) return undefined;
  if (view.name !== undefined) return view.name;
  const allOf = view.schema['allOf'];
  if (Array.isArray(allOf)) {
    const names = allOf
      .map((p) => viewOf({ node: p, resolver })?.name)
      .filter((n): n is string => n !== undefined);
    if (names.length === 1) return names[0];
  }
  for (const union of ['anyOf', 'oneOf']) {
    const parts = own({ record: view.schema, key: union });
    if (!Array.isArray(parts)) continue;
    const names = parts
      .map((p) => nameOf({ node: p, resolver, depth: depth + 1 }))
      .filter((n): n is string => n !== undefined);
    return names.find((n) => !/^deleted/i.test(n)) ?? names[0];
  }
  return undefined;
}

const NOT_ITEMS = /^(errors?|warnings?|messages?|links)$/i;

/** The named schema a response returns, looking through arrays, list envelopes and wrappers. */
function resourceOf({
  schema,
  resolver,
}: {
  schema: unknown;
  resolver: Resolver;
}): ResponseResource | undefined {
  if (schema === undefined) return undefined;
  const view = viewOf({ node: schema, resolver });
  if (view === undefined) return undefined;
  if (typeOf({ node: schema, resolver }) === 'array') {
    const name = nameOf({ node: view.schema['items'], resolver });
    return name === undefined ? undefined : { name, list: true };
  }
  if (
    view.name === undefined ||
    Array.isArray(view.schema['anyOf']) ||
    Array.isArray(view.schema['oneOf'])
  ) {
    const direct = nameOf({ node: schema, resolver });
    if (direct !== undefined && direct !== view.name) return { name: direct, list: false };
  }
  const all = propertiesOf({ node: schema, resolver });
  const properties = new Map([...all].filter(([key]) => !NOT_ITEMS.test(key)));
  const ownId = [...properties.keys()].some((p) => ID_PROPERTY.test(p));
  const itemsPath = itemsPathOf({
    schema: { type: 'object', properties: Object.fromEntries(properties) },
    resolver,
  });
  if (itemsPath !== undefined && !ownId) {
    let node: unknown = { properties: Object.fromEntries(properties) };
    for (const segment of itemsPath.split('.'))
      node = propertiesOf({ node, resolver }).get(segment);
    const name = nameOf({ node: viewOf({ node, resolver })?.schema['items'], resolver });
    // An object with an id of its own that also holds an array is a resource, not a list.
    if (name !== undefined) return { name, list: true };
  }
  // Envelopes: { data: X }, or a small object wrapping one named resource ({ customer: X }).
  const objects = [...properties].filter(
    ([, value]) =>
      typeOf({ node: value, resolver }) !== 'array' &&
      nameOf({ node: value, resolver }) !== undefined,
  );
  const wrapper = objects.some(([k]) => k === 'data')
    ? 'data'
    : properties.size <= 3 && objects.length === 1
      ? objects[0]?.[0]
      : undefined;
  if (wrapper !== undefined && !ownId) {
    const inner = nameOf({ node: properties.get(wrapper), resolver });
    if (inner !== undefined) return { name: inner, list: false };
  }
  return view.name === undefined ? undefined : { name: view.name, list: false };
}

interface Slot {
  info: OperationInfo;
  rank: number[];
}

interface Resource {
  name: string;
  slots: Partial<Record<CrudKind, Slot>>;
  firstSeen: number;
}

const PARAM_SEGMENT = /^\{[^{}]+\}$/;

function segmentsOf(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

function parentOf(path: string): string {
  return path.replace(/\/\{[^{}]+\}$/, '') || '/';
}

function better({
  current: a,
  candidate: b,
}: {
  current: Slot | undefined;
  candidate: Slot;
}): boolean {
  if (a === undefined) return true;
  for (let i = 0; i < Math.max(a.rank.length, b.rank.length); i++) {
    const x = a.rank[i] ?? 0;
    const y = b.rank[i] ?? 0;
    if (x !== y) return y < x;
  }
  return false;
}

function schemaOf({
  name,
  resolver,
}: {
  name: string;
  resolver: Resolver;
}): SchemaView | undefined {
  const token = name.replaceAll('~', '~0').replaceAll('/', '~1');
  return (
    viewOf({ node: { $ref: `#/components/schemas/${token}` }, resolver }) ??
    viewOf({ node: { $ref: `#/definitions/${token}` }, resolver })
  );
}

function hasId({ name, resolver }: { name: string; resolver: Resolver }): boolean {
  const properties = propertiesOf({ node: schemaOf({ name, resolver })?.schema, resolver });
  if ([...properties.keys()].some((p) => ID_PROPERTY.test(p))) return true;
  // One level down: { identity: { sku, product_id } }.
  return [...properties.values()].some((value) =>
    [...propertiesOf({ node: value, resolver }).keys()].some((p) => ID_PROPERTY.test(p)),
  );
}

export interface EntityAnalysis {
  entities: EntityGuess[];
  /** Slugs of CRUD actions on the main entity of each CDM type, with their role. */
  main: Map<string, { entity: CdmEntity; kind: CrudKind; schema: string }>;
  /** Slugs of CRUD actions on other resources. */
  other: Map<string, { kind: CrudKind; schema: string }>;
}

export function entitiesOf({
  operations,
  resolver,
}: {
  operations: OperationInfo[];
  resolver: Resolver;
}): EntityAnalysis {
  const resources = new Map<string, Resource>();
  const resourceFor = ({ name, index }: { name: string; index: number }): Resource => {
    let r = resources.get(name);
    if (r === undefined) {
      r = { name, slots: {}, firstSeen: index };
      resources.set(name, r);
    }
    return r;
  };
  const offer = ({ resource, kind, slot }: { resource: Resource; kind: CrudKind; slot: Slot }) => {
    if (better({ current: resource.slots[kind], candidate: slot })) resource.slots[kind] = slot;
  };

  // Lists and gets define the resources; creates too, for APIs that only take writes.
  operations.forEach((info, index) => {
    const segments = segmentsOf(info.path);
    const itemPath = PARAM_SEGMENT.test(segments.at(-1) ?? '');
    if (info.method === 'POST' && !itemPath) {
      const created =
        resourceOf({ schema: info.responseSchema, resolver }) ??
        (nameOf({ node: info.requestSchema, resolver }) === undefined
          ? undefined
          : { name: nameOf({ node: info.requestSchema, resolver }) as string, list: false });
      if (created !== undefined && !created.list && hasId({ name: created.name, resolver }))
        offer({
          resource: resourceFor({ name: created.name, index }),
          kind: 'create',
          slot: { info, rank: [9, segments.length, index] },
        });
      return;
    }
    if (info.method !== 'GET') return;
    const found = resourceOf({ schema: info.responseSchema, resolver });
    if (found === undefined) return;
    const params = segments.filter((s) => PARAM_SEGMENT.test(s)).length;
    const resource = resourceFor({ name: found.name, index });
    const base = [params, segments.length, index];
    if (found.list)
      offer({ resource, kind: 'list', slot: { info, rank: [itemPath ? 1 : 0, ...base] } });
    else offer({ resource, kind: 'get', slot: { info, rank: [itemPath ? 0 : 1, ...base] } });
  });

  // A list of summaries and a get of the full record on the same collection are one resource,
  // named after the richer schema.
  for (const list of [...resources.values()]) {
    if (list.slots.list === undefined || list.slots.get !== undefined || !resources.has(list.name))
      continue;
    const collection = list.slots.list.info.path;
    const match = [...resources.values()].find(
      (r) =>
        r !== list &&
        r.slots.get !== undefined &&
        r.slots.list === undefined &&
        parentOf(r.slots.get.info.path) === collection,
    );
    if (match === undefined) continue;
    const a = new Set(
      propertiesOf({ node: schemaOf({ name: list.name, resolver })?.schema, resolver }).keys(),
    );
    const b = new Set(
      propertiesOf({ node: schemaOf({ name: match.name, resolver })?.schema, resolver }).keys(),
    );
    const aInB = [...a].every((k) => b.has(k));
    const bInA = [...b].every((k) => a.has(k));
    if (!aInB && !bInA) continue;
    const [keep, drop] = b.size > a.size && aInB ? [match, list] : [list, match];
    for (const [kind, slot] of Object.entries(drop.slots) as [CrudKind, Slot][])
      offer({ resource: keep, kind, slot });
    keep.firstSeen = Math.min(keep.firstSeen, drop.firstSeen);
    resources.delete(drop.name);
  }

  // Writes: by path next to the list and get first, then by the schema they return or take.
  const byPath = new Map<string, OperationInfo[]>();
  for (const info of operations) byPath.set(info.path, [...(byPath.get(info.path) ?? []), info]);
  const at = ({ path, method }: { path: string | undefined; method: string }) =>
    path === undefined ? [] : (byPath.get(path) ?? []).filter((o) => o.method === method);
  for (const resource of resources.values()) {
    const item = resource.slots.get?.info.path;
    const itemIsParam = item !== undefined && PARAM_SEGMENT.test(segmentsOf(item).at(-1) ?? '');
    const collections = new Set<string>();
    if (resource.slots.list) collections.add(resource.slots.list.info.path);
    if (item !== undefined && itemIsParam) collections.add(parentOf(item));
    for (const collection of collections)
      for (const info of at({ path: collection, method: 'POST' }))
        offer({
          resource,
          kind: 'create',
          slot: { info, rank: [0, collection === resource.slots.list?.info.path ? 0 : 1] },
        });
    if (!itemIsParam) continue;
    for (const method of ['PATCH', 'PUT'])
      for (const info of at({ path: item, method }))
        offer({ resource, kind: 'update', slot: { info, rank: [0, method === 'PATCH' ? 0 : 1] } });
    for (const collection of collections)
      for (const method of ['PUT', 'PATCH'])
        for (const info of at({ path: collection, method }))
          offer({ resource, kind: 'update', slot: { info, rank: [1] } });
    for (const info of at({ path: item, method: 'POST' }))
      offer({ resource, kind: 'update', slot: { info, rank: [2] } });
    for (const info of at({ path: item, method: 'DELETE' }))
      offer({ resource, kind: 'delete', slot: { info, rank: [0] } });
  }
  operations.forEach((info, index) => {
    if (info.method === 'GET' || info.method === 'HEAD' || info.method === 'OPTIONS') return;
    const name =
      resourceOf({ schema: info.responseSchema, resolver })?.name ??
      nameOf({ node: info.requestSchema, resolver });
    const resource = name === undefined ? undefined : resources.get(name);
    if (resource === undefined) return;
    const segments = segmentsOf(info.path);
    const itemPath = PARAM_SEGMENT.test(segments.at(-1) ?? '');
    const base = [segments.length, index];
    if (info.method === 'POST' && !itemPath)
      offer({ resource, kind: 'create', slot: { info, rank: [5, ...base] } });
    else if (info.method === 'DELETE')
      offer({ resource, kind: 'delete', slot: { info, rank: [5, ...base] } });
    else offer({ resource, kind: 'update', slot: { info, rank: [5, itemPath ? 0 : 1, ...base] } });
  });

  const guesses: (EntityGuess & {
    order: number;
    score: number;
    depth: number;
    resource: Resource;
  })[] = [];
  for (const resource of resources.values()) {
    const reads = resource.slots.list !== undefined || resource.slots.get !== undefined;
    const view = schemaOf({ name: resource.name, resolver });
    if (view === undefined || !isObject(view.schema)) continue;
    const byItemGet =
      resource.slots.get !== undefined &&
      PARAM_SEGMENT.test(segmentsOf(resource.slots.get.info.path).at(-1) ?? '');
    if (!hasId({ name: resource.name, resolver }) && !byItemGet) continue;
    const properties = [...propertiesOf({ node: view.schema, resolver }).keys()];
    const collection =
      resource.slots.list?.info.path ??
      (resource.slots.get === undefined
        ? resource.slots.create?.info.path
        : parentOf(resource.slots.get.info.path));
    const noun =
      collection === undefined
        ? undefined
        : [...segmentsOf(collection)].reverse().find((s) => !PARAM_SEGMENT.test(s));
    const { entity, score: points } = score({ name: resource.name, noun, view, properties });
    const depth =
      collection === undefined
        ? 0
        : segmentsOf(collection).filter((seg) => PARAM_SEGMENT.test(seg)).length;
    const ops: Partial<Record<CrudKind, string>> = {};
    for (const kind of ['list', 'get', 'create', 'update', 'delete'] as const) {
      const slot = resource.slots[kind];
      if (slot !== undefined) ops[kind] = slot.info.route;
    }
    const total = points + (reads ? 2 : 0) + (resource.slots.list && resource.slots.get ? 1 : 0);
    guesses.push({
      depth,
      schema: resource.name,
      cdmEntity: entity,
      confidence: entity === null ? 0 : Math.round((points / (points + 5)) * 100) / 100,
      operations: ops,
      order: resource.firstSeen,
      score: total,
      resource,
    });
  }
  // What an order is placed for is a product: a resource an Order refers to by `<name>Id`
  // (an order's `petId` → Pet), when no other resource was taken for a Product.
  if (!guesses.some((g) => g.cdmEntity === 'Product')) {
    const orderFields = new Set(
      guesses
        .filter((g) => g.cdmEntity === 'Order')
        .flatMap((g) => {
          const view = schemaOf({ name: g.schema, resolver });
          return view === undefined
            ? []
            : [...propertiesOf({ node: view.schema, resolver }).keys()].map(normalized);
        }),
    );
    for (const guess of guesses)
      if (guess.cdmEntity === null && orderFields.has(`${normalized(guess.schema)}id`)) {
        guess.cdmEntity = 'Product';
        guess.confidence = 0.5;
        guess.score += MIN_SCORE;
      }
  }
  // Resources nested under another (/accounts/{account}/people) rank below top-level ones.
  const shallowest = Math.min(...guesses.map((g) => g.depth));
  for (const guess of guesses) guess.score *= 0.75 ** (guess.depth - shallowest);
  guesses.sort(
    (a, b) =>
      (b.cdmEntity === null ? 0 : 1) - (a.cdmEntity === null ? 0 : 1) ||
      b.score - a.score ||
      a.order - b.order,
  );

  const main = new Map<string, { entity: CdmEntity; kind: CrudKind; schema: string }>();
  const other = new Map<string, { kind: CrudKind; schema: string }>();
  const taken = new Set<CdmEntity>();
  for (const guess of guesses) {
    const isMain = guess.cdmEntity !== null && !taken.has(guess.cdmEntity);
    if (guess.cdmEntity !== null) taken.add(guess.cdmEntity);
    for (const [kind, slot] of Object.entries(guess.resource.slots) as [CrudKind, Slot][]) {
      if (isMain && guess.cdmEntity !== null && !main.has(slot.info.slug))
        main.set(slot.info.slug, { entity: guess.cdmEntity, kind, schema: guess.schema });
      else if (!other.has(slot.info.slug))
        other.set(slot.info.slug, { kind, schema: guess.schema });
    }
  }
  return {
    entities: guesses.map(({ schema, cdmEntity, confidence, operations: ops }) => ({
      schema,
      cdmEntity,
      confidence,
      operations: ops,
    })),
    main,
    other,
  };
}

const KIND_BONUS: Record<CrudKind, number> = { list: 10, get: 8, create: 6, update: 5, delete: 2 };

/** CRUD on the main entities first, then other reads, then writes, then deletes; deprecated last. */
export function rankActions({
  operations,
  analysis,
}: {
  operations: OperationInfo[];
  analysis: EntityAnalysis;
}): RankedAction[] {
  return operations
    .map((info, index) => {
      const reasons: string[] = [];
      let score: number;
      const main = analysis.main.get(info.slug);
      const other = analysis.other.get(info.slug);
      const read = other !== undefined && (other.kind === 'list' || other.kind === 'get');
      if (main !== undefined) {
        score = 100 + KIND_BONUS[main.kind];
        reasons.push(`${main.kind} of ${main.entity} (schema ${main.schema})`);
      } else if (read) {
        score = 60 + KIND_BONUS[other.kind];
        reasons.push(`${other.kind} of resource ${other.schema}`);
      } else if (info.method === 'GET') {
        score = 50;
        reasons.push('read-only GET');
      } else if (other !== undefined) {
        score = (other.kind === 'delete' ? 15 : 30) + KIND_BONUS[other.kind];
        reasons.push(`${other.kind} of resource ${other.schema}`);
      } else if (info.method === 'DELETE') {
        score = 15;
        reasons.push('delete');
      } else if (info.method === 'HEAD' || info.method === 'OPTIONS') {
        score = 5;
        reasons.push(`${info.method} request`);
      } else {
        score = 25;
        reasons.push(`write (${info.method})`);
      }
      if (info.action.pagination !== undefined) {
        score += 1;
        reasons.push(`paginated (${info.action.pagination.style})`);
      }
      if (info.action.deprecated === true) {
        // Below every action that is not deprecated.
        score -= 200;
        reasons.push('deprecated');
      }
      return { index, ranked: { slug: info.slug, score, reasons } };
    })
    .sort((a, b) => b.ranked.score - a.ranked.score || a.index - b.index)
    .map(({ ranked }) => ranked);
}
