import type { Database } from '../db/database.ts';
import * as executionsRepo from '../db/repositories/executions.repo.ts';
import type { NewExecution } from '../db/repositories/executions.repo.ts';

type Waiter = { resolve: () => void; reject: (error: unknown) => void };

export interface ExecutionWriter {
  /** Resolves once the execution is committed to the log. */
  write(execution: NewExecution): Promise<void>;
  close(): Promise<void>;
}

/**
 * Group commit for the execution log: executions finished while a write is in flight go into
 * the next write, as one multi-row INSERT per org. A quiet server writes each row at once; a
 * busy one writes hundreds per round trip. Callers still wait for their row to be durable.
 */
export function createExecutionWriter({
  db,
  maxBatch = 500,
  maxInFlight = 2,
}: {
  db: Database;
  maxBatch?: number;
  maxInFlight?: number;
}): ExecutionWriter {
  let pending: { execution: NewExecution; waiter: Waiter }[] = [];
  let inFlight = 0;
  const idle: (() => void)[] = [];

  const writeBatch = async (batch: { execution: NewExecution; waiter: Waiter }[]) => {
    const byOrg = new Map<string, typeof batch>();
    for (const item of batch) {
      const list = byOrg.get(item.execution.orgId) ?? [];
      list.push(item);
      byOrg.set(item.execution.orgId, list);
    }
    await Promise.all(
      [...byOrg].map(async ([orgId, items]) => {
        try {
          await db.tenant({ orgId }, (sql) =>
            executionsRepo.insertMany(
              sql,
              items.map((i) => i.execution),
            ),
          );
          for (const item of items) item.waiter.resolve();
        } catch (error) {
          for (const item of items) item.waiter.reject(error);
        }
      }),
    );
  };

  const pump = (): void => {
    while (inFlight < maxInFlight && pending.length > 0) {
      const batch = pending.slice(0, maxBatch);
      pending = pending.slice(batch.length);
      inFlight++;
      void writeBatch(batch).finally(() => {
        inFlight--;
        if (inFlight === 0 && pending.length === 0) for (const done of idle.splice(0)) done();
        pump();
      });
    }
  };

  return {
    write(execution) {
      return new Promise<void>((resolve, reject) => {
        pending.push({ execution, waiter: { resolve, reject } });
        pump();
      });
    },
    close() {
      if (inFlight === 0 && pending.length === 0) return Promise.resolve();
      return new Promise<void>((resolve) => idle.push(resolve));
    },
  };
}
