/**
 * A local HTTP server that plays an API from its OpenAPI 3.x / Swagger 2.0 document, strictly:
 * it answers each operation with the spec's example or generated data (responses.ts), and
 * refuses what the spec would not accept — the wrong auth placement (401), a path outside the
 * servers' base path or no such path (404), a method the path does not have (405), a missing
 * required path/query/header/cookie parameter or JSON body, or a parameter sent in the wrong
 * place (400). Every refusal names what was wrong and carries its class in the
 * `x-weft-mock-error` header, so a caller (test_actions) can tell why an action failed without
 * real credentials. Any non-empty credential is accepted, as long as it is where the spec says.
 *
 * Decision: node:http on 127.0.0.1, port 0, one process-local server per call; the document is
 * read once into a route table (operations.ts) and answers are computed once per operation.
 * Imports only libraries (import, engine): nothing here knows about connectors or tenants.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readMockSpec, type MockOperation, type MockScheme, type MockSpec } from './operations.ts';
import { answerFor, type MockAnswer } from './responses.ts';
import type { Json } from '../import/schema.ts';

const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);

/** Why the mock refused a request: the same names test_actions reports. */
export type MockErrorClass =
  'auth' | 'base_url' | 'path' | 'method' | 'parameter_location' | 'input_schema';

export const MOCK_ERROR_HEADER = 'x-weft-mock-error';

export interface MockRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  headers: Record<string, string>;
  body: string;
  status: number;
  /** The operation matched (`GET /pet/{petId}`), when one was. */
  operation: string | null;
  errorClass: MockErrorClass | null;
}

export interface SpecMock {
  /** The mock's origin plus the base path of the spec's (chosen) server, no trailing slash. */
  readonly url: string;
  readonly origin: string;
  readonly basePath: string;
  /** Every request received, in order (bodies capped at 64 KiB). */
  readonly requests: MockRequest[];
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;
const RECORDED_BODY = 64 * 1024;

class Refusal extends Error {
  readonly status: number;
  readonly errorClass: MockErrorClass;
  readonly headers: Record<string, string>;
  constructor({
    status,
    errorClass,
    message,
    headers = {},
  }: {
    status: number;
    errorClass: MockErrorClass;
    message: string;
    headers?: Record<string, string>;
  }) {
    super(message);
    this.status = status;
    this.errorClass = errorClass;
    this.headers = headers;
  }
}

function cookiesOf(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

function describeScheme(scheme: MockScheme | undefined, name: string): string {
  if (scheme === undefined) return `${name} (not declared in the spec)`;
  switch (scheme.kind) {
    case 'apiKey':
      return `an API key in the ${scheme.in} ${scheme.in === 'header' ? `'${scheme.name}'` : `parameter '${scheme.name}'`}`;
    case 'http':
      return `Authorization: ${scheme.scheme === 'basic' ? 'Basic' : scheme.scheme === 'bearer' ? 'Bearer' : scheme.scheme} <credential>`;
    case 'unknown':
      return `${name} (a scheme the mock cannot check)`;
  }
}

function challengeOf(scheme: MockScheme | undefined): string {
  if (scheme?.kind === 'apiKey')
    return `ApiKey realm="mock", in="${scheme.in}", name="${scheme.name}"`;
  if (scheme?.kind === 'http') {
    const word =
      scheme.scheme === 'basic' ? 'Basic' : scheme.scheme === 'bearer' ? 'Bearer' : scheme.scheme;
    return `${word} realm="mock"`;
  }
  return 'Bearer realm="mock"';
}

function satisfied({
  scheme,
  request,
  url,
}: {
  scheme: MockScheme | undefined;
  request: IncomingMessage;
  url: URL;
}): boolean {
  if (scheme === undefined || scheme.kind === 'unknown') return true;
  if (scheme.kind === 'apiKey') {
    const value =
      scheme.in === 'header'
        ? request.headers[scheme.name.toLowerCase()]
        : scheme.in === 'query'
          ? url.searchParams.get(scheme.name)
          : cookiesOf(request.headers.cookie).get(scheme.name);
    return typeof value === 'string' && value.trim() !== '';
  }
  const authorization = request.headers.authorization ?? '';
  const [word = '', credential = ''] = authorization.split(/\s+/, 2);
  return word.toLowerCase() === scheme.scheme && credential.trim() !== '';
}

function checkAuth({
  spec,
  operation,
  request,
  url,
}: {
  spec: MockSpec;
  operation: MockOperation;
  request: IncomingMessage;
  url: URL;
}): void {
  if (operation.security.length === 0) return;
  const ok = operation.security.some((requirement) =>
    requirement.every((name) => satisfied({ scheme: spec.schemes.get(name), request, url })),
  );
  if (ok) return;
  const expected = operation.security
    .map((requirement) =>
      requirement.map((name) => describeScheme(spec.schemes.get(name), name)).join(' and '),
    )
    .join('; or ');
  const challenges = [
    ...new Set(operation.security.flat().map((name) => challengeOf(spec.schemes.get(name)))),
  ];
  throw new Refusal({
    status: 401,
    errorClass: 'auth',
    message: `${operation.method} ${operation.template} needs ${expected}`,
    headers: { 'www-authenticate': challenges.join(', ') },
  });
}

function parseJsonBody(text: string): { json: unknown; ok: boolean } {
  if (text.trim() === '') return { json: undefined, ok: true };
  try {
    return { json: JSON.parse(text) as unknown, ok: true };
  } catch {
    return { json: undefined, ok: false };
  }
}

function checkParameters({
  operation,
  request,
  url,
  params,
  body,
}: {
  operation: MockOperation;
  request: IncomingMessage;
  url: URL;
  params: Map<string, string>;
  body: string;
}): void {
  const contentType = request.headers['content-type'] ?? '';
  const isForm = /x-www-form-urlencoded/i.test(contentType);
  const parsed = isForm
    ? { json: Object.fromEntries(new URLSearchParams(body)), ok: true }
    : parseJsonBody(body);
  const bodyKeys = new Set(
    parsed.json !== null && typeof parsed.json === 'object' && !Array.isArray(parsed.json)
      ? Object.keys(parsed.json)
      : [],
  );
  const cookies = cookiesOf(request.headers.cookie);
  const present = (name: string, where: string): boolean => {
    switch (where) {
      case 'path':
        return (params.get(name) ?? '') !== '';
      case 'query':
        return url.searchParams.has(name);
      case 'header':
        return request.headers[name.toLowerCase()] !== undefined;
      case 'cookie':
        return cookies.has(name);
      default:
        return false;
    }
  };
  const elsewhere = (name: string, where: string): string | null => {
    if (where !== 'query' && url.searchParams.has(name)) return 'the query';
    if (bodyKeys.has(name)) return 'the body';
    if (where !== 'header' && request.headers[name.toLowerCase()] !== undefined) return 'a header';
    return null;
  };
  const declaredInBody = operation.body?.properties ?? new Set<string>();
  // A declared path/query/header parameter sent as a body field the body does not declare.
  for (const p of operation.parameters) {
    if (bodyKeys.has(p.name) && !declaredInBody.has(p.name))
      throw new Refusal({
        status: 400,
        errorClass: 'parameter_location',
        message: `${p.in} parameter '${p.name}' was sent in the body; send it in the ${p.in}`,
      });
  }
  for (const p of operation.parameters) {
    if (!p.required || present(p.name, p.in)) continue;
    // OpenAPI 3: header parameters named Accept, Content-Type or Authorization SHALL be ignored
    // (the media types and the security scheme say those), so they are not demanded either.
    if (p.in === 'header' && IGNORED_HEADERS.has(p.name.toLowerCase())) continue;
    const found = elsewhere(p.name, p.in);
    throw new Refusal({
      status: 400,
      errorClass: found === null ? 'input_schema' : 'parameter_location',
      message:
        found === null
          ? `missing required ${p.in} parameter '${p.name}'`
          : `required ${p.in} parameter '${p.name}' is missing from the ${p.in}; it was sent in ${found}`,
    });
  }
  // A body field sent as a query parameter the operation does not declare.
  const declaredQuery = new Set(
    operation.parameters.filter((p) => p.in === 'query').map((p) => p.name),
  );
  for (const name of url.searchParams.keys()) {
    if (declaredInBody.has(name) && !declaredQuery.has(name))
      throw new Refusal({
        status: 400,
        errorClass: 'parameter_location',
        message: `body field '${name}' was sent as a query parameter; send it in the body`,
      });
  }
  const spec = operation.body;
  if (spec === null) return;
  if (body.trim() === '') {
    if (spec.required)
      throw new Refusal({
        status: 400,
        errorClass: 'input_schema',
        message: `${operation.method} ${operation.template} needs a request body`,
      });
    return;
  }
  if (spec.form || isForm) return;
  if (!parsed.ok)
    throw new Refusal({
      status: 400,
      errorClass: 'input_schema',
      message: 'the request body is not valid JSON',
    });
  for (const name of spec.requiredProperties) {
    if (!bodyKeys.has(name))
      throw new Refusal({
        status: 400,
        errorClass: url.searchParams.has(name) ? 'parameter_location' : 'input_schema',
        message: url.searchParams.has(name)
          ? `body field '${name}' was sent as a query parameter; send it in the body`
          : `the request body is missing the required field '${name}'`,
      });
  }
}

function route({ spec, method, path }: { spec: MockSpec; method: string; path: string }): {
  operation: MockOperation;
  params: Map<string, string>;
} {
  const base = spec.basePaths.find((b) => b === '' || path === b || path.startsWith(`${b}/`));
  if (base === undefined)
    throw new Refusal({
      status: 404,
      errorClass: 'base_url',
      message: `${path} is outside the API's base path ${spec.primaryBasePath || '/'}; check the connector's base URL`,
    });
  const relative = path.slice(base.length) || '/';
  const matches = spec.operations
    .map((operation) => ({ operation, match: operation.pattern.exec(relative) }))
    .filter((m): m is { operation: MockOperation; match: RegExpExecArray } => m.match !== null)
    .sort((a, b) => b.operation.literalLength - a.operation.literalLength);
  if (matches.length === 0)
    throw new Refusal({
      status: 404,
      errorClass: 'path',
      message: `no path of the spec matches ${relative} (under the base path ${base || '/'})`,
    });
  const want = method === 'HEAD' ? ['HEAD', 'GET'] : [method];
  // The most specific template that has the method: `/pets/mine` before `/pets/{id}`.
  const template = matches.find((m) => want.includes(m.operation.method))?.operation.template;
  const hit = matches.find(
    (m) =>
      m.operation.template === template &&
      (m.operation.method === method || want.includes(m.operation.method)),
  );
  if (hit === undefined) {
    const best = matches[0]?.operation.template ?? relative;
    const allowed = matches
      .filter((m) => m.operation.template === best)
      .map((m) => m.operation.method);
    throw new Refusal({
      status: 405,
      errorClass: 'method',
      message: `${best} does not accept ${method}; it accepts ${allowed.join(', ')}`,
      headers: { allow: allowed.join(', ') },
    });
  }
  const params = new Map<string, string>();
  hit.operation.pathNames.forEach((name, i) => {
    const raw = hit.match[i + 1] ?? '';
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      // Left as sent.
    }
    params.set(name, value);
  });
  return { operation: hit.operation, params };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY) break;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send({
  response,
  status,
  headers,
  body,
  head,
}: {
  response: ServerResponse;
  status: number;
  headers: Record<string, string>;
  body: unknown;
  head: boolean;
}): void {
  const text =
    body === null || body === undefined || status === 204 || status === 304
      ? ''
      : typeof body === 'string' && !/json/i.test(headers['content-type'] ?? '')
        ? body
        : JSON.stringify(body);
  response.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(text)) });
  response.end(head ? undefined : text);
}

/**
 * Starts a mock of the API a loaded spec describes (`document` as `loadSpec` returns it: internal
 * `$ref`s are followed here). Listens on 127.0.0.1 at a free port until `close()`.
 */
export async function startSpecMock({
  document,
  seed = 1,
}: {
  document: Json;
  seed?: number;
}): Promise<SpecMock> {
  const spec = readMockSpec(document);
  const answers = new Map<MockOperation, MockAnswer>();
  const requests: MockRequest[] = [];

  const server = createServer((request, response) => {
    void (async () => {
      const method = (request.method ?? 'GET').toUpperCase();
      const url = new URL(request.url ?? '/', 'http://mock.invalid');
      const body = await readBody(request);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers))
        if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      const record: MockRequest = {
        method,
        url: `${url.pathname}${url.search}`,
        headers,
        body: body.slice(0, RECORDED_BODY),
        status: 0,
        operation: null,
        errorClass: null,
      };
      requests.push(record);
      try {
        const { operation, params } = route({ spec, method, path: url.pathname });
        record.operation = `${operation.method} ${operation.template}`;
        checkAuth({ spec, operation, request, url });
        checkParameters({ operation, request, url, params, body });
        let answer = answers.get(operation);
        if (answer === undefined) {
          answer = answerFor({
            operation: operation.raw,
            resolver: spec.resolver,
            format: spec.format,
            seed,
          });
          answers.set(operation, answer);
        }
        record.status = answer.status;
        send({
          response,
          status: answer.status,
          headers: {
            ...(answer.contentType !== null && {
              'content-type': /json/i.test(answer.contentType)
                ? 'application/json'
                : answer.contentType,
            }),
            'x-weft-mock-source': answer.source,
          },
          body: answer.body,
          head: method === 'HEAD',
        });
      } catch (error) {
        const refusal =
          error instanceof Refusal
            ? error
            : new Refusal({ status: 500, errorClass: 'input_schema', message: 'the mock failed' });
        if (!(error instanceof Refusal)) record.errorClass = null;
        else record.errorClass = refusal.errorClass;
        record.status = refusal.status;
        send({
          response,
          status: refusal.status,
          headers: {
            'content-type': 'application/json',
            [MOCK_ERROR_HEADER]: refusal.errorClass,
            ...refusal.headers,
          },
          body: { error: { class: refusal.errorClass, message: refusal.message } },
          head: method === 'HEAD',
        });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}${spec.primaryBasePath}`,
    origin,
    basePath: spec.primaryBasePath,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
