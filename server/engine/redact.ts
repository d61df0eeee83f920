/**
 * Secret redaction, in one place for everything Weft shows that may hold a secret: action and
 * proxy results, connection trace URLs, and workflow outputs, logs, errors and spans.
 *
 * A secret is caught as it is and in the encodings an API or a workflow is likely to give it back
 * in: percent-encoding (upper- or lower-case hex, `+` for spaces, or twice), JSON string escaping,
 * base64 and base64url (with or without padding; base64 also percent-encoded), and — for secrets of 11
 * bytes and more — their base64 inside a larger base64 blob, at any byte offset. What is not
 * caught (README, "Redaction"): other transformations (hex, HTML entities, a secret split across
 * fields or reversed, a hash), and a shorter secret inside a larger base64 blob.
 */
import { credentialFieldsOf, type AuthMethod } from '../domain/connector.ts';
import { fillTemplate } from './auth-apply.ts';

export const REDACTED = '[redacted]';

/** Shorter values would redact ordinary words; they are still never logged by us. */
const MIN_SECRET_LENGTH = 4;
/**
 * A base64 run this long (72 bits) from inside a blob is specific enough to redact; every
 * offset of a secret of 11 bytes or more yields one.
 */
const MIN_EMBEDDED_BASE64 = 12;

function base64url(base64: string): string {
  return base64.replace(/\+/g, '-').replace(/\//g, '_');
}

/** The spellings of `secret` that are redacted, longest first. */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>([secret]);
  const percent = encodeURIComponent(secret);
  forms.add(percent);
  forms.add(percent.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
  // A URL inside a URL (a redirect_uri, a callback) is percent-encoded twice.
  forms.add(encodeURIComponent(percent));
  forms.add(new URLSearchParams({ s: secret }).toString().slice('s='.length));
  forms.add(JSON.stringify(secret).slice(1, -1));
  const bytes = Buffer.from(secret, 'utf8');
  const padded = bytes.toString('base64');
  const whole = padded.replace(/=+$/, '');
  forms.add(padded);
  forms.add(whole);
  forms.add(base64url(whole));
  // base64 put in a URL: `+`, `/` and `=` percent-encoded.
  forms.add(encodeURIComponent(padded));
  forms.add(encodeURIComponent(whole));
  // Inside a larger blob the secret starts at some offset mod 3: the 4-character groups made of
  // its bytes alone are the same whatever surrounds them.
  for (let offset = 0; offset < 3; offset++) {
    const shifted = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const start = offset === 0 ? 0 : 4;
    const end = Math.floor((offset + bytes.length) / 3) * 4;
    const core = shifted.slice(start, end);
    if (core.length >= MIN_EMBEDDED_BASE64) {
      forms.add(core);
      forms.add(base64url(core));
    }
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A function that replaces every form of every secret with `[redacted]` in a value: strings,
 * and the keys and values of arrays and plain objects, deeply (other objects are left as they
 * are). Values shorter than 4 characters are not redacted.
 */
export function createRedactor(secrets: Iterable<string>): <T>(value: T) => T {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length >= MIN_SECRET_LENGTH) for (const form of secretForms(secret)) forms.add(form);
  }
  if (forms.size === 0) return (value) => value;
  // Longest first: at one position the longer spelling wins over a shorter one inside it.
  const pattern = new RegExp(
    [...forms]
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp)
      .join('|'),
    'g',
  );
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string') return value.replace(pattern, REDACTED);
    if (Array.isArray(value)) return value.map(walk);
    if (isPlainObject(value)) {
      const copy: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) copy[walk(key) as string] = walk(item);
      return copy;
    }
    return value;
  };
  return <T>(value: T) => walk(value) as T;
}

/**
 * The values of a connection's credentials to redact: every field but those the method declares
 * as not secret (a username, a client id), tokens included, and each credential as the request
 * carries it (`Basic …` of `user:password`, `Bearer …`, `prefix+key`, the cookie pair, filled
 * custom templates), since an API that echoes a header back encoded encodes the whole header.
 */
export function credentialSecrets(
  method: AuthMethod,
  values: Readonly<Record<string, string>> | null,
): string[] {
  if (values === null) return [];
  const open = new Set(
    credentialFieldsOf(method)
      .filter((f) => !f.secret)
      .map((f) => f.name),
  );
  const secrets = Object.entries(values)
    .filter(([field]) => !open.has(field))
    .map(([, value]) => value);
  switch (method.type) {
    case 'none':
      break;
    case 'basic': {
      const password = values['password'];
      if (password === undefined || password === '') break;
      const pair = `${values['username'] ?? ''}:${password}`;
      secrets.push(pair, `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`);
      break;
    }
    case 'bearer':
    case 'oauth2': {
      const token = values[method.type === 'bearer' ? 'token' : 'access_token'];
      if (token !== undefined) secrets.push(`Bearer ${token}`);
      break;
    }
    case 'api_key': {
      const key = values['apiKey'];
      if (key === undefined) break;
      const applied = `${method.prefix ?? ''}${key}`;
      secrets.push(applied);
      if (method.in === 'cookie') secrets.push(`${method.name}=${encodeURIComponent(applied)}`);
      break;
    }
    case 'custom':
      for (const template of [
        ...Object.values(method.headers ?? {}),
        ...Object.values(method.query ?? {}),
        ...Object.values(method.body ?? {}),
      ]) {
        const fields = [...template.matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)];
        if (!fields.some(([, name]) => name !== undefined && !open.has(name))) continue;
        try {
          secrets.push(fillTemplate(template, values));
        } catch {
          // A template naming a field the connection lacks fails at the call, not here.
        }
      }
      break;
  }
  return secrets;
}

const byValues = new WeakMap<object, <T>(value: T) => T>();

/**
 * The redactor of one connection's credential values, built once per values object: the engine
 * (spans) and the service (results) of one call share it.
 */
export function credentialRedactor(
  method: AuthMethod,
  values: Readonly<Record<string, string>> | null,
): <T>(value: T) => T {
  if (values === null) return (value) => value;
  let redactor = byValues.get(values);
  if (redactor === undefined) {
    redactor = createRedactor(credentialSecrets(method, values));
    byValues.set(values, redactor);
  }
  return redactor;
}
