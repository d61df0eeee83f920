import type { AuthMethod } from '../domain/connector.ts';
import { AppError } from '../errors.ts';
import type { OutboundRequest } from './types.ts';

/** Replaces `{{field}}` with credential values; an unknown field is an error, not an empty string. */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined)
      throw new AppError(
        'bad_request',
        `the auth template uses {{${name}}}, which the connection does not have`,
      );
    return value;
  });
}

function addCookie(request: OutboundRequest, name: string, value: string): void {
  const cookie = `${name}=${encodeURIComponent(value)}`;
  request.headers['cookie'] = request.headers['cookie']
    ? `${request.headers['cookie']}; ${cookie}`
    : cookie;
}

function requireField(
  values: Readonly<Record<string, string>>,
  field: string,
  context: string,
): string {
  const value = values[field];
  if (value === undefined || value === '')
    throw new AppError('bad_request', `${context}: the credential '${field}' is missing`);
  return value;
}

/**
 * Puts credentials where the auth method declares them. `values` holds the connection's
 * plaintext credentials plus, for OAuth 2.0 and token exchanges, `access_token` / `token`.
 * `context` names the connection and method for error messages (never a value).
 */
export function applyAuth({
  method,
  values,
  request,
  context,
}: {
  method: AuthMethod;
  values: Readonly<Record<string, string>>;
  request: OutboundRequest;
  context: string;
}): void {
  switch (method.type) {
    case 'none':
      return;
    case 'basic': {
      const user = requireField(values, 'username', context);
      const pass = values['password'] ?? '';
      request.headers['authorization'] =
        `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}`;
      return;
    }
    case 'bearer':
      request.headers['authorization'] = `Bearer ${requireField(values, 'token', context)}`;
      return;
    case 'api_key': {
      const key = `${method.prefix ?? ''}${requireField(values, 'apiKey', context)}`;
      if (method.in === 'header') request.headers[method.name.toLowerCase()] = key;
      else if (method.in === 'query') request.url.searchParams.set(method.name, key);
      else addCookie(request, method.name, key);
      return;
    }
    case 'oauth2':
      request.headers['authorization'] = `Bearer ${requireField(values, 'access_token', context)}`;
      return;
    case 'custom': {
      for (const [name, template] of Object.entries(method.headers ?? {})) {
        request.headers[name.toLowerCase()] = fillTemplate(template, values).replace(/[\r\n]/g, '');
      }
      for (const [name, template] of Object.entries(method.query ?? {})) {
        request.url.searchParams.set(name, fillTemplate(template, values));
      }
      if (method.body && Object.keys(method.body).length > 0) {
        const extra = Object.fromEntries(
          Object.entries(method.body).map(([k, t]) => [k, fillTemplate(t, values)]),
        );
        if (request.headers['content-type'] === 'application/x-www-form-urlencoded') {
          const form = new URLSearchParams(request.body ?? '');
          for (const [k, v] of Object.entries(extra)) form.set(k, v);
          request.body = form.toString();
        } else {
          const parsed: unknown = request.body ? JSON.parse(request.body) : {};
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
            throw new AppError(
              'bad_request',
              `${context}: body credentials need a JSON object body`,
            );
          }
          request.body = JSON.stringify({ ...parsed, ...extra });
          request.headers['content-type'] = 'application/json';
        }
      }
      return;
    }
  }
}

/** The request's URL with credential-bearing query parameters masked, for traces and errors. */
export function redactedUrl(request: OutboundRequest, method: AuthMethod | null): string {
  const url = new URL(request.url);
  const secretParams = new Set<string>();
  if (method?.type === 'api_key' && method.in === 'query') secretParams.add(method.name);
  if (method?.type === 'custom')
    for (const name of Object.keys(method.query ?? {})) secretParams.add(name);
  for (const name of [
    'api_key',
    'apikey',
    'access_token',
    'token',
    'key',
    'client_secret',
    'password',
  ])
    secretParams.add(name);
  for (const name of [...url.searchParams.keys()]) {
    if (secretParams.has(name) || secretParams.has(name.toLowerCase()))
      url.searchParams.set(name, '[redacted]');
  }
  url.username = '';
  url.password = '';
  return url.toString();
}
