import pg from 'pg';
import { TEST_DATABASE_URL } from './env.ts';

export default async function setup(): Promise<void> {
  if (TEST_DATABASE_URL === undefined) {
    process.stdout.write(
      '\n  NOTE: TEST_DATABASE_URL is not set: tests ran on embedded PGlite only; the real-Postgres leg was NOT run.\n' +
        '        Set TEST_DATABASE_URL=postgres://user@host:5432/db to run it (a fresh database is created per test file).\n\n',
    );
    return;
  }
  // Fail loudly rather than skip when a Postgres was asked for and is not there.
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  try {
    await client.connect();
    const { rows } = await client.query<{ server_version: string }>('SHOW server_version');
    process.stdout.write(
      `\n  Real-Postgres leg: Postgres ${rows[0]?.server_version ?? '?'} via TEST_DATABASE_URL\n\n`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}
