// The only place benchmarks read the environment. The servers under test get their settings
// through loadConfig, never from here.

export interface BenchSettings {
  /** Measured seconds per target (BENCH_DURATION). */
  readonly durationSeconds: number;
  /** Concurrent HTTP connections (BENCH_CONNECTIONS). */
  readonly connections: number;
  /** Server on which a throwaway database is created and dropped (BENCH_DATABASE_URL). */
  readonly databaseUrl: string;
  /** Seconds of the webhook acceptance run (BENCH_WEBHOOK_SECONDS). */
  readonly webhookSeconds: number;
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer (got ${JSON.stringify(raw)})`);
  }
  return value;
}

export function readBenchSettings(): BenchSettings {
  const databaseUrl =
    process.env['BENCH_DATABASE_URL']?.trim() || 'postgres://postgres@127.0.0.1:5432/test';
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error('BENCH_DATABASE_URL must start with postgres:// or postgresql://');
  }
  return {
    durationSeconds: positiveInt('BENCH_DURATION', 10),
    connections: positiveInt('BENCH_CONNECTIONS', 50),
    databaseUrl,
    webhookSeconds: positiveInt('BENCH_WEBHOOK_SECONDS', 60),
  };
}
