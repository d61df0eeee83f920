import type { Database, Listener, TxSql } from '../../db/database.ts';
import type { Mode, Permission } from '../../domain/tenant.ts';

export const AUTH_CHANNEL = 'weft_auth';

export interface CachedKey {
  readonly keyId: string;
  readonly orgId: string;
  readonly userId: string;
  readonly kind: Mode;
  /** The person's role's permissions, narrowed by the key's own list. */
  readonly permissions: readonly Permission[];
  lastUsedAt: number | null;
  readonly expiresAt: number;
}

/** What changed, so that every process drops what it cached about it. */
export type AuthChange = { keyId: string } | { userId: string } | { orgId: string };

/** Call inside the transaction that revokes a key or changes a membership. */
export async function announceAuthChange(sql: TxSql, change: AuthChange): Promise<void> {
  await sql.notify(AUTH_CHANNEL, JSON.stringify(change));
}

export interface AuthCache {
  get(keyHash: string): CachedKey | undefined;
  set(keyHash: string, entry: Omit<CachedKey, 'expiresAt'>): void;
  readonly size: number;
  close(): Promise<void>;
}

/**
 * Authenticated keys, kept for a short time so a request costs no lookup. Revocations and role
 * changes reach every process through LISTEN/NOTIFY as soon as they commit; while the LISTEN
 * connection is down nothing is served from the cache, and the TTL bounds what a lost
 * notification could cost.
 */
export async function createAuthCache({
  db,
  ttlMs = 30_000,
  maxEntries = 10_000,
  now = Date.now,
}: {
  db: Database;
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}): Promise<AuthCache> {
  const entries = new Map<string, CachedKey>();
  const evict = (change: AuthChange) => {
    for (const [hash, entry] of entries) {
      if (
        ('keyId' in change && entry.keyId === change.keyId) ||
        ('userId' in change && entry.userId === change.userId) ||
        ('orgId' in change && entry.orgId === change.orgId)
      ) {
        entries.delete(hash);
      }
    }
  };
  const listener: Listener = await db.listen(AUTH_CHANNEL, {
    onMessage(payload) {
      try {
        evict(JSON.parse(payload) as AuthChange);
      } catch {
        entries.clear();
      }
    },
    onReset: () => entries.clear(),
  });

  return {
    get(keyHash) {
      if (!listener.connected()) return undefined;
      const entry = entries.get(keyHash);
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= now()) {
        entries.delete(keyHash);
        return undefined;
      }
      return entry;
    },
    set(keyHash, entry) {
      if (!listener.connected()) return;
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      entries.set(keyHash, { ...entry, expiresAt: now() + ttlMs });
    },
    get size() {
      return entries.size;
    },
    close: () => listener.close(),
  };
}
