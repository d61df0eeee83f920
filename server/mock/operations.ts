/**
 * The route table of a spec mock: every operation of an OpenAPI 3.x or Swagger 2.0 document
 * with its path pattern, parameters (path-level and operation-level merged, references
 * followed), request body and effective security, plus the base paths of the spec's servers.
 * Read once when the mock starts; the server (spec-mock.ts) only looks things up.
 */
import { baseUrlOf } from '../import/servers.ts';
import {
  createResolver,
  isObject,
  own,
  propertiesOf,
  requiredOf,
  type Json,
  type Resolver,
} from '../import/schema.ts';
import type { SpecFormat } from '../import/types.ts';

export const MOCK_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

export interface MockParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  /** The spec's example value, when it gives one (parameter, schema or first of examples). */
  example?: unknown;
}

function exampleOf({ node, resolver }: { node: Json; resolver: Resolver }): {
  found: boolean;
  value?: unknown;
} {
  if (Object.hasOwn(node, 'example')) return { found: true, value: node['example'] };
  if (isObject(node['examples']))
    for (const key of Object.keys(node['examples'])) {
      const { node: example } = resolver.deref(node['examples'][key]);
      if (isObject(example) && Object.hasOwn(example, 'value'))
        return { found: true, value: example['value'] };
    }
  const { node: schema } = resolver.deref(node['schema'] ?? node);
  if (isObject(schema) && schema !== node) {
    if (Object.hasOwn(schema, 'example')) return { found: true, value: schema['example'] };
    if (Array.isArray(schema['examples']) && schema['examples'].length > 0)
      return { found: true, value: schema['examples'][0] };
  }
  return { found: false };
}

export interface MockBody {
  required: boolean;
  /** Top-level properties of the body schema (JSON bodies), for parameter-location checks. */
  properties: Set<string>;
  /** Top-level required properties of the body schema. */
  requiredProperties: string[];
  /** Form bodies (`formData` parameters, form media types) are not checked as JSON. */
  form: boolean;
}

/** One security scheme as the mock checks it. */
export type MockScheme =
  | { kind: 'apiKey'; in: 'header' | 'query' | 'cookie'; name: string }
  | { kind: 'http'; scheme: string }
  | { kind: 'unknown' };

export interface MockOperation {
  method: string;
  template: string;
  pattern: RegExp;
  /** Path parameter names in template order. */
  pathNames: string[];
  /** Literal characters of the template: more is a more specific match. */
  literalLength: number;
  parameters: MockParameter[];
  body: MockBody | null;
  /** Alternatives (OR) of requirements (AND of scheme names); empty: no auth needed. */
  security: string[][];
  raw: Json;
  at: string;
}

export interface MockSpec {
  format: SpecFormat;
  resolver: Resolver;
  document: Json;
  operations: MockOperation[];
  schemes: Map<string, MockScheme>;
  /** Base paths of the servers (no trailing slash; '' for the root), longest first. */
  basePaths: string[];
  /** The base path the importer would choose for the connector. */
  primaryBasePath: string;
}

function formatOf(document: Json): SpecFormat {
  if (document['swagger'] !== undefined) return 'swagger-2.0';
  return /^3\.1/.test(String(document['openapi'])) ? 'openapi-3.1' : 'openapi-3.0';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compileTemplate(
  template: string,
): Pick<MockOperation, 'pattern' | 'pathNames' | 'literalLength'> {
  const pathNames: string[] = [];
  let source = '';
  let literalLength = 0;
  let last = 0;
  for (const match of template.matchAll(/\{([^{}]+)\}/g)) {
    const literal = template.slice(last, match.index);
    source += escapeRegExp(literal);
    literalLength += literal.length;
    source += '([^/]+)';
    pathNames.push(match[1] ?? '');
    last = match.index + match[0].length;
  }
  const tail = template.slice(last).replace(/\/+$/, '');
  source += escapeRegExp(tail);
  literalLength += tail.length;
  return { pattern: new RegExp(`^${source}/?$`), pathNames, literalLength };
}

function basePathOf(url: string): string {
  try {
    return new URL(url, 'http://mock.invalid/').pathname.replace(/\/+$/, '');
  } catch {
    return '';
  }
}

function serverBasePaths({ document, format }: { document: Json; format: SpecFormat }): {
  basePaths: string[];
  primary: string;
} {
  // The same server the importer picks, resolved against a stand-in origin (relative servers too).
  const chosen = baseUrlOf({
    doc: document,
    format,
    specUrl: 'http://mock.invalid/',
    warnings: [],
  }).resolved;
  const primary = chosen === undefined ? '' : chosen.pathname.replace(/\/+$/, '');
  const paths = new Set<string>([primary]);
  if (format !== 'swagger-2.0' && Array.isArray(document['servers'])) {
    for (const server of document['servers'] as unknown[]) {
      if (!isObject(server) || typeof server['url'] !== 'string') continue;
      const variables = isObject(server['variables']) ? server['variables'] : {};
      const filled = server['url'].replace(/\{([^{}]+)\}/g, (_, name: string) => {
        const variable = own({ record: variables, key: name });
        const value = isObject(variable) ? variable['default'] : undefined;
        return typeof value === 'string' ? value : name;
      });
      paths.add(basePathOf(filled));
    }
  }
  return { basePaths: [...paths].sort((a, b) => b.length - a.length), primary };
}

function schemesOf({
  document,
  format,
  resolver,
}: {
  document: Json;
  format: SpecFormat;
  resolver: Resolver;
}): Map<string, MockScheme> {
  const container =
    format === 'swagger-2.0'
      ? document['securityDefinitions']
      : isObject(document['components'])
        ? document['components']['securitySchemes']
        : undefined;
  const schemes = new Map<string, MockScheme>();
  if (!isObject(container)) return schemes;
  for (const name of Object.keys(container)) {
    const { node } = resolver.deref(own({ record: container, key: name }));
    if (!isObject(node)) continue;
    const type = node['type'];
    const where = node['in'];
    if (
      type === 'apiKey' &&
      (where === 'header' || where === 'query' || where === 'cookie') &&
      typeof node['name'] === 'string'
    )
      schemes.set(name, { kind: 'apiKey', in: where, name: node['name'] });
    else if (type === 'basic') schemes.set(name, { kind: 'http', scheme: 'basic' });
    else if (type === 'http' && typeof node['scheme'] === 'string')
      schemes.set(name, { kind: 'http', scheme: node['scheme'].toLowerCase() });
    else if (type === 'oauth2' || type === 'openIdConnect')
      schemes.set(name, { kind: 'http', scheme: 'bearer' });
    else schemes.set(name, { kind: 'unknown' });
  }
  return schemes;
}

function requirementsOf(value: unknown): string[][] | undefined {
  if (!Array.isArray(value)) return undefined;
  const alternatives: string[][] = [];
  for (const requirement of value) {
    if (!isObject(requirement)) continue;
    alternatives.push(Object.keys(requirement));
  }
  // `{}` among the alternatives makes auth optional.
  return alternatives.some((a) => a.length === 0) ? [] : alternatives;
}

function parametersOf({ lists, resolver }: { lists: unknown[]; resolver: Resolver }): {
  parameters: MockParameter[];
  body: MockBody | null;
} {
  const byKey = new Map<string, Json>();
  for (const list of lists) {
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      const { node } = resolver.deref(item);
      if (!isObject(node) || typeof node['name'] !== 'string') continue;
      byKey.set(`${String(node['in'])}:${node['name']}`, node);
    }
  }
  const parameters: MockParameter[] = [];
  let body: MockBody | null = null;
  const form = new Set<string>();
  let formRequired = false;
  for (const node of byKey.values()) {
    const where = node['in'];
    const name = node['name'] as string;
    const required = node['required'] === true || where === 'path';
    if (where === 'path' || where === 'query' || where === 'header' || where === 'cookie') {
      const example = exampleOf({ node, resolver });
      parameters.push({
        name,
        in: where,
        required,
        ...(example.found && { example: example.value }),
      });
    } else if (where === 'body')
      body = {
        required,
        properties: new Set(Object.keys(propertiesOf({ node: node['schema'], resolver }))),
        requiredProperties: [...requiredOf({ node: node['schema'], resolver })],
        form: false,
      };
    else if (where === 'formData') {
      form.add(name);
      formRequired ||= required;
    }
  }
  if (body === null && form.size > 0)
    body = { required: formRequired, properties: form, requiredProperties: [], form: true };
  return { parameters, body };
}

function requestBodyOf({ node, resolver }: { node: unknown; resolver: Resolver }): MockBody | null {
  const { node: requestBody } = resolver.deref(node);
  if (!isObject(requestBody)) return null;
  const content = isObject(requestBody['content']) ? requestBody['content'] : {};
  const types = Object.keys(content);
  const json = types.find((t) => /json/i.test(t));
  const chosen = json ?? types[0];
  const media = chosen === undefined ? undefined : own({ record: content, key: chosen });
  const schema = isObject(media) ? media['schema'] : undefined;
  return {
    required: requestBody['required'] === true,
    properties: new Set(Object.keys(propertiesOf({ node: schema, resolver }))),
    requiredProperties: json === undefined ? [] : [...requiredOf({ node: schema, resolver })],
    form: json === undefined,
  };
}

/** Reads the spec into the mock's route table. */
export function readMockSpec(document: Json): MockSpec {
  const format = formatOf(document);
  const resolver = createResolver(document);
  const schemes = schemesOf({ document, format, resolver });
  const globalSecurity = requirementsOf(document['security']) ?? [];
  const operations: MockOperation[] = [];
  const paths = isObject(document['paths']) ? document['paths'] : {};
  for (const template of Object.keys(paths)) {
    const { node: item } = resolver.deref(own({ record: paths, key: template }));
    if (!isObject(item)) continue;
    for (const method of MOCK_METHODS) {
      const raw = own({ record: item, key: method });
      if (!isObject(raw)) continue;
      const { parameters, body: paramBody } = parametersOf({
        lists: [item['parameters'], raw['parameters']],
        resolver,
      });
      const body =
        format === 'swagger-2.0'
          ? paramBody
          : requestBodyOf({ node: raw['requestBody'], resolver });
      operations.push({
        method: method.toUpperCase(),
        template,
        ...compileTemplate(template.startsWith('/') ? template : `/${template}`),
        parameters,
        body,
        security: requirementsOf(raw['security']) ?? globalSecurity,
        raw,
        at: `/paths/${template.replaceAll('~', '~0').replaceAll('/', '~1')}/${method}`,
      });
    }
  }
  const { basePaths, primary } = serverBasePaths({ document, format });
  return {
    format,
    resolver,
    document,
    operations,
    schemes,
    basePaths,
    primaryBasePath: primary,
  };
}

/** Example values the spec gives for parameters, by operation (`GET /pet/{petId}`) and name. */
export function parameterExamples(spec: MockSpec): Map<string, Map<string, unknown>> {
  const out = new Map<string, Map<string, unknown>>();
  for (const operation of spec.operations) {
    const examples = new Map<string, unknown>();
    for (const p of operation.parameters)
      if (Object.hasOwn(p, 'example')) examples.set(p.name, p.example);
    out.set(`${operation.method} ${operation.template}`, examples);
  }
  return out;
}
