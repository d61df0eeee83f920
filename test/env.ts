// The only place tests read the environment: which Postgres to use for the real-Postgres leg.
export const TEST_DATABASE_URL: string | undefined = process.env['TEST_DATABASE_URL'] || undefined;
