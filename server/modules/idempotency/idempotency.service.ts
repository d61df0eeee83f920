import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database, TenantScope } from '../../db/database.ts';
import * as idempotencyRepo from '../../db/repositories/idempotency.repo.ts';
import { AppError } from '../../errors.ts';
import { repeat } from '../../repeat.ts';

/**
 * A claim not renewed for this long belongs to a caller that is gone (its process died) and is
 * taken over by the next repeat. The claimant renews it every third of that while it runs, so a
 * long call is never taken over while it is alive.
 */
export const CLAIM_LEASE_MS = 30_000;
// Repeats wait for the first call's answer, polling from a few milliseconds up to this.
const POLL_MAX_MS = 200;

function requestHash(operation: string, input: unknown): string {
  return createHash('sha256')
    .update(`${operation}\n${JSON.stringify(input)}`)
    .digest('hex');
}

type ClaimState =
  | { kind: 'claimed' }
  | { kind: 'answered'; response: Record<string, unknown> }
  | { kind: 'running' }
  | { kind: 'released' };

/**
 * Runs `run` once per idempotency key. The key is claimed first (one transaction: insert the
 * claim, or read who holds it); the claimant runs and stores the answer; concurrent repeats
 * wait for that answer and return it. A failed run deletes its claim, so a retry runs again.
 * The same key with another operation or other input is a conflict.
 */
export async function runOnce({
  db,
  scope,
  key,
  operation,
  input,
  run,
  leaseMs = CLAIM_LEASE_MS,
}: {
  db: Database;
  scope: TenantScope;
  key: string;
  operation: string;
  input: unknown;
  run: () => Promise<Record<string, unknown>>;
  leaseMs?: number;
}): Promise<{ response: Record<string, unknown>; repeated: boolean }> {
  const hash = requestHash(operation, input);
  const token = randomUUID();
  for (let wait = 5; ; wait = Math.min(wait * 2, POLL_MAX_MS)) {
    const state = await db.tenant(scope, async (sql): Promise<ClaimState> => {
      const claim = { orgId: scope.orgId, key, operation, requestHash: hash, token };
      if (await idempotencyRepo.insertClaim(sql, claim)) return { kind: 'claimed' };
      const found = await idempotencyRepo.find(sql, { key, leaseMs });
      if (!found) return { kind: 'released' };
      if (found.operation !== operation || found.requestHash !== hash) {
        throw new AppError(
          'conflict',
          `idempotency key ${key} was used for a different call; use a new key`,
        );
      }
      if (found.status === 'done' && found.response)
        return { kind: 'answered', response: found.response };
      if (
        found.lapsed &&
        (await idempotencyRepo.takeOver(sql, { key, from: found.claimToken, to: token }))
      )
        return { kind: 'claimed' };
      return { kind: 'running' };
    });
    if (state.kind === 'claimed') break;
    if (state.kind === 'answered') return { response: state.response, repeated: true };
    // Released between our insert and our read (the first call failed): claim it at once.
    if (state.kind === 'running') await sleep(wait);
  }

  const renewal = repeat({
    intervalMs: leaseMs / 3,
    task: () => db.tenant(scope, (sql) => idempotencyRepo.renew(sql, { key, token })),
    // A missed renewal is retried at the next interval; the lease allows for two.
    onError: () => undefined,
  });
  let response: Record<string, unknown>;
  try {
    response = await run();
  } catch (error) {
    await renewal.close();
    // If the release fails too, the claim lapses with its lease and the next repeat runs.
    await db
      .tenant(scope, (sql) => idempotencyRepo.release(sql, { key, token }))
      .catch(() => undefined);
    throw error;
  }
  await renewal.close();
  // False only if this call outlived its lease unrenewed (a stalled process) and a repeat took
  // over: the repeat's answer is stored instead; this call's own answer is still the truth.
  await db.tenant(scope, (sql) => idempotencyRepo.complete(sql, { key, token, response }));
  return { response, repeated: false };
}
