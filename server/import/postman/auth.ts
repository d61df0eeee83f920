/**
 * Auth methods of a Postman collection: those declared on the collection, its folders and its
 * requests (`auth`), and those implied by requests that send a credential by hand (an
 * `Authorization` header, an `X-API-Key` header, an `api_key` query). Equal methods are kept
 * once; the header and query names they use are returned so that actions do not also take them
 * as parameters.
 */
import { isDeepStrictEqual } from 'node:util';
import { AuthMethodSchema, type AuthMethod } from '../../domain/connector.ts';
import { addWarning } from '../types.ts';
import {
  isHttpUrl,
  record,
  resolveVariables,
  scalarText,
  type Ctx,
  type Json,
  type ParsedRequest,
} from './collection.ts';

const MAX_AUTH_METHODS = 10;

/** Header and query names that hold a credential even when the collection declares no auth. */
export const KEY_HEADER = /^(x-)?(api[-_]?key|api[-_]?token|auth[-_]?token|access[-_]?token)$/i;

const KEY_QUERY = /^(api[-_]?key|access[-_]?token|auth[-_]?token)$/i;

export interface AuthNames {
  headers: Set<string>;
  query: Set<string>;
}

/** Reads Postman auth attributes: a `[{ key, value }]` list in v2.1, a plain object in v2.0. */
function authAttributes({ auth, type }: { auth: Json; type: string }): Map<string, unknown> {
  const attributes = new Map<string, unknown>();
  const value = auth[type];
  if (Array.isArray(value)) {
    for (const entry of value) {
      const e = record(entry);
      if (e !== undefined && typeof e['key'] === 'string') attributes.set(e['key'], e['value']);
    }
  } else {
    for (const [k, v] of Object.entries(record(value) ?? {})) attributes.set(k, v);
  }
  return attributes;
}

/** The auth method a Postman auth object describes: null when there is none to add. */
function methodFromAuth({
  auth,
  at,
  ctx,
}: {
  auth: Json;
  at: string;
  ctx: Ctx;
}): AuthMethod | 'none' | null {
  const type = scalarText(auth['type']) ?? '';
  const attributes = authAttributes({ auth, type });
  const attribute = (key: string): string | undefined => {
    const text = scalarText(attributes.get(key))?.trim();
    return text === undefined || text === ''
      ? undefined
      : resolveVariables({ text, variables: ctx.variables });
  };
  switch (type) {
    case 'noauth':
      return 'none';
    case 'inherit':
      return null;
    case 'basic':
      return { key: 'basic', type: 'basic' };
    case 'bearer':
      return { key: 'bearer', type: 'bearer' };
    case 'apikey': {
      const name = attribute('key');
      if (name === undefined || name.includes('{{') || name.length > 200) {
        addWarning(ctx.warnings, {
          path: at,
          reason: 'API key auth without a usable key name; skipped',
        });
        return null;
      }
      return {
        key: 'api_key',
        type: 'api_key',
        in: attribute('in') === 'query' ? 'query' : 'header',
        name,
      };
    }
    case 'oauth2': {
      const tokenUrl = attribute('accessTokenUrl');
      if (tokenUrl === undefined || !isHttpUrl(tokenUrl)) {
        addWarning(ctx.warnings, {
          path: at,
          reason: 'OAuth 2.0 auth without an absolute http(s) access token URL; skipped',
        });
        return null;
      }
      const grantType = attribute('grant_type') ?? 'authorization_code';
      const supported = [
        'authorization_code',
        'authorization_code_with_pkce',
        'client_credentials',
      ];
      if (!supported.includes(grantType)) {
        addWarning(ctx.warnings, {
          path: at,
          reason: `OAuth 2.0 grant ${grantType.slice(0, 50)} is not supported (only authorization code and client credentials); skipped`,
        });
        return null;
      }
      const authorizeUrl = attribute('authUrl');
      if (
        grantType !== 'client_credentials' &&
        (authorizeUrl === undefined || !isHttpUrl(authorizeUrl))
      )
        addWarning(ctx.warnings, {
          path: at,
          reason:
            'OAuth 2.0 authorization code grant without an absolute auth URL; set authorizeUrl',
        });
      if (attribute('addTokenTo') === 'queryParams')
        addWarning(ctx.warnings, {
          path: at,
          reason: 'the OAuth 2.0 token is sent in the Authorization header, not in the query',
        });
      return {
        key: 'oauth2',
        type: 'oauth2',
        grant: grantType === 'client_credentials' ? 'client_credentials' : 'authorization_code',
        ...(authorizeUrl !== undefined && isHttpUrl(authorizeUrl) && { authorizeUrl }),
        tokenUrl,
        scopes: (attribute('scope') ?? '')
          .split(/\s+/)
          .filter((s) => s !== '')
          .slice(0, 200)
          .map((s) => s.slice(0, 200)),
        scopeSeparator: ' ',
        // Plain authorization code in Postman sends no PKCE challenge; mirror what was tested.
        pkce: grantType === 'authorization_code_with_pkce',
        tokenAuth: attribute('client_authentication') === 'body' ? 'post' : 'basic',
        refreshAheadSeconds: 60,
      };
    }
    default:
      addWarning(ctx.warnings, {
        path: at,
        reason: `auth type ${type.slice(0, 50) || '(none)'} is not supported; add it as a custom auth method`,
      });
      return null;
  }
}

/** Auth methods implied by a request that sends its credential by hand. */
function methodFromRequest(request: ParsedRequest): AuthMethod[] {
  const methods: AuthMethod[] = [];
  for (const h of request.headers) {
    if (h.disabled) continue;
    if (h.key.toLowerCase() === 'authorization') {
      if (/^\s*bearer\s/i.test(h.value)) methods.push({ key: 'bearer', type: 'bearer' });
      else if (/^\s*basic\s/i.test(h.value)) methods.push({ key: 'basic', type: 'basic' });
      else {
        const scheme = /^\s*(\S{1,40}\s+)?\{\{[^{}]{1,200}\}\}\s*$/.exec(h.value);
        if (scheme !== null) {
          methods.push({
            key: 'api_key',
            type: 'api_key',
            in: 'header',
            name: 'Authorization',
            ...(scheme[1] !== undefined && { prefix: scheme[1].replace(/\s+$/, ' ') }),
          });
        }
      }
    } else if (KEY_HEADER.test(h.key)) {
      methods.push({ key: 'api_key', type: 'api_key', in: 'header', name: h.key });
    }
  }
  for (const q of request.url.query) {
    if (!q.disabled && KEY_QUERY.test(q.key))
      methods.push({ key: 'api_key', type: 'api_key', in: 'query', name: q.key });
  }
  return methods;
}

export function gatherAuth({
  sources,
  requests,
  ctx,
}: {
  sources: { auth: Json; at: string }[];
  requests: ParsedRequest[];
  ctx: Ctx;
}): { methods: AuthMethod[]; names: AuthNames } {
  const methods: AuthMethod[] = [];
  let sawNoAuth = false;
  const add = ({ method, at }: { method: AuthMethod; at: string }) => {
    const { key: _key, ...shape } = method;
    if (methods.some(({ key: _k, ...other }) => isDeepStrictEqual(other, shape))) return;
    if (methods.length >= MAX_AUTH_METHODS) {
      addWarning(ctx.warnings, {
        path: at,
        reason: `more than ${MAX_AUTH_METHODS} auth methods; skipped`,
      });
      return;
    }
    let key = method.key;
    for (let n = 2; methods.some((m) => m.key === key); n++) key = `${method.key}_${n}`;
    const parsed = AuthMethodSchema.safeParse({ ...method, key });
    if (!parsed.success) {
      addWarning(ctx.warnings, {
        path: at,
        reason: `auth method is not usable: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      });
      return;
    }
    methods.push(parsed.data);
  };
  for (const source of sources) {
    const method = methodFromAuth({ ...source, ctx });
    if (method === 'none') sawNoAuth = true;
    else if (method !== null) add({ method, at: source.at });
  }
  for (const request of requests) {
    for (const method of methodFromRequest(request)) add({ method, at: request.at });
  }
  if (methods.length === 0) {
    if (sawNoAuth) methods.push({ key: 'none', type: 'none' });
    else
      addWarning(ctx.warnings, {
        path: `${ctx.root}/auth`,
        reason:
          'the collection declares no authentication; add an auth method (type none for a public API)',
      });
  }
  const names: AuthNames = { headers: new Set(['authorization']), query: new Set() };
  for (const m of methods) {
    if (m.type !== 'api_key') continue;
    if (m.in === 'header') names.headers.add(m.name.toLowerCase());
    if (m.in === 'query') names.query.add(m.name);
  }
  return { methods, names };
}
