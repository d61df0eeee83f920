import type { Logger } from 'pino';
import type { Database } from './db/database.ts';

export interface Workers {
  close(): Promise<void>;
}

/**
 * The background side of the product (queues, scheduler). This version defines no job kinds
 * yet: workflow execution and triggers register theirs here as they land.
 */
export async function startWorkers({
  db,
  logger,
}: {
  db: Database;
  logger: Logger;
}): Promise<Workers> {
  await db.owner((sql) => sql.query('SELECT 1'));
  logger.info({ queues: [] }, 'workers started');
  return {
    close() {
      logger.info('workers stopped');
      return Promise.resolve();
    },
  };
}
