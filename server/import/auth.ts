import type { z } from 'zod';
import type { AuthMethodSchema } from '../domain/connector.ts';
import { placementFromProse } from './auth-prose.ts';
import { authKeyOf, truncate, uniqueName } from './names.ts';
import { isObject, own, type Json, type Resolver } from './schema.ts';
import { addWarning, toPointer, type ImportWarning, type SpecFormat } from './types.ts';

/**
 * Auth methods from `securitySchemes` / `securityDefinitions`, ordered so that the method an
 * integrator should configure comes first: the one most operations require (global security
 * counts for every operation that does not override it), ties broken by what serves a
 * multi-tenant integration best (OAuth 2.0, then tokens, then keys, then passwords).
 */

export type AuthMethodInput = z.input<typeof AuthMethodSchema>;

const MAX_METHODS = 10;
const MAX_SCOPES = 200;

const PREFERENCE: Record<AuthMethodInput['type'], number> = {
  oauth2: 5,
  bearer: 4,
  api_key: 3,
  basic: 2,
  custom: 1,
  none: 0,
};

interface Candidate {
  method: AuthMethodInput;
  scheme: string;
  order: number;
}

function httpUrl({ value, base }: { value: unknown; base: URL | undefined }): string | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  try {
    const url = base === undefined ? new URL(value.trim()) : new URL(value.trim(), base);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

function scopesOf(flow: Json): string[] {
  const scopes = flow['scopes'];
  if (!isObject(scopes)) return [];
  return Object.keys(scopes)
    .filter((s) => s.length > 0 && s.length <= 200)
    .slice(0, MAX_SCOPES);
}

/** A token URL next to an authorize URL, for flows that name none (implicit, OpenID Connect). */
function guessTokenUrl(authorizeUrl: string): string {
  const url = new URL(authorizeUrl);
  url.search = '';
  url.hash = '';
  url.pathname = url.pathname.replace(/[^/]*$/, 'token');
  return url.toString();
}

interface FlowSpec {
  kind: 'authorizationCode' | 'implicit' | 'clientCredentials' | 'password';
  flow: Json;
  at: string;
}

function flowsOf({
  scheme,
  format,
  at,
}: {
  scheme: Json;
  format: SpecFormat;
  at: string;
}): FlowSpec[] {
  if (format === 'swagger-2.0') {
    const flow = scheme['flow'];
    const kind =
      flow === 'accessCode'
        ? 'authorizationCode'
        : flow === 'application'
          ? 'clientCredentials'
          : flow === 'implicit' || flow === 'password'
            ? flow
            : undefined;
    return kind === undefined ? [] : [{ kind, flow: scheme, at }];
  }
  const flows = scheme['flows'];
  if (!isObject(flows)) return [];
  const order: FlowSpec['kind'][] = [
    'authorizationCode',
    'clientCredentials',
    'implicit',
    'password',
  ];
  return order.flatMap((kind) => {
    const flow = own({ record: flows, key: kind });
    return isObject(flow) ? [{ kind, flow, at: `${at}/flows/${kind}` }] : [];
  });
}

function oauthMethods({
  name,
  scheme,
  format,
  at,
  base,
  warnings,
}: {
  name: string;
  scheme: Json;
  format: SpecFormat;
  at: string;
  base: URL | undefined;
  warnings: ImportWarning[];
}): AuthMethodInput[] {
  const methods: AuthMethodInput[] = [];
  const flows = flowsOf({ scheme, format, at });
  if (flows.length === 0)
    addWarning(warnings, {
      path: at,
      reason: `OAuth 2.0 scheme ${name} declares no usable flow; skipped`,
    });
  for (const { kind, flow, at: flowAt } of flows) {
    const scopes = scopesOf(flow);
    const label = truncate({ text: `${name} (${kind})`, max: 100 });
    const tokenUrl = httpUrl({ value: flow['tokenUrl'], base });
    const authorizeUrl = httpUrl({ value: flow['authorizationUrl'], base });
    if (kind === 'password') {
      addWarning(warnings, {
        path: flowAt,
        reason: `OAuth 2.0 password flow of ${name} imported as a custom method that exchanges username and password for a token`,
      });
      if (tokenUrl === undefined) {
        addWarning(warnings, {
          path: flowAt,
          reason: 'the password flow has no usable tokenUrl; skipped',
        });
        continue;
      }
      methods.push({
        key: 'x',
        label,
        type: 'custom',
        fields: [
          { name: 'username', secret: false },
          { name: 'password', secret: true },
          { name: 'clientId', secret: false },
          { name: 'clientSecret', secret: true },
        ],
        headers: { Authorization: 'Bearer {{token}}' },
        tokenExchange: {
          method: 'POST',
          url: tokenUrl,
          bodyType: 'form',
          body: {
            grant_type: 'password',
            username: '{{username}}',
            password: '{{password}}',
            client_id: '{{clientId}}',
            client_secret: '{{clientSecret}}',
            ...(scopes.length > 0 && { scope: truncate({ text: scopes.join(' '), max: 4000 }) }),
          },
          tokenPath: 'access_token',
          expiresInPath: 'expires_in',
        },
      });
      continue;
    }
    if (kind === 'clientCredentials') {
      if (tokenUrl === undefined) {
        addWarning(warnings, {
          path: flowAt,
          reason: 'the client credentials flow has no usable tokenUrl; skipped',
        });
        continue;
      }
      methods.push({
        key: 'x',
        label,
        type: 'oauth2',
        grant: 'client_credentials',
        tokenUrl,
        scopes,
      });
      continue;
    }
    if (authorizeUrl === undefined) {
      addWarning(warnings, {
        path: flowAt,
        reason: `the ${kind} flow has no usable authorizationUrl; skipped`,
      });
      continue;
    }
    let token = tokenUrl;
    if (token === undefined) {
      token = guessTokenUrl(authorizeUrl);
      addWarning(warnings, {
        path: flowAt,
        reason: `the ${kind} flow names no token URL; ${token} is a guess next to the authorize URL, check it (imported as authorization code)`,
      });
    } else if (kind === 'implicit') {
      addWarning(warnings, {
        path: flowAt,
        reason: 'implicit flow imported as authorization code',
      });
    }
    methods.push({
      key: 'x',
      label,
      type: 'oauth2',
      grant: 'authorization_code',
      authorizeUrl,
      tokenUrl: token,
      scopes,
    });
  }
  return methods;
}

/**
 * An apiKey scheme completed from its description: the prefix ("Token ") when the prose shows
 * the header with a placeholder, and a warning when the prose disagrees or says nothing about
 * an Authorization header's scheme word (the usual cause of a 401 with a valid key).
 */
function apiKeyWithProse({
  name,
  label,
  where,
  keyName,
  description,
  at,
  warnings,
}: {
  name: string;
  label: string;
  where: 'header' | 'query' | 'cookie';
  keyName: string;
  description: unknown;
  at: string;
  warnings: ImportWarning[];
}): AuthMethodInput {
  const method: AuthMethodInput = { key: 'x', label, type: 'api_key', in: where, name: keyName };
  const hint = placementFromProse(description);
  const same =
    hint !== null && hint.in === where && hint.name.toLowerCase() === keyName.toLowerCase();
  if (same && hint.prefix !== '') return { ...method, prefix: hint.prefix };
  if (hint !== null && !same)
    addWarning(warnings, {
      path: at,
      reason: `${name}: the scheme says ${where} ${keyName} but its description says ${hint.in} ${hint.name}; kept ${where} ${keyName}, check with test_connection`,
    });
  else if (where === 'header' && keyName.toLowerCase() === 'authorization' && !same)
    addWarning(warnings, {
      path: at,
      reason: `${name}: the key goes in the Authorization header but the spec does not say whether a scheme word (Bearer, Token…) comes first; sent without one, set the method's prefix if the API wants it`,
    });
  return method;
}

function methodsOfScheme({
  name,
  scheme,
  format,
  at,
  base,
  warnings,
}: {
  name: string;
  scheme: Json;
  format: SpecFormat;
  at: string;
  base: URL | undefined;
  warnings: ImportWarning[];
}): AuthMethodInput[] {
  const type = scheme['type'];
  const label = truncate({ text: name, max: 100 });
  switch (type) {
    case 'apiKey': {
      const where = scheme['in'];
      const keyName = scheme['name'];
      if (
        (where === 'header' || where === 'query' || where === 'cookie') &&
        typeof keyName === 'string' &&
        keyName.trim() !== '' &&
        keyName.length <= 200
      )
        return [
          apiKeyWithProse({
            name,
            label,
            where,
            keyName: keyName.trim(),
            description: scheme['description'],
            at,
            warnings,
          }),
        ];
      addWarning(warnings, {
        path: at,
        reason: `API key scheme ${name} has no usable "in" and "name"; imported as custom`,
      });
      return [{ key: 'x', label, type: 'custom', fields: [{ name: 'apiKey', secret: true }] }];
    }
    case 'basic':
      return [{ key: 'x', label, type: 'basic' }];
    case 'http': {
      const httpScheme = scheme['scheme'];
      const lower = typeof httpScheme === 'string' ? httpScheme.trim().toLowerCase() : '';
      if (lower === 'basic') return [{ key: 'x', label, type: 'basic' }];
      if (lower === 'bearer') {
        // "bearer" in the spec, "Authorization: Token <key>" in its prose: the prose wins,
        // because that is what the API's own docs tell a person to send.
        const hint = placementFromProse(scheme['description']);
        if (
          hint?.in === 'header' &&
          hint.name.toLowerCase() === 'authorization' &&
          hint.prefix !== '' &&
          hint.prefix.trim().toLowerCase() !== 'bearer'
        ) {
          addWarning(warnings, {
            path: at,
            reason: `${name} says bearer but its description says "Authorization: ${hint.prefix}<token>"; imported as an API key header Authorization with prefix "${hint.prefix}"`,
          });
          return [
            {
              key: 'x',
              label,
              type: 'api_key',
              in: 'header',
              name: 'Authorization',
              prefix: hint.prefix,
            },
          ];
        }
        return [{ key: 'x', label, type: 'bearer' }];
      }
      const word = /^[A-Za-z0-9_-]{1,40}$/.test(String(httpScheme)) ? String(httpScheme) : 'Token';
      addWarning(warnings, {
        path: at,
        reason: `HTTP ${truncate({ text: String(httpScheme), max: 40 })} authentication imported as a custom Authorization header`,
      });
      return [
        {
          key: 'x',
          label,
          type: 'custom',
          fields: [{ name: 'token', secret: true }],
          headers: { Authorization: `${word} {{token}}` },
        },
      ];
    }
    case 'oauth2':
      return oauthMethods({ name, scheme, format, at, base, warnings });
    case 'openIdConnect': {
      const discovery = httpUrl({ value: scheme['openIdConnectUrl'], base });
      if (discovery === undefined) {
        addWarning(warnings, {
          path: at,
          reason: `OpenID Connect scheme ${name} has no usable openIdConnectUrl; skipped`,
        });
        return [];
      }
      const issuer = discovery
        .replace(/\/\.well-known\/openid-configuration\/?$/, '')
        .replace(/\/+$/, '');
      addWarning(warnings, {
        path: at,
        reason: `OpenID Connect: the real endpoints are listed at ${truncate({ text: discovery, max: 300 })}; the authorize and token URLs imported are guesses, check them`,
      });
      return [
        {
          key: 'x',
          label,
          type: 'oauth2',
          grant: 'authorization_code',
          authorizeUrl: `${issuer}/authorize`,
          tokenUrl: `${issuer}/token`,
          scopes: ['openid'],
        },
      ];
    }
    case 'mutualTLS':
      addWarning(warnings, {
        path: at,
        reason: `mutual TLS (${name}) is not supported; imported as a custom method without fields`,
      });
      return [{ key: 'x', label, type: 'custom', fields: [] }];
    default:
      addWarning(warnings, {
        path: at,
        reason: `unknown security scheme type ${truncate({ text: String(type), max: 40 })}; imported as custom`,
      });
      return [{ key: 'x', label, type: 'custom', fields: [{ name: 'credential', secret: true }] }];
  }
}

/** Counts, per scheme name, the operations whose effective security lists it. */
export function schemeUsage({
  global,
  operations,
}: {
  global: unknown;
  operations: readonly { security: unknown }[];
}): Map<string, number> {
  const usage = new Map<string, number>();
  const names = (requirements: unknown): Set<string> => {
    const out = new Set<string>();
    if (!Array.isArray(requirements)) return out;
    for (const requirement of requirements)
      if (isObject(requirement)) for (const name of Object.keys(requirement)) out.add(name);
    return out;
  };
  for (const op of operations) {
    const effective = op.security === undefined ? global : op.security;
    for (const name of names(effective)) usage.set(name, (usage.get(name) ?? 0) + 1);
  }
  return usage;
}

export function authMethodsOf({
  doc,
  format,
  resolver,
  usage,
  base,
  warnings,
}: {
  doc: Json;
  format: SpecFormat;
  resolver: Resolver;
  usage: Map<string, number>;
  base: URL | undefined;
  warnings: ImportWarning[];
}): AuthMethodInput[] {
  const schemesAt =
    format === 'swagger-2.0' ? ['securityDefinitions'] : ['components', 'securitySchemes'];
  let schemes: unknown = doc;
  for (const key of schemesAt)
    schemes = isObject(schemes) ? own({ record: schemes, key }) : undefined;
  const declared = isObject(schemes) ? schemes : {};

  const candidates: Candidate[] = [];
  let order = 0;
  for (const name of Object.keys(declared)) {
    const at = toPointer([...schemesAt, name]);
    const { node: scheme } = resolver.deref(own({ record: declared, key: name }));
    if (!isObject(scheme)) {
      addWarning(warnings, { path: at, reason: 'security scheme is not an object; skipped' });
      continue;
    }
    try {
      for (const method of methodsOfScheme({ name, scheme, format, at, base, warnings }))
        candidates.push({ method, scheme: name, order: order++ });
    } catch (error) {
      addWarning(warnings, {
        path: at,
        reason: `security scheme could not be read (${error instanceof Error ? error.message : String(error)}); skipped`,
      });
    }
  }
  for (const name of usage.keys())
    if (!Object.hasOwn(declared, name))
      addWarning(warnings, {
        path: '',
        reason: `security requirements name ${truncate({ text: name, max: 100 })}, which no security scheme declares`,
      });

  if (candidates.length === 0) {
    if (Object.keys(declared).length === 0)
      addWarning(warnings, {
        path: '',
        reason: 'the spec declares no authentication; add an auth method if the API needs one',
      });
    return [{ key: 'none', type: 'none' }];
  }
  candidates.sort(
    (a, b) =>
      (usage.get(b.scheme) ?? 0) - (usage.get(a.scheme) ?? 0) ||
      PREFERENCE[b.method.type] - PREFERENCE[a.method.type] ||
      a.order - b.order,
  );
  if (candidates.length > MAX_METHODS)
    addWarning(warnings, {
      path: toPointer(schemesAt),
      reason: `${candidates.length} auth methods; only the first ${MAX_METHODS} kept (${candidates
        .slice(MAX_METHODS)
        .map((c) => c.scheme)
        .join(', ')
        .slice(0, 300)} dropped)`,
    });
  const keys = new Set<string>();
  return candidates.slice(0, MAX_METHODS).map(({ method, scheme }) => ({
    ...method,
    key: uniqueName({ base: authKeyOf(scheme), taken: keys, max: 41, separator: '_' }),
  }));
}
