import { textOf, truncate } from './names.ts';
import { isObject, own, type Json } from './schema.ts';
import { addWarning, type ImportWarning, type SpecFormat } from './types.ts';

/** The connector's base URL (with server variables) from `servers` or Swagger 2 host fields. */

export interface ServerVariable {
  default: string;
  enum?: string[];
  description?: string;
}

export interface BaseUrl {
  /** Template with `{variables}`; absent when the spec gives no usable absolute URL. */
  baseUrl?: string;
  serverVariables: Record<string, ServerVariable>;
  /** The base URL with every variable at its default, for hosts and OAuth URLs. */
  resolved?: URL;
}

const URL_TEMPLATE = /^https?:\/\/\S+$/;
/** Characters the engine refuses in a variable value (see resolveBaseUrl): they could move the host. */
const UNSAFE_VARIABLE_VALUE = /[/?#@\\\s]/;
/** Servers that are not the one to integrate against, told by their host or description. */
const NON_PRODUCTION =
  /(^|[^a-z])(sandbox|staging|stage|stg|test|testing|dev|development|mock|mocks|local|localhost|qa|uat|demo|preview)([^a-z]|$)/i;

function variablesIn(template: string): string[] {
  return [...template.matchAll(/\{([^{}]{1,100})\}/g)].map((m) => m[1] ?? '');
}

function fillDefaults({
  template,
  variables,
}: {
  template: string;
  variables: Record<string, ServerVariable>;
}): string {
  return template.replace(
    /\{([^{}]{1,100})\}/g,
    (_, name: string) => variables[name]?.default ?? name,
  );
}

function looksNonProduction(server: Json): boolean {
  const url = server['url'];
  const description = server['description'];
  let host = '';
  if (typeof url === 'string') {
    const match = /^[a-z]+:\/\/([^/?#]+)/i.exec(url);
    host = match?.[1] ?? '';
  }
  return (
    NON_PRODUCTION.test(host) ||
    (typeof description === 'string' && NON_PRODUCTION.test(description))
  );
}

/** Reads `servers[i].variables` into the connector's shape; unusable entries become warnings. */
function readVariables({
  template,
  variables,
  at,
  warnings,
}: {
  template: string;
  variables: unknown;
  at: string;
  warnings: ImportWarning[];
}): { template: string; serverVariables: Record<string, ServerVariable> } {
  const declared = isObject(variables) ? variables : {};
  const serverVariables: Record<string, ServerVariable> = {};
  let out = template;
  for (const name of new Set(variablesIn(template))) {
    const spec = own({ record: declared, key: name });
    const values =
      isObject(spec) && Array.isArray(spec['enum'])
        ? (spec['enum'] as unknown[])
            .filter((v) => typeof v === 'string' || typeof v === 'number')
            .map(String)
        : [];
    const rawDefault = isObject(spec) ? spec['default'] : undefined;
    let fallback =
      typeof rawDefault === 'string' || typeof rawDefault === 'number'
        ? String(rawDefault)
        : values[0];
    if (fallback === undefined) {
      fallback = name;
      addWarning(warnings, {
        path: `${at}/variables`,
        reason: `server variable {${name}} has no default; its name stands in until a connection sets it`,
      });
    }
    const inScheme = out.indexOf(`{${name}}`) < out.indexOf('://');
    if (UNSAFE_VARIABLE_VALUE.test(fallback) || inScheme || !/^[a-zA-Z0-9_.-]+$/.test(name)) {
      // The engine only substitutes host-like values; anything else is fixed at its default.
      out = out.split(`{${name}}`).join(fallback);
      if (values.length > 1)
        addWarning(warnings, {
          path: `${at}/variables/${name}`,
          reason: `server variable {${name}} fixed to its default ${truncate({ text: fallback, max: 100 })}; other values: ${values.slice(0, 5).join(', ')}`,
        });
      continue;
    }
    const variable: ServerVariable = { default: truncate({ text: fallback, max: 500 }) };
    const enumValues = values
      .filter((v) => v.length <= 500 && !UNSAFE_VARIABLE_VALUE.test(v))
      .slice(0, 100);
    if (enumValues.length > 0) {
      if (!enumValues.includes(variable.default)) enumValues.unshift(variable.default);
      variable.enum = enumValues.slice(0, 100);
    }
    const description = isObject(spec)
      ? textOf({ value: spec['description'], max: 1000 })
      : undefined;
    if (description !== undefined) variable.description = description;
    serverVariables[name] = variable;
  }
  return { template: out, serverVariables };
}

function finish({
  template,
  serverVariables,
  specUrl,
  at,
  warnings,
}: {
  template: string;
  serverVariables: Record<string, ServerVariable>;
  specUrl: string | undefined;
  at: string;
  warnings: ImportWarning[];
}): BaseUrl {
  let url = template.trim();
  if (url.startsWith('//')) url = `https:${url}`;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    if (specUrl === undefined) {
      addWarning(warnings, {
        path: at,
        reason: `the server URL ${truncate({ text: url, max: 200 }) || '(empty)'} is relative and the spec was not loaded from a URL; set the base URL by hand`,
      });
      return { serverVariables: {} };
    }
    try {
      // Placeholders survive URL resolution as %7B…%7D; put them back.
      url = new URL(url, specUrl).toString().replace(/%7B([^%]{1,100})%7D/g, '{$1}');
    } catch {
      addWarning(warnings, {
        path: at,
        reason: `the server URL ${truncate({ text: url, max: 200 })} cannot be resolved`,
      });
      return { serverVariables: {} };
    }
  }
  url = url.replace(/\/+$/, '');
  if (!URL_TEMPLATE.test(url) || url.length > 2000) {
    addWarning(warnings, {
      path: at,
      reason: `the server URL ${truncate({ text: url, max: 200 })} is not an http(s) URL; set the base URL by hand`,
    });
    return { serverVariables: {} };
  }
  let resolved: URL;
  try {
    resolved = new URL(fillDefaults({ template: url, variables: serverVariables }));
  } catch {
    addWarning(warnings, {
      path: at,
      reason: `the server URL ${truncate({ text: url, max: 200 })} is not a valid URL`,
    });
    return { serverVariables: {} };
  }
  const used = new Set(variablesIn(url));
  const kept = Object.fromEntries(
    Object.entries(serverVariables).filter(([name]) => used.has(name)),
  );
  return { baseUrl: url, serverVariables: kept, resolved };
}

export function baseUrlOf({
  doc,
  format,
  specUrl,
  warnings,
}: {
  doc: Json;
  format: SpecFormat;
  specUrl: string | undefined;
  warnings: ImportWarning[];
}): BaseUrl {
  if (format === 'swagger-2.0') {
    const schemes = doc['schemes'];
    const list = Array.isArray(schemes)
      ? schemes.filter((s): s is string => typeof s === 'string').map((s) => s.toLowerCase())
      : [];
    let scheme = list.includes('https') ? 'https' : list.find((s) => s === 'http');
    const spec = specUrl === undefined ? undefined : new URL(specUrl);
    if (scheme === undefined) {
      scheme = spec?.protocol.replace(':', '') ?? 'https';
      if (spec === undefined)
        addWarning(warnings, { path: '/schemes', reason: 'no schemes given; https assumed' });
    }
    const host = doc['host'];
    const hostText = typeof host === 'string' && host.trim() !== '' ? host.trim() : spec?.host;
    if (hostText === undefined) {
      addWarning(warnings, {
        path: '/host',
        reason: 'no host given and the spec was not loaded from a URL; set the base URL by hand',
      });
      return { serverVariables: {} };
    }
    const basePath = doc['basePath'];
    const prefix = typeof basePath === 'string' ? `/${basePath.trim().replace(/^\/+/, '')}` : '';
    return finish({
      template: `${scheme}://${hostText}${prefix}`,
      serverVariables: {},
      specUrl,
      at: '/host',
      warnings,
    });
  }

  const servers = doc['servers'];
  const candidates = Array.isArray(servers)
    ? (servers as unknown[])
        .map((s, i) => ({ server: s, index: i }))
        .filter(
          (c): c is { server: Json; index: number } =>
            isObject(c.server) && typeof c.server['url'] === 'string',
        )
    : [];
  if (candidates.length === 0) {
    if (specUrl !== undefined)
      return finish({ template: '/', serverVariables: {}, specUrl, at: '/servers', warnings });
    addWarning(warnings, {
      path: '/servers',
      reason: 'no servers given; set the base URL by hand',
    });
    return { serverVariables: {} };
  }
  const chosen = candidates.find((c) => !looksNonProduction(c.server)) ?? candidates[0];
  if (chosen === undefined) return { serverVariables: {} };
  const at = `/servers/${chosen.index}`;
  const { template, serverVariables } = readVariables({
    template: chosen.server['url'] as string,
    variables: chosen.server['variables'],
    at,
    warnings,
  });
  return finish({ template, serverVariables, specUrl, at: `${at}/url`, warnings });
}

/** `api.stripe.com` → `stripe.com`; keeps a second-level label of country domains (`co.uk`). */
export function domainOf(url: URL | undefined): string | undefined {
  if (url === undefined) return undefined;
  const host = url.hostname.replace(/\.$/, '');
  if (/^[\d.]+$/.test(host) || host.includes(':') || !host.includes('.')) return host.slice(0, 253);
  const labels = host.split('.');
  const secondLevel = labels.at(-2) ?? '';
  const keep =
    (labels.at(-1) ?? '').length === 2 && /^(co|com|org|net|gov|ac|edu)$/.test(secondLevel) ? 3 : 2;
  return labels.slice(-keep).join('.').slice(0, 253);
}
