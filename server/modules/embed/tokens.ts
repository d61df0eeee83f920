/**
 * Embed tokens: what a SaaS backend hands its page so the connect widget opens for one customer
 * (and optionally one of their users). A token is `wet1.<kid>.<claims>.<mac>`: the claims are
 * ids and times only (nothing secret: it travels in URLs and page scripts), the MAC is
 * HMAC-SHA256 under a key derived from the master key named by `kid`, so rotating the master
 * key keeps tokens made under the previous one valid for their few minutes. The `jti` is stored:
 * a token whose row is revoked (or gone) is refused even before it expires.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Keyring } from '../../crypto/envelope.ts';
import { AppError } from '../../errors.ts';
import { ROLE_PERMISSIONS, type Permission } from '../../domain/tenant.ts';

const VERSION = 'wet1';

/**
 * What the widget may do for its customer: the End User role, restricted to one customer by
 * the tenant's customerId (so row-level security applies to every query it makes).
 */
export const EMBED_PERMISSIONS: readonly Permission[] = ROLE_PERMISSIONS.end_user;

export const ClaimsSchema = z
  .object({
    org: z.uuid(),
    cus: z.uuid(),
    wid: z.uuid(),
    usr: z.string().max(200).nullable(),
    jti: z.uuid(),
    iat: z.number().int(),
    exp: z.number().int(),
  })
  .strict();
export type Claims = z.infer<typeof ClaimsSchema>;

function signingKey(keyring: Keyring, kid: string): Buffer | null {
  const master = keyring.keys.get(kid);
  if (!master) return null;
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), 'weft:embed-token:v1', 32));
}

function mac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

export function signToken({ keyring, claims }: { keyring: Keyring; claims: Claims }): string {
  const key = signingKey(keyring, keyring.activeKid);
  if (!key) throw new Error('the active master key is missing from the keyring');
  const body = `${VERSION}.${keyring.activeKid}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  return `${body}.${mac(key, body).toString('base64url')}`;
}

function refused(message: string, reason: string): AppError {
  return new AppError('unauthorized', message, { reason });
}

/**
 * Checks the signature and the expiry (not the revocation list: that needs the database). The
 * messages are for the customer looking at the widget; `details.reason` is for the host page.
 */
export function verifyToken({
  keyring,
  token,
  now = Date.now(),
}: {
  keyring: Keyring;
  token: string;
  now?: number;
}): Claims {
  const parts = token.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION || token.length > 2000) {
    throw refused('this connect link is not valid; open it again from the app', 'malformed');
  }
  const [, kid, payload, signature] = parts as [string, string, string, string];
  const key = signingKey(keyring, kid);
  const given = Buffer.from(signature, 'base64url');
  const expected = key ? mac(key, `${VERSION}.${kid}.${payload}`) : null;
  if (!expected || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw refused('this connect link is not valid; open it again from the app', 'bad_signature');
  }
  let claims: Claims;
  try {
    claims = ClaimsSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
  } catch {
    throw refused('this connect link is not valid; open it again from the app', 'malformed');
  }
  if (claims.exp * 1000 <= now) {
    throw refused('this connect link has expired; open it again from the app', 'expired');
  }
  return claims;
}
