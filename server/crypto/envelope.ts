import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Envelope encryption for secrets at rest: each value gets a fresh data key (DEK) that encrypts
 * the payload; the DEK is wrapped by a master key (KEK) named by a key id. Rotation re-wraps the
 * DEK only. The caller's additional authenticated data (tenant, row, field) binds both layers,
 * so a ciphertext copied to another row or field fails to open.
 *
 * Format: `wenc1.<kid>.<wrapped DEK: iv|ct|tag>.<payload: iv|ct|tag>`, base64url parts.
 */

const VERSION = 'wenc1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export interface Keyring {
  readonly activeKid: string;
  readonly keys: ReadonlyMap<string, Buffer>;
}

export class DecryptError extends Error {
  constructor(reason: string) {
    super(`cannot decrypt secret: ${reason}`);
    this.name = 'DecryptError';
  }
}

/** Accepts 32 bytes as 64 hex characters or base64/base64url (43–44 characters). */
export function parseMasterKey(text: string): Buffer {
  const trimmed = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64url');
  if (bytes.length !== KEY_BYTES || !/^[A-Za-z0-9+/_=-]+$/.test(trimmed)) {
    throw new Error('a master key must be 32 bytes, written as 64 hex characters or base64');
  }
  return bytes;
}

export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12);
}

export function generateMasterKey(): string {
  return randomBytes(KEY_BYTES).toString('base64url');
}

export function createKeyring({
  active,
  previous = [],
}: {
  active: Buffer;
  previous?: readonly Buffer[];
}): Keyring {
  const keys = new Map<string, Buffer>();
  for (const key of [active, ...previous]) keys.set(keyIdOf(key), key);
  return { activeKid: keyIdOf(active), keys };
}

function encrypt(key: Buffer, plaintext: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

function decrypt(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new DecryptError('truncated');
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const body = sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new DecryptError('authentication failed (wrong key or context)');
  }
}

interface Parsed {
  kid: string;
  wrapped: Buffer;
  payload: Buffer;
}

function parse(sealed: string): Parsed {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== VERSION) throw new DecryptError('not a sealed value');
  const [, kid, wrapped, payload] = parts as [string, string, string, string];
  return {
    kid,
    wrapped: Buffer.from(wrapped, 'base64url'),
    payload: Buffer.from(payload, 'base64url'),
  };
}

function format({ kid, wrapped, payload }: Parsed): string {
  return [VERSION, kid, wrapped.toString('base64url'), payload.toString('base64url')].join('.');
}

function kek(keyring: Keyring, kid: string): Buffer {
  const key = keyring.keys.get(kid);
  if (!key) throw new DecryptError(`unknown master key id ${kid}`);
  return key;
}

export function seal({
  keyring,
  plaintext,
  aad,
}: {
  keyring: Keyring;
  plaintext: string;
  aad: string;
}): string {
  const aadBytes = Buffer.from(aad, 'utf8');
  const dek = randomBytes(KEY_BYTES);
  const payload = encrypt(dek, Buffer.from(plaintext, 'utf8'), aadBytes);
  const wrapped = encrypt(kek(keyring, keyring.activeKid), dek, aadBytes);
  dek.fill(0);
  return format({ kid: keyring.activeKid, wrapped, payload });
}

export function open({
  keyring,
  sealed,
  aad,
}: {
  keyring: Keyring;
  sealed: string;
  aad: string;
}): string {
  const aadBytes = Buffer.from(aad, 'utf8');
  const parsed = parse(sealed);
  const dek = decrypt(kek(keyring, parsed.kid), parsed.wrapped, aadBytes);
  try {
    return decrypt(dek, parsed.payload, aadBytes).toString('utf8');
  } finally {
    dek.fill(0);
  }
}

/** Re-wraps the data key under the active master key; the payload is untouched. */
export function rewrap({
  keyring,
  sealed,
  aad,
}: {
  keyring: Keyring;
  sealed: string;
  aad: string;
}): string {
  const parsed = parse(sealed);
  if (parsed.kid === keyring.activeKid) return sealed;
  const aadBytes = Buffer.from(aad, 'utf8');
  const dek = decrypt(kek(keyring, parsed.kid), parsed.wrapped, aadBytes);
  const wrapped = encrypt(kek(keyring, keyring.activeKid), dek, aadBytes);
  dek.fill(0);
  return format({ kid: keyring.activeKid, wrapped, payload: parsed.payload });
}

export function sealedKeyId(sealed: string): string {
  return parse(sealed).kid;
}
