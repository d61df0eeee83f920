// A run acts for the key that started it, for as long as that key is valid: the executor asks
// before every attempt, so a run resumed after a revocation (a waiting run approved later, a run
// taken over from a dead worker) does not act for a key that no longer exists.
import type { Database } from '../../db/database.ts';
import type { ClaimedAgentRun } from '../../db/repositories/agent-runs.repo.ts';
import * as apiKeysRepo from '../../db/repositories/api-keys.repo.ts';

/**
 * Why a claimed run may no longer act for the key that started it (the key was revoked or
 * deleted since), or null. Checked before every attempt: a resumed run does not outlive its key.
 */
export async function revokedActorOf({
  db,
  run,
}: {
  db: Database;
  run: ClaimedAgentRun;
}): Promise<string | null> {
  if (run.actor.type !== 'api_key' || run.actor.id === null) return null;
  const keyId = run.actor.id;
  const key = await db.tenant({ orgId: run.orgId }, (sql) =>
    apiKeysRepo.findById(sql, { id: keyId }),
  );
  if (key === null || key.revokedAt !== null) {
    return 'the API key that started this run was revoked; start the run again with a valid key';
  }
  return null;
}
