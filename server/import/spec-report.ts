/**
 * Where an API spec itself is wrong, as a list of findings: internal `$ref`s that point nowhere
 * (and external ones the loader could not read), no security declared or requirements naming no
 * scheme, servers that are relative or have no scheme, operations without responses, and what
 * swagger-parser's validator (the OpenAPI JSON Schema, then its spec rules) says.
 *
 * Decision: the validator runs on a copy of the already-loaded document, with file and network
 * resolution off, so a spec can never make it read a file or fetch a URL; broken references are
 * found by our own walk first and replaced by `{}` in the copy, because the validator stops at the
 * first reference it cannot resolve and would then say nothing about the rest.
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPI } from 'openapi-types';
import { createResolver, isObject, type Json } from './schema.ts';
import { toPointer, UNRESOLVED_KEY } from './types.ts';

export interface SpecFinding {
  severity: 'error' | 'warning';
  /** JSON pointer into the spec; '' for the whole document. */
  path: string;
  message: string;
}

const MAX_FINDINGS = 500;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every `$ref` in the document with its pointer (iterative: specs can be deep). */
function refsOf(document: Json): { at: string[]; ref: string; holder: Json }[] {
  const out: { at: string[]; ref: string; holder: Json }[] = [];
  const stack: { node: unknown; at: string[] }[] = [{ node: document, at: [] }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const { node, at } = stack.pop() as { node: unknown; at: string[] };
    if (typeof node !== 'object' || node === null || seen.has(node)) continue;
    seen.add(node);
    if (!Array.isArray(node)) {
      const record = node as Json;
      if (typeof record['$ref'] === 'string') out.push({ at, ref: record['$ref'], holder: record });
      else if (typeof record[UNRESOLVED_KEY] === 'string')
        out.push({ at, ref: record[UNRESOLVED_KEY], holder: record });
    }
    for (const [key, child] of Object.entries(node)) stack.push({ node: child, at: [...at, key] });
  }
  return out;
}

function structuralFindings(document: Json): SpecFinding[] {
  const findings: SpecFinding[] = [];
  const swagger = document['swagger'] !== undefined;
  // Servers
  if (swagger) {
    if (typeof document['host'] !== 'string' || document['host'].trim() === '')
      findings.push({
        severity: 'warning',
        path: '/host',
        message: 'no host: the API address is not in the spec',
      });
    if (!Array.isArray(document['schemes']) || document['schemes'].length === 0)
      findings.push({
        severity: 'warning',
        path: '/schemes',
        message: 'no schemes: http or https is not stated',
      });
  } else {
    const servers = document['servers'];
    if (!Array.isArray(servers) || servers.length === 0)
      findings.push({
        severity: 'warning',
        path: '/servers',
        message: 'no servers: the API address is not in the spec',
      });
    else
      servers.forEach((server, i) => {
        const url = isObject(server) ? server['url'] : undefined;
        if (typeof url !== 'string') return;
        if (url.startsWith('//'))
          findings.push({
            severity: 'warning',
            path: `/servers/${i}/url`,
            message: `server ${url} has no scheme (http or https)`,
          });
        else if (!/^[a-z][a-z0-9+.-]*:/i.test(url.replace(/^\{[^}]+\}/, 'x:')))
          findings.push({
            severity: 'warning',
            path: `/servers/${i}/url`,
            message: `server ${url || '(empty)'} is relative: it only means something next to where the spec is served`,
          });
      });
  }
  // Security
  const schemes = swagger
    ? document['securityDefinitions']
    : isObject(document['components'])
      ? document['components']['securitySchemes']
      : undefined;
  const declared = isObject(schemes) ? new Set(Object.keys(schemes)) : new Set<string>();
  if (declared.size === 0)
    findings.push({
      severity: 'warning',
      path: swagger ? '/securityDefinitions' : '/components/securitySchemes',
      message: 'no security schemes: the spec does not say how to authenticate',
    });
  const checkRequirements = (value: unknown, at: string[]) => {
    if (!Array.isArray(value)) return;
    value.forEach((requirement, i) => {
      if (!isObject(requirement)) return;
      for (const name of Object.keys(requirement))
        if (!declared.has(name))
          findings.push({
            severity: 'error',
            path: toPointer([...at, i]),
            message: `security requirement names ${name}, which no security scheme declares`,
          });
    });
  };
  checkRequirements(document['security'], ['security']);
  // Operations
  const paths = isObject(document['paths']) ? document['paths'] : {};
  let operations = 0;
  let secured = document['security'] !== undefined;
  for (const [template, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isObject(op)) continue;
      operations++;
      const at = ['paths', template, method];
      if (op['security'] !== undefined) secured = true;
      checkRequirements(op['security'], [...at, 'security']);
      const responses = op['responses'];
      if (!isObject(responses) || Object.keys(responses).length === 0)
        findings.push({
          severity: 'error',
          path: toPointer(at),
          message: `${method.toUpperCase()} ${template} declares no responses`,
        });
    }
  }
  if (operations === 0)
    findings.push({ severity: 'error', path: '/paths', message: 'the spec has no operations' });
  if (declared.size > 0 && !secured)
    findings.push({
      severity: 'warning',
      path: '/security',
      message: 'security schemes are declared but no operation requires one (no security field)',
    });
  return findings;
}

function validatorFindings(error: unknown): SpecFinding[] {
  const details = (error as { details?: unknown }).details;
  if (Array.isArray(details) && details.length > 0) {
    return details.slice(0, 200).map((d: unknown) => {
      const detail = d as { instancePath?: string; message?: string; params?: unknown };
      const params = detail.params !== undefined ? ` ${JSON.stringify(detail.params)}` : '';
      return {
        severity: 'error' as const,
        path: detail.instancePath ?? '',
        message: `schema: ${detail.message ?? 'invalid'}${params}`.slice(0, 500),
      };
    });
  }
  const message = error instanceof Error ? error.message : String(error);
  const pointer = /(\/paths\/\S+|#\/\S+)/.exec(message)?.[1]?.replace(/^#/, '') ?? '';
  return [
    { severity: 'error', path: pointer, message: message.split('\n')[0]?.slice(0, 500) ?? '' },
  ];
}

/**
 * Finds where a spec (as `loadSpec` returns it) is wrong. Never throws on a bad spec: everything
 * is a finding. Errors make a spec invalid; warnings make it hard to use (no servers, no auth).
 */
export async function specReport(document: Json): Promise<SpecFinding[]> {
  const findings: SpecFinding[] = [];
  const resolver = createResolver(document);
  const copy = structuredClone(document);
  const broken = new Set<string>();
  for (const { at, ref } of refsOf(document)) {
    if (ref.startsWith('#') && resolver.target(ref) === undefined) {
      broken.add(toPointer(at));
      findings.push({
        severity: 'error',
        path: toPointer(at),
        message: `broken $ref ${ref.slice(0, 300)}: the target does not exist`,
      });
    } else if (!ref.startsWith('#') || ref === '') {
      broken.add(toPointer(at));
      findings.push({
        severity: 'error',
        path: toPointer(at),
        message: `external $ref ${ref.slice(0, 300)} was not resolved`,
      });
    }
  }
  for (const { at, holder } of refsOf(copy)) {
    if (broken.has(toPointer(at))) {
      delete holder['$ref'];
      delete holder[UNRESOLVED_KEY];
    }
  }
  findings.push(...structuralFindings(document));
  try {
    await SwaggerParser.validate(copy as unknown as OpenAPI.Document, {
      resolve: { file: false, http: false, external: false },
      dereference: { circular: 'ignore' },
    });
  } catch (error) {
    findings.push(...validatorFindings(error));
  }
  return findings.slice(0, MAX_FINDINGS);
}
