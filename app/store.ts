import type { Logger } from 'pino';
import type { Config } from '../server/config.ts';
import { loadKeyring, type LoadedKeyring } from '../server/crypto/master-key.ts';
import type { Database } from '../server/db/database.ts';
import { migrate } from '../server/db/migrate.ts';
import { openDatabase } from '../server/db/open.ts';

/** The database (migrated) and the master key: what every command needs, opened once. */
export interface Store {
  config: Config;
  db: Database;
  dbLocation: string;
  keyring: LoadedKeyring;
  close(): Promise<void>;
}

/** Opens the database, applies migrations and loads the master key: what every command needs. */
export async function openStore({
  config,
  logger,
}: {
  config: Config;
  logger: Logger;
}): Promise<Store> {
  const keyring = await loadKeyring(config);
  if (keyring.source === 'file-created')
    logger.info({ file: keyring.file }, 'created a new master key file (mode 0600); back it up');
  const { db, location } = await openDatabase(config);
  try {
    const result = await migrate(db, {
      onApply: (m) => logger.info({ version: m.version, name: m.name }, 'applied migration'),
    });
    logger.debug({ version: result.current }, 'database schema is current');
  } catch (error) {
    await db.close();
    throw error;
  }
  return { config, db, dbLocation: location, keyring, close: () => db.close() };
}
