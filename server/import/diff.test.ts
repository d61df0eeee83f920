import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { ConnectorDocumentSchema, type ConnectorDocument } from '../domain/connector.ts';
import { AppError } from '../errors.ts';
import {
  applyDiff,
  diffDocuments,
  isEmptyDiff,
  summarizeDiff,
  type ConnectorDiff,
} from './diff.ts';

/** Documents as written, before defaults are filled in. */
type Draft = z.input<typeof ConnectorDocumentSchema>;
type ActionDraft = NonNullable<Draft['actions']>[number];
type EventDraft = NonNullable<Draft['events']>[number];
type AuthDraft = NonNullable<Draft['connector']['authMethods']>[number];

function doc(input: unknown): ConnectorDocument {
  return ConnectorDocumentSchema.parse(input);
}

/** The same value with every object's keys in reverse order. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversed(v)]),
  );
}

const oauth2: AuthDraft & { type: 'oauth2' } = {
  key: 'oauth2',
  type: 'oauth2',
  authorizeUrl: 'https://crm.example.com/oauth/authorize',
  tokenUrl: 'https://crm.example.com/oauth/token',
  scopes: ['contacts.read'],
};

const listCustomers: ActionDraft = {
  slug: 'listCustomers',
  name: 'List customers',
  method: 'GET',
  path: '/customers',
  parameters: [
    { name: 'limit', in: 'query', schema: { type: 'integer' } },
    { name: 'cursor', in: 'query', schema: { type: 'string' } },
  ],
  pagination: { style: 'cursor', cursorParam: 'cursor', nextCursorPath: 'next', itemsPath: 'data' },
};
const getCustomer: ActionDraft = {
  slug: 'getCustomer',
  name: 'Get customer',
  method: 'GET',
  path: '/customers/{id}',
  parameters: [
    { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
    { name: 'fields', in: 'query', schema: { type: 'string' } },
  ],
  outputSchema: { type: 'object', properties: { id: { type: 'string' } } },
};
const deleteCustomer: ActionDraft = {
  slug: 'deleteCustomer',
  name: 'Delete customer',
  method: 'DELETE',
  path: '/customers/{id}',
  parameters: [{ name: 'id', in: 'path', required: true }],
};
const legacyExport: ActionDraft = {
  slug: 'legacyExport',
  name: 'Legacy export',
  method: 'POST',
  path: '/export',
};

const v1 = {
  weftConnector: 1,
  connector: {
    slug: 'crm',
    name: 'CRM',
    description: 'Our CRM',
    visibility: 'public',
    baseUrl: 'https://crm.example.com/v1',
    serverVariables: {},
    authMethods: [oauth2, { key: 'basic', type: 'basic' }],
    rateLimit: { requestsPerSecond: 5 },
  },
  actions: [listCustomers, getCustomer, deleteCustomer, legacyExport],
  events: [
    { name: 'customer.created', payloadSchema: { type: 'object' } },
    { name: 'customer.deleted' },
  ],
} satisfies Draft;

/** v1 with some parts replaced. */
function v1With({
  connector,
  actions,
  events,
}: {
  connector?: Partial<Draft['connector']>;
  actions?: ActionDraft[];
  events?: EventDraft[];
}): ConnectorDocument {
  return doc({
    ...v1,
    connector: { ...v1.connector, ...connector },
    actions: actions ?? v1.actions,
    events: events ?? v1.events,
  });
}

describe('diffDocuments', () => {
  it('finds nothing between identical documents, whatever their key order', () => {
    const current = doc(v1);
    const diff = diffDocuments({ current, incoming: doc(reversed(v1)) });
    expect(isEmptyDiff(diff)).toBe(true);
    expect(summarizeDiff(diff)).toBe('no changes');
    expect(diff).toEqual({
      connector: [],
      authMethods: { added: [], removed: [], changed: [] },
      actions: { added: [], removed: [], changed: [] },
      events: { added: [], removed: [], changed: [] },
    });
  });

  it('matches parameters by name, so a new order is no change', () => {
    const incoming = v1With({
      actions: [
        { ...listCustomers, parameters: [...(listCustomers.parameters ?? [])].reverse() },
        getCustomer,
        deleteCustomer,
        legacyExport,
      ],
    });
    expect(isEmptyDiff(diffDocuments({ current: doc(v1), incoming }))).toBe(true);
  });

  it('reports actions added, removed and changed with the fields that differ', () => {
    const incoming = v1With({
      actions: [
        {
          ...listCustomers,
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', maximum: 100 } },
            { name: 'cursor', in: 'query', schema: { type: 'string' } },
          ],
          pagination: {
            style: 'offset',
            offsetParam: 'offset',
            limitParam: 'limit',
            itemsPath: 'data',
          },
        },
        {
          slug: 'getCustomer',
          name: 'Get customer',
          description: 'One customer by id',
          method: 'POST',
          path: '/customers/{id}/get',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'fields', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'expand', in: 'query', schema: { type: 'array' } },
          ],
          outputSchema: { type: 'object', properties: { id: { type: 'integer' } } },
          deprecated: true,
        },
        { ...deleteCustomer, parameters: [] },
        { slug: 'createCustomer', name: 'Create customer', method: 'POST', path: '/customers' },
        { slug: 'searchCustomers', name: 'Search', method: 'GET', path: '/customers/search' },
        { slug: 'mergeCustomers', name: 'Merge', method: 'POST', path: '/customers/merge' },
      ],
    });
    const diff = diffDocuments({ current: doc(v1), incoming });
    expect(diff.actions).toEqual({
      added: ['createCustomer', 'searchCustomers', 'mergeCustomers'],
      removed: ['legacyExport'],
      changed: [
        {
          slug: 'listCustomers',
          fields: ['parameters', 'pagination'],
          parameters: { added: [], removed: [], changed: [{ name: 'limit', fields: ['schema'] }] },
        },
        {
          slug: 'getCustomer',
          fields: ['description', 'method', 'path', 'parameters', 'outputSchema', 'deprecated'],
          parameters: {
            added: ['expand'],
            removed: [],
            changed: [
              { name: 'fields', fields: ['required'], required: { from: false, to: true } },
            ],
          },
        },
        {
          slug: 'deleteCustomer',
          fields: ['parameters'],
          parameters: { added: [], removed: ['id'], changed: [] },
        },
      ],
    });
    expect(summarizeDiff(diff)).toBe(
      '3 actions added, 1 removed, 3 changed (listCustomers: parameters ~limit, pagination; ' +
        'getCustomer: description, method, path, parameters +expand ~fields (now required), outputSchema, deprecated; ' +
        'deleteCustomer: parameters -id)',
    );
  });

  it('summarizes in a short line', () => {
    const incoming = v1With({
      connector: {
        authMethods: [
          { ...oauth2, scopes: ['contacts.read', 'contacts.write'] },
          { key: 'basic', type: 'basic' },
        ],
      },
      actions: [
        { ...listCustomers, deprecated: true },
        {
          ...getCustomer,
          path: '/contacts/{id}',
          parameters: [...(getCustomer.parameters ?? []), { name: 'expand', in: 'query' }],
        },
        deleteCustomer,
        { slug: 'a1', name: 'a1', method: 'GET', path: '/a1' },
        { slug: 'a2', name: 'a2', method: 'GET', path: '/a2' },
        { slug: 'a3', name: 'a3', method: 'GET', path: '/a3' },
      ],
    });
    const diff = diffDocuments({ current: doc(v1), incoming });
    expect(summarizeDiff(diff)).toBe(
      '3 actions added, 1 removed, 2 changed (listCustomers: deprecated; getCustomer: path, parameters +expand); auth: oauth2 scopes changed',
    );
  });

  it('compares an explicit input schema with the one the parameters give', () => {
    const withSchema = (inputSchema: Record<string, unknown>) =>
      v1With({
        actions: [listCustomers, getCustomer, deleteCustomer, { ...legacyExport, inputSchema }],
      });
    const derived = { type: 'object', properties: {}, additionalProperties: false };
    expect(isEmptyDiff(diffDocuments({ current: doc(v1), incoming: withSchema(derived) }))).toBe(
      true,
    );
    expect(
      diffDocuments({ current: doc(v1), incoming: withSchema({ type: 'object' }) }).actions.changed,
    ).toEqual([{ slug: 'legacyExport', fields: ['inputSchema'] }]);
  });

  it('reports events added, removed and changed', () => {
    const incoming = v1With({
      events: [
        {
          name: 'customer.created',
          payloadSchema: { type: 'object', properties: { id: { type: 'string' } } },
          subscription: { mode: 'webhook' },
        },
        { name: 'customer.updated' },
      ],
    });
    const diff = diffDocuments({ current: doc(v1), incoming });
    expect(diff.events).toEqual({
      added: ['customer.updated'],
      removed: ['customer.deleted'],
      changed: [{ name: 'customer.created', fields: ['payloadSchema', 'subscription'] }],
    });
    expect(summarizeDiff(diff)).toBe(
      '1 event added, 1 removed, 1 changed (customer.created: payloadSchema, subscription)',
    );
  });

  it('reports auth methods added, removed and changed by key', () => {
    const incoming = v1With({
      connector: {
        authMethods: [
          {
            ...oauth2,
            scopes: ['contacts.read', 'contacts.write'],
            tokenUrl: 'https://crm.example.com/token',
          },
          { key: 'api_key', type: 'api_key', in: 'header', name: 'X-Key' },
        ],
      },
    });
    const diff = diffDocuments({ current: doc(v1), incoming });
    expect(diff.authMethods).toEqual({
      added: ['api_key'],
      removed: ['basic'],
      changed: [{ key: 'oauth2', fields: ['tokenUrl', 'scopes'] }],
    });
    expect(summarizeDiff(diff)).toBe(
      'auth: api_key added, basic removed, oauth2 tokenUrl, scopes changed',
    );
  });

  it('reports connector changes the spec speaks for and leaves the rest alone', () => {
    const incoming = {
      ...v1,
      connector: {
        slug: 'crm',
        name: 'CRM v2',
        baseUrl: 'https://{region}.crm.example.com/v2',
        serverVariables: { region: { default: 'eu', enum: ['eu', 'us'] } },
        authMethods: v1.connector.authMethods,
      },
    };
    const diff = diffDocuments({ current: doc(v1), incoming: doc(incoming) });
    // Visibility (private by default here) is a sharing decision; description and rate limit
    // are absent from the incoming document, so the spec says nothing about them.
    expect(diff.connector).toEqual([
      { field: 'name', from: 'CRM', to: 'CRM v2' },
      {
        field: 'baseUrl',
        from: 'https://crm.example.com/v1',
        to: 'https://{region}.crm.example.com/v2',
      },
      {
        field: 'serverVariables',
        from: {},
        to: { region: { default: 'eu', enum: ['eu', 'us'] } },
      },
    ]);
    expect(summarizeDiff(diff)).toBe('connector: name, baseUrl, serverVariables changed');
  });
});

describe('applyDiff', () => {
  const incoming = doc({
    ...v1,
    connector: {
      slug: 'crm-new',
      name: 'CRM v2',
      baseUrl: 'https://crm.example.com/v2',
      authMethods: [{ ...oauth2, scopes: ['contacts.read', 'contacts.write'] }],
    },
    actions: [
      { slug: 'createCustomer', name: 'Create customer', method: 'POST', path: '/customers' },
      { ...getCustomer, path: '/contacts/{id}' },
      listCustomers,
    ],
    events: [{ name: 'customer.created', payloadSchema: { type: 'object', required: ['id'] } }],
  });

  it('takes added and changed from the new document and keeps what it dropped', () => {
    const current = doc(v1);
    const merged = applyDiff({
      current,
      incoming,
      diff: diffDocuments({ current, incoming }),
      options: { removeMissing: false },
    });
    expect(ConnectorDocumentSchema.parse(merged)).toEqual(merged);
    expect(merged.connector).toEqual({
      ...current.connector,
      name: 'CRM v2',
      baseUrl: 'https://crm.example.com/v2',
      authMethods: [incoming.connector.authMethods[0], current.connector.authMethods[1]],
    });
    expect(merged.actions).toEqual([
      current.actions[0],
      incoming.actions[1],
      current.actions[2],
      current.actions[3],
      incoming.actions[0],
    ]);
    expect(merged.events).toEqual([incoming.events[0], current.events[1]]);
    // What is left to change is only what was kept on purpose.
    const rest = diffDocuments({ current: merged, incoming });
    expect(rest.actions).toEqual({
      added: [],
      removed: ['deleteCustomer', 'legacyExport'],
      changed: [],
    });
    expect(rest.authMethods).toEqual({ added: [], removed: ['basic'], changed: [] });
  });

  it('drops what the new document no longer has with removeMissing', () => {
    const current = doc(v1);
    const merged = applyDiff({
      current,
      incoming,
      diff: diffDocuments({ current, incoming }),
      options: { removeMissing: true },
    });
    expect(ConnectorDocumentSchema.parse(merged)).toEqual(merged);
    expect(merged.connector.slug).toBe('crm');
    expect(merged.connector.visibility).toBe('public');
    expect(merged.connector.authMethods).toEqual(incoming.connector.authMethods);
    expect(merged.actions.map((a) => a.slug)).toEqual([
      'listCustomers',
      'getCustomer',
      'createCustomer',
    ]);
    expect(merged.events).toEqual(incoming.events);
    expect(isEmptyDiff(diffDocuments({ current: merged, incoming }))).toBe(true);
  });

  it('applies only what the diff lists', () => {
    const current = doc(v1);
    const full = diffDocuments({ current, incoming });
    const partial: ConnectorDiff = {
      ...full,
      connector: [],
      actions: { added: [], removed: full.actions.removed, changed: [] },
    };
    const merged = applyDiff({
      current,
      incoming,
      diff: partial,
      options: { removeMissing: true },
    });
    expect(merged.connector.name).toBe('CRM');
    expect(merged.actions).toEqual([current.actions[0], current.actions[1]]);
  });

  it('refuses a merge that breaks a limit of the format', () => {
    const many = (prefix: string) =>
      Array.from({ length: 6 }, (_, i) => ({ key: `${prefix}${i}`, type: 'bearer' }));
    const current = doc({ ...v1, connector: { ...v1.connector, authMethods: many('a') } });
    const next = doc({ ...v1, connector: { ...v1.connector, authMethods: many('b') } });
    const diff = diffDocuments({ current, incoming: next });
    expect(() =>
      applyDiff({ current, incoming: next, diff, options: { removeMissing: false } }),
    ).toThrow(AppError);
    expect(
      applyDiff({ current, incoming: next, diff, options: { removeMissing: true } }).connector
        .authMethods,
    ).toEqual(next.connector.authMethods);
  });

  it('converges on the new document for any pair of documents', () => {
    const action = fc.record({
      slug: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      name: fc.constantFrom('A', 'B'),
      method: fc.constantFrom('GET', 'POST'),
      path: fc.constantFrom('/x', '/y/{id}'),
      parameters: fc.uniqueArray(
        fc.record({
          name: fc.constantFrom('id', 'q', 'limit'),
          in: fc.constantFrom('path', 'query'),
          required: fc.boolean(),
        }),
        { selector: (p) => p.name, maxLength: 3 },
      ),
      deprecated: fc.boolean(),
    });
    const document = fc.record({
      weftConnector: fc.constant(1),
      connector: fc.record({
        slug: fc.constant('x'),
        name: fc.constantFrom('X', 'Y'),
        baseUrl: fc.constantFrom('https://a.test', 'https://b.test'),
        authMethods: fc.uniqueArray(
          fc.oneof(
            fc.record({ key: fc.constantFrom('k1', 'k2', 'k3'), type: fc.constant('bearer') }),
            fc.record({ key: fc.constantFrom('k1', 'k2'), type: fc.constant('basic') }),
          ),
          { selector: (m) => m.key, maxLength: 3 },
        ),
      }),
      actions: fc.uniqueArray(action, { selector: (a) => a.slug, maxLength: 5 }),
      events: fc.uniqueArray(
        fc.record({
          name: fc.constantFrom('e.1', 'e.2', 'e.3'),
          description: fc.constantFrom('x', 'y'),
        }),
        { selector: (e) => e.name, maxLength: 3 },
      ),
    });
    fc.assert(
      fc.property(document, document, (a, b) => {
        const current = doc(a);
        const next = doc(b);
        const diff = diffDocuments({ current, incoming: next });
        expect(isEmptyDiff(diff)).toBe(
          isEmptyDiff(diffDocuments({ current: next, incoming: current })),
        );
        const merged = applyDiff({
          current,
          incoming: next,
          diff,
          options: { removeMissing: true },
        });
        expect(ConnectorDocumentSchema.parse(merged)).toEqual(merged);
        expect(isEmptyDiff(diffDocuments({ current: merged, incoming: next }))).toBe(true);
        const kept = applyDiff({
          current,
          incoming: next,
          diff,
          options: { removeMissing: false },
        });
        const rest = diffDocuments({ current: kept, incoming: next });
        expect(rest.actions).toEqual({ added: [], removed: diff.actions.removed, changed: [] });
        expect(rest.events).toEqual({ added: [], removed: diff.events.removed, changed: [] });
      }),
      { numRuns: 300 },
    );
  });
});
