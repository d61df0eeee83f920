import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConnectorDocumentSchema } from '../domain/connector.ts';
import { AppError } from '../errors.ts';
import { eventNameOf } from './events.ts';
import { importSpec } from './index.ts';
import { loadSpec } from './load.ts';
import { selectActions } from './select.ts';
import type { FetchText, ImportResult, SpecSource } from './types.ts';

// The eval set (real specs and gold labels) lives in evals/data; see its README.
const EVALS = path.resolve(import.meta.dirname, '../../evals/data');
const SPECS = fs
  .readdirSync(path.join(EVALS, 'specs'))
  .filter((f) => /\.(json|ya?ml)$/.test(f))
  .sort();
const SPEC_TIMEOUT = 30_000;

const noFetch: FetchText = (url) => Promise.reject(new Error(`no network in tests (${url})`));

interface Gold {
  spec: string;
  baseUrl: string | null;
  auth: { primary: string; acceptable: string[] };
  operations: number;
  events: string[];
  entities?: Record<string, { schema: string; operations: Record<string, string> }>;
}

function specPath(file: string): string {
  return path.join(EVALS, 'specs', file);
}

function goldOf(file: string): Gold | undefined {
  const gold = path.join(EVALS, 'gold', `${file.replace(/\.(json|ya?ml)$/, '')}.json`);
  return fs.existsSync(gold) ? (JSON.parse(fs.readFileSync(gold, 'utf8')) as Gold) : undefined;
}

const results = new Map<string, ImportResult>();

async function imported(file: string): Promise<ImportResult> {
  const cached = results.get(file);
  if (cached) return cached;
  const result = await importSpec({
    source: { kind: 'path', path: specPath(file) },
    fetchText: noFetch,
    selection: { mode: 'all' },
  });
  results.set(file, result);
  return result;
}

/** The base URL with every server variable at its default, as the gold labels write it. */
function resolvedBase(result: ImportResult): string | null {
  const c = result.document.connector;
  if (c.baseUrl === undefined) return null;
  return c.baseUrl.replace(
    /\{([^}]+)\}/g,
    (_, name: string) => c.serverVariables[name]?.default ?? name,
  );
}

function goldAuthType(name: string): string {
  return name === 'apiKey' ? 'api_key' : name;
}

function missingEvents({ result, gold }: { result: ImportResult; gold: Gold }): string[] {
  const names = new Set(result.document.events.map((e) => e.name));
  return gold.events.filter((e) => !names.has(eventNameOf(e) ?? e));
}

function expectValid(result: ImportResult): void {
  expect(() => ConnectorDocumentSchema.parse(result.document)).not.toThrow();
  expect(result.stats.actions).toBe(result.document.actions.length);
  expect(result.ranking.map((r) => r.slug).sort()).toEqual(
    result.document.actions.map((a) => a.slug).sort(),
  );
  for (const warning of result.warnings)
    expect(warning.path === '' || warning.path.startsWith('/')).toBe(true);
}

describe('every eval spec imports', () => {
  it.each(SPECS)('%s', { timeout: SPEC_TIMEOUT }, async (file) => {
    const result = await imported(file);
    expectValid(result);
    const gold = goldOf(file);
    if (gold !== undefined) expect(result.stats.operations).toBe(gold.operations);
  });
});

describe('concrete specs against their gold labels', () => {
  const cases = [
    'petstore-v2.yaml',
    'petstore-v3.yaml',
    'stripe.yaml',
    'github-v3-2017.json',
    'hubspot-crm-contacts.json',
    'lago.yaml',
    'lago-src-multifile-root.yaml',
    'notion.yml',
    'woocommerce-update-order-broken.yaml',
  ];
  it.each(cases)(
    '%s: operations, base URL, primary auth and events match',
    { timeout: SPEC_TIMEOUT },
    async (file) => {
      const result = await imported(file);
      const gold = goldOf(file);
      expect(gold).toBeDefined();
      if (gold === undefined) return;
      expect(result.stats.operations).toBe(gold.operations);
      expect(resolvedBase(result)).toBe(gold.baseUrl);
      expect(missingEvents({ result, gold })).toEqual([]);
      if (file !== 'woocommerce-update-order-broken.yaml')
        expect(result.document.connector.authMethods[0]?.type).toBe(
          goldAuthType(gold.auth.primary),
        );
    },
  );

  it('petstore v2: Swagger 2 host/basePath, implicit OAuth with a guessed token URL, Pet/Order/User entities', async () => {
    const result = await imported('petstore-v2.yaml');
    const [oauth, key] = result.document.connector.authMethods;
    expect(oauth).toMatchObject({
      type: 'oauth2',
      grant: 'authorization_code',
      scopes: ['write:pets', 'read:pets'],
    });
    expect(key).toMatchObject({ type: 'api_key', in: 'header', name: 'api_key' });
    expect(
      result.warnings.some(
        (w) => w.path === '/securityDefinitions/petstore_auth' && /guess/.test(w.reason),
      ),
    ).toBe(true);
    const order = result.entities.find((e) => e.schema === 'Order');
    expect(order).toMatchObject({
      cdmEntity: 'Order',
      operations: { get: 'GET /store/order/{orderId}', create: 'POST /store/order' },
    });
    const upload = result.document.actions.find((a) => a.slug === 'uploadFile');
    expect(upload?.bodyType).toBe('form');
  });

  it(
    'stripe: 468 actions, form bodies, the enabled_events enum as events with their webhook endpoint',
    { timeout: SPEC_TIMEOUT },
    async () => {
      const result = await imported('stripe.yaml');
      expect(result.stats).toMatchObject({ operations: 468, actions: 468, events: 222 });
      expect(result.document.connector).toMatchObject({
        baseUrl: 'https://api.stripe.com',
        domain: 'stripe.com',
      });
      expect(result.document.connector.authMethods.map((m) => m.type)).toEqual(['bearer', 'basic']);
      const create = result.document.actions.find(
        (a) => a.method === 'POST' && a.path === '/v1/customers',
      );
      expect(create?.bodyType).toBe('form');
      expect(create?.parameters.find((p) => p.name === 'email')).toMatchObject({ in: 'body' });
      const event = result.document.events.find((e) => e.name === 'customer.created');
      expect(event?.subscription).toEqual({
        mode: 'webhook',
        subscribeAction: 'postWebhookEndpoints',
        unsubscribeAction: 'deleteWebhookEndpointsWebhookEndpoint',
      });
      const customer = result.entities.find((e) => e.cdmEntity === 'Contact');
      expect(customer).toMatchObject({
        schema: 'customer',
        operations: {
          list: 'GET /v1/customers',
          get: 'GET /v1/customers/{customer}',
          create: 'POST /v1/customers',
          update: 'POST /v1/customers/{customer}',
        },
      });
      // Stripe's schemas reach each other in cycles: cut, not expanded forever.
      const json = JSON.stringify(result.document);
      expect(json).toContain('recursive: see #/components/schemas/');
      expect(json.length).toBeLessThan(40 * 1024 * 1024);
      expect(result.ranking[0]?.reasons[0]).toMatch(/^list of (Contact|Product|Invoice|Order)/);
    },
  );

  it('github: hook event enum, path parameters by name', async () => {
    const result = await imported('github-v3-2017.json');
    expect(result.document.events.map((e) => e.name)).toContain('pull_request');
    const action = result.document.actions.find(
      (a) => a.path === '/repos/{owner}/{repo}/hooks' && a.method === 'POST',
    );
    expect(action?.parameters.filter((p) => p.in === 'path').map((p) => p.name)).toEqual([
      'owner',
      'repo',
    ]);
  });

  it('hubspot: cursor pagination through paging.next.after', async () => {
    const result = await imported('hubspot-crm-contacts.json');
    const list = result.document.actions.find(
      (a) => a.method === 'GET' && a.path === '/crm/v3/objects/contacts',
    );
    expect(list?.pagination).toEqual({
      style: 'cursor',
      cursorParam: 'after',
      nextCursorPath: 'paging.next.after',
      itemsPath: 'results',
      limitParam: 'limit',
    });
    expect(result.entities[0]).toMatchObject({
      schema: 'SimplePublicObjectWithAssociations',
      cdmEntity: 'Contact',
    });
  });

  it(
    'lago: OpenAPI 3.1 webhooks become events with payload schemas and the webhook endpoint',
    { timeout: SPEC_TIMEOUT },
    async () => {
      const result = await imported('lago.yaml');
      const event = result.document.events.find((e) => e.name === 'invoice_created');
      expect(event?.payloadSchema).toMatchObject({ type: 'object' });
      expect(event?.subscription).toMatchObject({
        mode: 'webhook',
        subscribeAction: 'createWebhookEndpoint',
      });
    },
  );

  it('lago multi-file root: unresolved external refs are warnings with pointers, webhook names still read', async () => {
    const result = await imported('lago-src-multifile-root.yaml');
    expect(result.stats.actions).toBe(0);
    expect(result.document.events).toHaveLength(61);
    expect(result.warnings).toContainEqual({
      path: '/paths/~1customers',
      reason: '$ref ./resources/customers.yaml: file not found',
    });
  });

  it('notion: a circular block schema is cut with a pointer to where it recurses', async () => {
    const result = await imported('notion.yml');
    expect(JSON.stringify(result.document)).toContain(
      'recursive: see #/components/schemas/blockContent',
    );
  });

  it('the broken spec: YAML errors become warnings with pointers, the sound operation still imports', async () => {
    const result = await imported('woocommerce-update-order-broken.yaml');
    expect(result.warnings.find((w) => w.reason.startsWith('YAML error'))?.path).toBe(
      '/paths/~1orders~1{id}/put/requestBody/content/application~1json/schema/type',
    );
    expect(
      result.warnings.some(
        (w) =>
          w.path.endsWith('/properties/billing') &&
          /components\.yaml.*file not found/.test(w.reason),
      ),
    ).toBe(true);
    const [action] = result.document.actions;
    expect(action).toMatchObject({ slug: 'updateOrderById', method: 'PUT', path: '/orders/{id}' });
    expect(action?.parameters.map((p) => p.name)).toEqual(
      expect.arrayContaining(['id', 'status', 'customer_note', 'set_paid']),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// $ref lockdown

describe('$ref resolution is locked down', () => {
  let root: string;
  let specDir: string;
  const SECRET = 'weft-secret-4f1c2a9e';
  const calls: string[] = [];
  const fetchText: FetchText = (url) => {
    calls.push(url);
    const host = new URL(url).hostname;
    if (/^(127\.|10\.|169\.254\.|192\.168\.|localhost$|\[)/.test(host))
      return Promise.reject(new AppError('forbidden', `refused private address ${host}`));
    if (url === 'https://specs.example.com/common.yaml')
      return Promise.resolve('Thing:\n  type: object\n  properties:\n    remote: {type: string}\n');
    if (url === 'https://specs.example.com/api/spec.yaml') return Promise.resolve(urlSpec);
    if (url === 'https://specs.example.com/api/schemas.yaml')
      return Promise.resolve(
        'Thing:\n  type: object\n  properties:\n    sibling: {type: string}\n',
      );
    return Promise.reject(new Error(`404 ${url}`));
  };
  const op = (ref: string) => ({
    get: {
      responses: {
        '200': { description: 'ok', content: { 'application/json': { schema: { $ref: ref } } } },
      },
    },
  });
  let spec: Record<string, unknown>;
  let urlSpec: string;

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-refs-'));
    specDir = path.join(root, 'a', 'b', 'spec');
    fs.mkdirSync(path.join(specDir, 'schemas'), { recursive: true });
    fs.mkdirSync(path.join(root, 'outside'), { recursive: true });
    fs.writeFileSync(
      path.join(root, 'outside', 'secret.yaml'),
      `Thing:\n  type: object\n  description: ${SECRET}\n`,
    );
    fs.writeFileSync(
      path.join(specDir, 'schemas', 'thing.yaml'),
      'Thing:\n  type: object\n  properties:\n    local: {type: string}\n',
    );
    fs.symlinkSync(
      path.join(root, 'outside', 'secret.yaml'),
      path.join(specDir, 'schemas', 'link.yaml'),
    );
    spec = {
      openapi: '3.0.3',
      info: { title: 'Lockdown', version: '1' },
      servers: [{ url: 'https://api.example.com' }],
      paths: {
        '/traversal': op('../../../outside/secret.yaml#/Thing'),
        '/etc': op('../../../../../../../../etc/passwd'),
        '/up-two': op('../../etc/passwd'),
        '/encoded': op('..%2F..%2F..%2Foutside%2Fsecret.yaml#/Thing'),
        '/absolute': op(path.join(root, 'outside', 'secret.yaml#/Thing')),
        '/file-url': op('file:///etc/passwd'),
        '/symlink': op('./schemas/link.yaml#/Thing'),
        '/metadata': op('http://169.254.169.254/x'),
        '/ftp': op('ftp://example.com/x.yaml'),
        '/remote': op('https://specs.example.com/common.yaml#/Thing'),
        '/local': op('./schemas/thing.yaml#/Thing'),
      },
    };
    fs.writeFileSync(path.join(specDir, 'spec.json'), JSON.stringify(spec));
    urlSpec = JSON.stringify({
      ...spec,
      servers: [{ url: '/v1' }],
      paths: {
        '/sibling': op('./schemas.yaml#/Thing'),
        '/file-url': op('file:///etc/passwd'),
        '/local-path': op('/etc/passwd'),
      },
    });
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const warningAt = ({ result, route }: { result: ImportResult; route: string }) =>
    result.warnings.find(
      (w) => w.path === `/paths/~1${route}/get/responses/200/content/application~1json/schema`,
    )?.reason;
  const output = ({ result, route }: { result: ImportResult; route: string }) =>
    result.document.actions.find((a) => a.path === `/${route}`)?.outputSchema;

  it('reads files only inside the spec folder, remote refs only through fetchText', async () => {
    calls.length = 0;
    const result = await importSpec({
      source: { kind: 'path', path: path.join(specDir, 'spec.json') },
      fetchText,
    });
    expectValid(result);
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(JSON.stringify(result)).not.toContain('root:x:0');
    expect(warningAt({ result, route: 'traversal' })).toMatch(/outside the spec's folder/);
    expect(warningAt({ result, route: 'etc' })).toMatch(/outside the spec's folder/);
    expect(warningAt({ result, route: 'up-two' })).toMatch(/outside the spec's folder/);
    expect(warningAt({ result, route: 'encoded' })).toMatch(/outside the spec's folder/);
    expect(warningAt({ result, route: 'absolute' })).toMatch(/outside the spec's folder/);
    expect(warningAt({ result, route: 'file-url' })).toMatch(/outside the spec's folder/);
    expect(warningAt({ result, route: 'symlink' })).toMatch(/symbolic link/);
    expect(warningAt({ result, route: 'metadata' })).toMatch(
      /refused private address 169\.254\.169\.254/,
    );
    expect(warningAt({ result, route: 'ftp' })).toMatch(/refused/);
    expect(output({ result, route: 'local' })).toMatchObject({
      properties: { local: { type: 'string' } },
    });
    expect(output({ result, route: 'remote' })).toMatchObject({
      properties: { remote: { type: 'string' } },
    });
    expect(calls.sort()).toEqual([
      'http://169.254.169.254/x',
      'https://specs.example.com/common.yaml',
    ]);
  });

  it('refuses every file reference in a spec given as text', async () => {
    calls.length = 0;
    const result = await importSpec({
      source: { kind: 'text', text: JSON.stringify(spec) },
      fetchText,
    });
    expect(JSON.stringify(result)).not.toContain(SECRET);
    for (const route of ['traversal', 'absolute', 'file-url', 'symlink', 'local'])
      expect(warningAt({ result, route })).toMatch(/only followed in a spec read from a file/);
    expect(output({ result, route: 'remote' })).toMatchObject({
      properties: { remote: { type: 'string' } },
    });
  });

  it('resolves relative refs of a spec given by URL against that URL, through fetchText only', async () => {
    calls.length = 0;
    const result = await importSpec({
      source: { kind: 'url', url: 'https://specs.example.com/api/spec.yaml' },
      fetchText,
    });
    expect(output({ result, route: 'sibling' })).toMatchObject({
      properties: { sibling: { type: 'string' } },
    });
    expect(warningAt({ result, route: 'file-url' })).toMatch(
      /only followed in a spec read from a file/,
    );
    // An absolute path in a URL-loaded spec is a path on the spec's host.
    expect(calls).toContain('https://specs.example.com/etc/passwd');
    expect(calls.every((url) => url.startsWith('https://specs.example.com/'))).toBe(true);
    // A relative server URL is resolved against the spec's URL.
    expect(result.document.connector.baseUrl).toBe('https://specs.example.com/v1');
  });
});

// ---------------------------------------------------------------------------------------------
// Extraction details on a synthetic spec

describe('extraction', () => {
  const ok = { description: 'ok' };
  const spec = {
    openapi: '3.0.3',
    info: { title: 'Edge Cases API', version: '1' },
    servers: [
      { url: 'https://{region}.sandbox.example.com', description: 'Sandbox' },
      {
        url: 'https://{region}.api.example.com/{version}/',
        variables: {
          region: { default: 'eu', enum: ['eu', 'us'] },
          version: { default: 'v2/beta' },
        },
      },
    ],
    security: [{ cc: [] }],
    components: {
      securitySchemes: {
        pw: {
          type: 'oauth2',
          flows: {
            password: { tokenUrl: 'https://auth.example.com/token', scopes: { read: 'r' } },
          },
        },
        oidc: {
          type: 'openIdConnect',
          openIdConnectUrl: 'https://id.example.com/.well-known/openid-configuration',
        },
        digest: { type: 'http', scheme: 'Digest' },
        cc: {
          type: 'oauth2',
          flows: {
            clientCredentials: { tokenUrl: '/oauth/token', scopes: {} },
            authorizationCode: {
              authorizationUrl: 'https://auth.example.com/authorize',
              tokenUrl: 'https://auth.example.com/token',
              scopes: { 'items:read': 'read' },
            },
          },
        },
      },
    },
    paths: {
      '/items': {
        get: {
          operationId: 'list_items',
          parameters: [
            { name: 'offset', in: 'query', schema: { type: 'integer' } },
            { name: 'limit', in: 'query', schema: { type: 'integer' } },
            { name: 'X-Request-Id', in: 'header', schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'ok',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      items: { type: 'array', items: { type: 'object' } },
                      total: { type: 'integer' },
                    },
                  },
                },
              },
            },
          },
        },
        post: {
          parameters: [{ name: 'id', in: 'query', schema: { type: 'string' } }],
          requestBody: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['id'],
                  properties: {
                    id: { type: 'string' },
                    'display-name': { type: 'string' },
                    created: { type: 'string', readOnly: true },
                  },
                },
              },
            },
          },
          responses: { '201': ok },
        },
      },
      '/items/{item-id}': {
        get: { responses: { '200': ok } },
        delete: { operationId: 'list_items', responses: { '204': ok } },
      },
      '/upload': {
        put: {
          deprecated: true,
          requestBody: {
            content: {
              'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
            },
          },
          responses: { '200': ok },
        },
      },
    },
  };
  let result: ImportResult;
  beforeAll(async () => {
    result = await importSpec({
      source: { kind: 'text', text: JSON.stringify(spec) },
      fetchText: noFetch,
    });
  });
  const action = (slug: string) => result.document.actions.find((a) => a.slug === slug);

  it('chooses the production server and keeps host-like variables', () => {
    expect(result.document.connector).toMatchObject({
      slug: 'edge-cases-api',
      baseUrl: 'https://{region}.api.example.com/v2/beta',
      serverVariables: { region: { default: 'eu', enum: ['eu', 'us'] } },
      domain: 'example.com',
    });
  });

  it('orders auth methods by use, then by kind; maps each flow', () => {
    const methods = result.document.connector.authMethods;
    expect(methods.map((m) => [m.key, m.type])).toEqual([
      ['cc', 'oauth2'],
      ['cc_2', 'oauth2'],
      ['oidc', 'oauth2'],
      ['pw', 'custom'],
      ['digest', 'custom'],
    ]);
    expect(methods[0]).toMatchObject({ grant: 'authorization_code', scopes: ['items:read'] });
    expect(methods[1]).toMatchObject({
      grant: 'client_credentials',
      tokenUrl: 'https://eu.api.example.com/oauth/token',
    });
    expect(methods[3]).toMatchObject({
      tokenExchange: { url: 'https://auth.example.com/token', bodyType: 'form' },
    });
    expect(
      result.warnings.some((w) => w.path === '/components/securitySchemes/pw/flows/password'),
    ).toBe(true);
    expect(
      result.warnings.some(
        (w) => w.path === '/components/securitySchemes/oidc' && /guesses/.test(w.reason),
      ),
    ).toBe(true);
  });

  it('names inputs, keeps wire names, and splits JSON bodies into fields', () => {
    const list = action('listItems');
    expect(list?.pagination).toEqual({
      style: 'offset',
      offsetParam: 'offset',
      limitParam: 'limit',
      itemsPath: 'items',
      totalPath: 'total',
    });
    expect(list?.parameters.find((p) => p.in === 'header')).toMatchObject({
      name: 'xRequestId',
      wireName: 'X-Request-Id',
    });
    const create = action('postItems');
    expect(create?.parameters.map((p) => [p.name, p.in, p.wireName, p.required])).toEqual([
      ['id', 'query', undefined, false],
      ['body_id', 'body', 'id', true],
      ['displayName', 'body', 'display-name', false],
    ]);
    expect(create?.inputSchema).toMatchObject({
      required: ['body_id'],
      additionalProperties: false,
    });
  });

  it('adds undeclared path parameters, de-duplicates slugs, takes other bodies whole', () => {
    expect(action('getItemsByItemId')?.parameters).toEqual([
      expect.objectContaining({ name: 'itemId', wireName: 'item-id', in: 'path', required: true }),
    ]);
    expect(
      result.warnings.some(
        (w) =>
          w.path === '/paths/~1items~1{item-id}/get' &&
          /declares no such path parameter/.test(w.reason),
      ),
    ).toBe(true);
    expect(action('listItems2')).toMatchObject({ method: 'DELETE', path: '/items/{item-id}' });
    expect(action('putUpload')?.parameters).toEqual([
      expect.objectContaining({ name: 'body', in: 'body', whole: true }),
    ]);
  });

  it('ranks reads before writes and deprecated actions last', () => {
    expect(result.ranking.map((r) => r.slug)).toEqual([
      'listItems',
      'getItemsByItemId',
      'postItems',
      'listItems2',
      'putUpload',
    ]);
    expect(result.ranking.at(-1)?.reasons).toContain('deprecated');
  });

  it('leaves a relative server out, with a warning, when there is no spec URL', async () => {
    const relative = await importSpec({
      source: { kind: 'text', text: JSON.stringify({ ...spec, servers: [{ url: '/api/v3' }] }) },
      fetchText: noFetch,
    });
    expect(relative.document.connector.baseUrl).toBeUndefined();
    expect(
      relative.warnings.some((w) => w.path === '/servers/0/url' && /relative/.test(w.reason)),
    ).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Loading, selection

describe('loadSpec', () => {
  const text = (t: string): SpecSource => ({ kind: 'text', text: t });

  it('detects the format and reports progress', async () => {
    const phases: string[] = [];
    const loaded = await loadSpec({
      source: text('swagger: "2.0"\ninfo: {title: x, version: "1"}\npaths: {}\n'),
      fetchText: noFetch,
      onProgress: (p) => phases.push(p),
    });
    expect(loaded.format).toBe('swagger-2.0');
    expect(phases).toEqual(['read', 'parse', 'resolve refs']);
    expect(
      (
        await loadSpec({
          source: text('{"openapi":"3.1.0","info":{"title":"x"},"paths":{}}'),
          fetchText: noFetch,
        })
      ).format,
    ).toBe('openapi-3.1');
    const postman = {
      info: {
        name: 'c',
        schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
      },
      item: [],
    };
    expect(
      (await loadSpec({ source: text(JSON.stringify(postman)), fetchText: noFetch })).format,
    ).toBe('postman-2.1');
  });

  it.each([
    ['', /empty/],
    ['   \n', /empty/],
    ['just a string', /not a JSON or YAML object/],
    ['[1, 2]', /not a JSON or YAML object/],
    ['{"openapi": "3.0.0", "info": ', /not valid JSON or YAML/],
    ['{"swagger": "1.2", "apis": []}', /Swagger version 1\.2 is not supported/],
    ['{"openapi": "4.0.0"}', /OpenAPI version 4\.0\.0 is not supported/],
    ['{"paths": {}}', /no "openapi" or "swagger" version field/],
    ['{"hello": "world"}', /not an OpenAPI 3\.x, Swagger 2\.0 or Postman/],
  ])('refuses %j with a clear error', async (input, message) => {
    const error: unknown = await loadSpec({ source: text(input), fetchText: noFetch }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('validation_failed');
    expect((error as AppError).message).toMatch(message);
  });

  it('bounds YAML alias expansion', async () => {
    const lines = ['openapi: 3.0.0', 'a: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      lines.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const error: unknown = await loadSpec({
      source: text(lines.join('\n')),
      fetchText: noFetch,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toMatch(/YAML aliases/);
  });

  it('cuts a YAML alias that contains itself', async () => {
    const loaded = await loadSpec({
      source: text(
        'openapi: 3.0.0\ninfo: {title: x, version: "1"}\npaths: {}\nx-loop: &l\n  self: *l\n',
      ),
      fetchText: noFetch,
    });
    expect(loaded.warnings.some((w) => w.path === '/x-loop/self' && /itself/.test(w.reason))).toBe(
      true,
    );
  });

  it('refuses documents nested deeper than the limit', async () => {
    const deep = `{"openapi":"3.0.0","info":{"title":"x"},"paths":{},"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    const error: unknown = await loadSpec({ source: text(deep), fetchText: noFetch }).catch(
      (e: unknown) => e,
    );
    expect((error as AppError).message).toMatch(/nested more than 200 levels/);
  });
});

describe('selectActions', () => {
  const spec = {
    openapi: '3.0.3',
    info: { title: 'Hooks', version: '1' },
    servers: [{ url: 'https://api.example.com' }],
    paths: {
      '/customers': {
        get: {
          operationId: 'listCustomers',
          tags: ['customers'],
          responses: { '200': { description: 'ok' } },
        },
      },
      '/webhooks': {
        post: {
          operationId: 'createWebhook',
          tags: ['webhooks'],
          requestBody: {
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    url: { type: 'string' },
                    events: {
                      type: 'array',
                      items: { enum: ['customer.created', 'customer.deleted', '*'] },
                    },
                  },
                },
              },
            },
          },
          responses: { '201': { description: 'created' } },
        },
      },
      '/webhooks/{id}': {
        delete: {
          operationId: 'deleteWebhook',
          tags: ['webhooks'],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { '204': { description: 'gone' } },
        },
      },
    },
  };
  let result: ImportResult;
  beforeAll(async () => {
    result = await importSpec({
      source: { kind: 'text', text: JSON.stringify(spec) },
      fetchText: noFetch,
    });
  });

  it('reads the subscribable events of a webhook endpoint, without the wildcard', () => {
    expect(result.document.events.map((e) => e.name)).toEqual([
      'customer.created',
      'customer.deleted',
    ]);
    expect(result.document.events[0]?.subscription).toEqual({
      mode: 'webhook',
      subscribeAction: 'createWebhook',
      unsubscribeAction: 'deleteWebhook',
    });
  });

  it('keeps actions by tag, slug or rank; dropped subscribe actions leave events manual', () => {
    const byTag = selectActions({
      result,
      selection: { mode: 'tag', tags: ['Customers', 'nope'] },
    });
    expect(byTag.document.actions.map((a) => a.slug)).toEqual(['listCustomers']);
    expect(byTag.document.events[0]?.subscription).toEqual({ mode: 'manual' });
    expect(byTag.warnings.some((w) => w.reason.startsWith("no action has the tag 'nope'"))).toBe(
      true,
    );
    expect(() => ConnectorDocumentSchema.parse(byTag.document)).not.toThrow();

    const byList = selectActions({
      result,
      selection: { mode: 'list', slugs: ['createWebhook', 'missing'] },
    });
    expect(byList.document.actions.map((a) => a.slug)).toEqual(['createWebhook']);
    expect(byList.document.events[0]?.subscription).toEqual({
      mode: 'webhook',
      subscribeAction: 'createWebhook',
    });
    expect(byList.warnings.some((w) => w.reason === "no action 'missing' in the spec")).toBe(true);

    const top = selectActions({ result, selection: { mode: 'top', n: 1 } });
    expect(top.document.actions.map((a) => a.slug)).toEqual(['listCustomers']);
    expect(top.stats.actions).toBe(1);
  });

  it('applies the selection in importSpec', async () => {
    const selected = await importSpec({
      source: { kind: 'text', text: JSON.stringify(spec) },
      fetchText: noFetch,
      selection: { mode: 'top', n: 2 },
    });
    expect(selected.document.actions).toHaveLength(2);
  });

  it('imports a Postman collection through the Postman extractor', async () => {
    const collection = {
      info: {
        name: 'Demo',
        schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
      },
      item: [
        { name: 'List users', request: { method: 'GET', url: 'https://api.example.com/users' } },
      ],
    };
    const r = await importSpec({
      source: { kind: 'text', text: JSON.stringify(collection) },
      fetchText: noFetch,
    });
    expect(r.document.actions).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzzing: never an unhandled exception, a hang or an unbounded result

const CASE_TIMEOUT = 20_000;

async function importWithin(source: SpecSource): Promise<ImportResult | AppError> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`import did not finish within ${CASE_TIMEOUT} ms`)),
      CASE_TIMEOUT,
    );
  });
  try {
    return await Promise.race([importSpec({ source, fetchText: noFetch }), timeout]);
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function expectSoundOutcome(outcome: ImportResult | AppError): void {
  if (outcome instanceof AppError) {
    expect(outcome.code).toBe('validation_failed');
    expect(outcome.message.length).toBeGreaterThan(0);
    return;
  }
  expectValid(outcome);
  expect(JSON.stringify(outcome.document).length).toBeLessThan(50 * 1024 * 1024);
}

/** Every JSON pointer (as segments) of a document's values. */
function pointers(root: unknown): string[][] {
  const out: string[][] = [];
  const stack: { value: unknown; at: string[] }[] = [{ value: root, at: [] }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value, at } = next;
    if (typeof value !== 'object' || value === null) continue;
    for (const key of Object.keys(value)) {
      out.push([...at, key]);
      stack.push({ value: (value as Record<string, unknown>)[key], at: [...at, key] });
    }
  }
  return out;
}

function setAt({
  doc,
  segments,
  replacement,
}: {
  doc: unknown;
  segments: string[];
  replacement: unknown;
}): void {
  let node = doc as Record<string, unknown>;
  for (const segment of segments.slice(0, -1)) node = node[segment] as Record<string, unknown>;
  node[segments.at(-1) ?? ''] = replacement;
}

describe('fuzzing', () => {
  const petstore = fs.readFileSync(specPath('petstore-v3.yaml'), 'utf8');
  const hubspot = fs.readFileSync(specPath('hubspot-crm-contacts.json'), 'utf8');
  const petstoreV2 = fs.readFileSync(specPath('petstore-v2.yaml'), 'utf8');

  it('truncated documents', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(petstore, hubspot, petstoreV2),
        fc.double({ min: 0, max: 1, noNaN: true }),
        async (text, at) => {
          expectSoundOutcome(
            await importWithin({ kind: 'text', text: text.slice(0, Math.floor(text.length * at)) }),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('wrong types in random fields', { timeout: 120_000 }, async () => {
    const bases = [JSON.parse(hubspot), parseYaml(petstore), parseYaml(petstoreV2)] as unknown[];
    const wrong = fc.oneof(
      fc.integer(),
      fc.constant(null),
      fc.boolean(),
      fc.string(),
      fc.array(fc.anything(), { maxLength: 3 }),
      fc.dictionary(fc.string(), fc.anything(), { maxKeys: 3 }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: bases.length - 1 }),
        fc.array(fc.tuple(fc.nat(), wrong), { minLength: 1, maxLength: 25 }),
        async (which, changes) => {
          const doc = structuredClone(bases[which]);
          const paths = pointers(doc);
          for (const [index, value] of changes) {
            const at = paths[index % paths.length];
            if (at === undefined) continue;
            try {
              setAt({ doc, segments: at, replacement: value });
            } catch {
              // An earlier change replaced a parent with a scalar: nothing left to change there.
            }
          }
          expectSoundOutcome(await importWithin({ kind: 'text', text: JSON.stringify(doc) }));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('$ref loops, self references and references to nothing', { timeout: 120_000 }, async () => {
    const names = ['A', 'B', 'C', 'D'];
    const ref = fc.oneof(
      fc.constantFrom(...names).map((n) => `#/components/schemas/${n}`),
      fc.constantFrom('#/components/schemas/Missing', '#/nope/x', '#', '#/paths', 'other.yaml#/X'),
    );
    const schema = fc.oneof(
      ref.map(($ref) => ({ $ref })),
      fc.record({
        type: fc.constant('object'),
        properties: fc.dictionary(
          fc.constantFrom('a', 'b', 'id', 'items'),
          ref.map(($ref) => ({ $ref })),
          { maxKeys: 3 },
        ),
      }),
      fc.record({
        allOf: fc.array(
          ref.map(($ref) => ({ $ref })),
          { maxLength: 3 },
        ),
      }),
      fc.record({ type: fc.constant('array'), items: ref.map(($ref) => ({ $ref })) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(schema, schema, schema, schema),
        ref,
        ref,
        async (schemas, bodyRef, pathRef) => {
          const doc = {
            openapi: '3.0.3',
            info: { title: 'Loops', version: '1' },
            paths: {
              '/things': {
                post: {
                  parameters: [{ $ref: '#/components/parameters/P' }],
                  requestBody: { content: { 'application/json': { schema: { $ref: bodyRef } } } },
                  responses: { '200': { $ref: '#/components/responses/R' } },
                },
              },
              '/loop': { $ref: '#/paths/~1loop' },
              '/elsewhere': { $ref: pathRef },
            },
            components: {
              schemas: Object.fromEntries(names.map((n, i) => [n, schemas[i]])),
              parameters: {
                P: { $ref: '#/components/parameters/Q' },
                Q: { $ref: '#/components/parameters/P' },
              },
              responses: {
                R: {
                  description: 'r',
                  content: { 'application/json': { schema: { $ref: '#/components/schemas/A' } } },
                },
              },
            },
          };
          expectSoundOutcome(await importWithin({ kind: 'text', text: JSON.stringify(doc) }));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('10 MB strings in descriptions and names', { timeout: 120_000 }, async () => {
    const huge = 'x'.repeat(10 * 1024 * 1024);
    const doc = {
      openapi: '3.0.3',
      info: { title: huge, description: huge, version: '1' },
      servers: [{ url: 'https://api.example.com', description: huge }],
      tags: [{ name: huge }],
      paths: {
        '/a': {
          get: {
            summary: huge,
            description: huge,
            operationId: huge,
            tags: [huge],
            parameters: [
              {
                name: 'q',
                in: 'query',
                description: huge,
                schema: { type: 'string', description: huge, enum: [huge] },
              },
            ],
            responses: {
              '200': {
                description: huge,
                content: {
                  'application/json': {
                    schema: {
                      type: 'object',
                      description: huge,
                      properties: { [huge.slice(0, 100_000)]: { type: 'string' } },
                    },
                  },
                },
              },
            },
          },
        },
      },
    };
    const outcome = await importWithin({ kind: 'text', text: JSON.stringify(doc) });
    expectSoundOutcome(outcome);
    expect(JSON.stringify(outcome).length).toBeLessThan(2 * 1024 * 1024);
  });

  it('deep nesting: 10 000 levels in JSON and YAML', { timeout: 60_000 }, async () => {
    let schema = '{"type":"string"}';
    for (let i = 0; i < 10_000; i++) schema = `{"type":"object","properties":{"a":${schema}}}`;
    const json = `{"openapi":"3.0.3","info":{"title":"Deep","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"ok","content":{"application/json":{"schema":${schema}}}}}}}}}`;
    const fromJson = await importWithin({ kind: 'text', text: json });
    expect(fromJson).toBeInstanceOf(AppError);
    expect((fromJson as AppError).message).toMatch(/nested/);
    const yaml = `openapi: 3.0.3\ninfo: {title: Deep, version: "1"}\npaths: {}\nx-deep: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`;
    expectSoundOutcome(await importWithin({ kind: 'text', text: yaml }));
  });
});
