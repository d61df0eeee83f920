import type { Config } from '../../config.ts';
import type { Keyring } from '../../crypto/envelope.ts';
import type { Database } from '../../db/database.ts';
import type { EngineDeps } from '../../engine/engine.ts';
import { RateBudgets } from '../../engine/rate-budget.ts';
import type { Send } from '../../engine/types.ts';
import { createHttpClient } from '../../net/http-client.ts';
import { createFetchText } from '../../net/fetch-text.ts';
import { createGuardedDispatcher, guardSettings } from '../../net/ssrf.ts';
import { createSpanWriter, type SpanWriter } from '../traces/span-writer.ts';

export const RATE_CHANNEL = 'weft_rate';

/** Per-process machinery behind every connection: HTTP, budgets, spans, token refreshes. */
export interface ConnectionRuntime {
  readonly db: Database;
  readonly keyring: Keyring;
  readonly engine: EngineDeps;
  readonly budgets: RateBudgets;
  readonly spans: SpanWriter;
  readonly publicUrl: string | undefined;
  /** Fetches a user-given URL (a spec, a remote `$ref`) through the SSRF guard. */
  readonly fetchText: (url: string) => Promise<string>;
  /** Refreshes in flight in this process, by connection id: concurrent callers share one. */
  readonly refreshing: Map<string, Promise<Record<string, string>>>;
  close(): Promise<void>;
}

export async function createConnectionRuntime({
  config,
  db,
  keyring,
  send,
  onError,
}: {
  config: Config;
  db: Database;
  keyring: Keyring;
  /** Replaces the guarded HTTP client (benchmarks); production always uses the guard. */
  send?: Send;
  onError: (message: string, error: unknown) => void;
}): Promise<ConnectionRuntime> {
  const budgets = new RateBudgets();
  const dispatcher = send ? null : createGuardedDispatcher(guardSettings(config));
  const documents = createGuardedDispatcher(guardSettings(config));
  const spans = createSpanWriter({
    db,
    onError: (error) => onError('could not write trace spans', error),
  });
  // A "slow down" from an API pauses the budget in every process, not only the one that saw it.
  const listener = await db.listen(RATE_CHANNEL, {
    onMessage(payload) {
      try {
        const { key, until } = JSON.parse(payload) as { key: string; until: number };
        budgets.pause(key, until);
      } catch {
        // Not ours; ignore.
      }
    },
    onReset: () => undefined,
  });
  const engine: EngineDeps = {
    send: send ?? createHttpClient({ dispatcher: dispatcher as NonNullable<typeof dispatcher> }),
    budgets,
    timeoutMs: 30_000,
    maxResponseBytes: 10 * 1024 * 1024,
    onThrottled: (key, until) => {
      const orgId = key.split('|')[0] ?? '';
      db.tenant({ orgId }, (sql) => sql.notify(RATE_CHANNEL, JSON.stringify({ key, until }))).catch(
        (error: unknown) => onError('could not share a rate-limit pause', error),
      );
    },
  };
  return {
    db,
    keyring,
    engine,
    budgets,
    spans,
    publicUrl: config.publicUrl,
    refreshing: new Map(),
    fetchText: createFetchText({ dispatcher: documents }),
    async close() {
      await documents.close();
      await spans.close();
      await listener.close();
      await dispatcher?.close();
    },
  };
}
