import type { Database } from '../../db/database.ts';
import * as tracesRepo from '../../db/repositories/traces.repo.ts';
import type { StoredSpan } from '../../db/repositories/traces.repo.ts';

export interface SpanWriter {
  record(orgId: string, span: StoredSpan): void;
  /** Writes what is pending now (tests, shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Trace spans are written in batches off the call path: a call never waits for its span. A
 * batch is written every `intervalMs` or when `maxBatch` spans are pending; a write that fails is
 * reported and dropped rather than retried forever.
 */
export function createSpanWriter({
  db,
  intervalMs = 200,
  maxBatch = 500,
  onError,
}: {
  db: Database;
  intervalMs?: number;
  maxBatch?: number;
  onError: (error: unknown) => void;
}): SpanWriter {
  let pending = new Map<string, StoredSpan[]>();
  let count = 0;
  let writing: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const flush = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    const batch = pending;
    pending = new Map();
    count = 0;
    writing = writing.then(async () => {
      for (const [orgId, spans] of batch) {
        for (let i = 0; i < spans.length; i += maxBatch) {
          const chunk = spans.slice(i, i + maxBatch);
          const customerIds = new Set(chunk.map((s) => s.customerId));
          await db
            .tenant({ orgId }, (sql) => tracesRepo.insertMany(sql, { orgId, spans: chunk }))
            .catch((error: unknown) =>
              onError({ error, orgId, spans: chunk.length, customers: customerIds.size }),
            );
        }
      }
    });
    return writing;
  };

  return {
    record(orgId, span) {
      const list = pending.get(orgId) ?? [];
      list.push(span);
      pending.set(orgId, list);
      count++;
      if (count >= maxBatch) void flush();
      else if (!timer) {
        timer = setTimeout(() => void flush(), intervalMs);
        timer.unref();
      }
    },
    flush,
    close: flush,
  };
}
