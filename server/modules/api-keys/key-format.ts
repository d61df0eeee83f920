import { createHash, randomBytes } from 'node:crypto';
import type { Mode } from '../../domain/tenant.ts';

const KEY_PATTERN = /^wk_(test|live)_[A-Za-z0-9_-]{43}$/;
const PREFIX_LENGTH = 12;

export interface GeneratedKey {
  key: string;
  prefix: string;
  keyHash: string;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** 256 random bits; the kind is part of the key so the mode travels with it. */
export function generateKey(kind: Mode): GeneratedKey {
  const key = `wk_${kind}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix: key.slice(0, PREFIX_LENGTH), keyHash: hashKey(key) };
}

export function parseKeyKind(key: string): Mode | null {
  const match = KEY_PATTERN.exec(key);
  return match ? (match[1] as Mode) : null;
}
