// Passwords and one-time tokens. Passwords are hashed with scrypt (node:crypto), stored as
// `scrypt$N$r$p$salt$hash`; tokens (invitation links, session cookies) are `<orgId>.<32 random
// bytes>` and only their sha256 is stored, so a database dump opens no session and no invitation.
import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { isUuid } from '../../db/database.ts';

const N = 16_384;
const R = 8;
const P = 1;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || salt === undefined || key === undefined) {
    return false;
  }
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), {
    N: Number(n),
    r: Number(r),
    p: Number(p),
  });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash to compare against when there is no person, so a miss takes as long as a hit. */
export const DECOY_HASH = `scrypt$${N}$${R}$${P}$${Buffer.alloc(16).toString('base64url')}$${Buffer.alloc(KEY_LENGTH).toString('base64url')}`;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newToken(orgId: string): string {
  return `${orgId}.${randomBytes(32).toString('base64url')}`;
}

/** The org a token belongs to, or null for a malformed token. */
export function orgOfToken(token: string): string | null {
  const [orgId, secret, ...rest] = token.split('.');
  if (rest.length > 0 || !orgId || !isUuid(orgId) || !secret || !/^[A-Za-z0-9_-]{43}$/.test(secret))
    return null;
  return orgId;
}

/** What a sign-in looks a person up by: the same value the database computes on insert. */
export function emailKey(email: string): string {
  return createHash('sha256').update(`sign-in:${email.trim().toLowerCase()}`).digest('hex');
}

/**
 * The CSRF token of a session: derived from its token, so it needs no storage, and only a page
 * that can read it (our own, from the sign-in answer) can send it back as x-weft-csrf.
 */
export function csrfTokenOf(sessionToken: string): string {
  return createHash('sha256').update(`csrf:${sessionToken}`).digest('base64url');
}

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
