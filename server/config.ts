import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseEgressEntry, parseTestAllowlistEntry } from './net/egress.ts';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const commaList = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

const LlmPricesSchema = z.record(
  z.string().min(1),
  z.object({ input: z.number().min(0), output: z.number().min(0) }).strict(),
);

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce
    .number({ error: 'PORT must be a number' })
    .int()
    .min(0, 'PORT must be between 0 and 65535')
    .max(65535, 'PORT must be between 0 and 65535')
    .default(8787),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must start with postgres:// or postgresql://')
      .optional(),
  ),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
  WEFT_DATA_DIR: z.string().min(1).default('.weft'),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { error: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
  WEFT_MASTER_KEY: optionalString,
  WEFT_PREVIOUS_MASTER_KEYS: optionalString,
  WEFT_PUBLIC_URL: optionalString.pipe(
    z.url({ error: 'WEFT_PUBLIC_URL must be a URL' }).optional(),
  ),
  WEFT_URL: optionalString.pipe(
    z
      .url({ error: 'WEFT_URL must be the URL of a running Weft, e.g. http://localhost:8787' })
      .optional(),
  ),
  WEFT_API_KEY: optionalString,
  WEFT_MCP_TOOLSETS: optionalString,
  WEFT_MCP_RESULTS: z.enum(['summary', 'json']).default('summary'),
  WEFT_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
  WEFT_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  WEFT_SANDBOX_PROCESSES: z.coerce
    .number({ error: 'WEFT_SANDBOX_PROCESSES must be a number' })
    .int()
    .min(1)
    .max(64)
    .default(Math.max(2, Math.min(4, os.availableParallelism()))),
  WEFT_WORKER_CONCURRENCY: z.coerce
    .number({ error: 'WEFT_WORKER_CONCURRENCY must be a number' })
    .int()
    .min(1)
    .max(256)
    .default(8),
  WEFT_QUEUE_POLL_SECONDS: z.coerce
    .number({ error: 'WEFT_QUEUE_POLL_SECONDS must be a number' })
    .min(0.5)
    .max(60)
    .default(2),
  WEFT_QUEUE_MAINTENANCE_SECONDS: z.coerce
    .number({ error: 'WEFT_QUEUE_MAINTENANCE_SECONDS must be a number' })
    .int()
    .min(1)
    .max(600)
    .default(10),
  WEFT_SSRF_TEST_ALLOWLIST: optionalString.transform(commaList).refine(
    (entries) =>
      entries.every((entry) => {
        try {
          parseTestAllowlistEntry(entry);
          return true;
        } catch {
          return false;
        }
      }),
    {
      error:
        'WEFT_SSRF_TEST_ALLOWLIST must be comma-separated ip:port pairs such as 127.0.0.1:8080 or [::1]:8080',
    },
  ),
  WEFT_LLM: z
    .enum(['offline', 'openai', 'anthropic'], {
      error: 'WEFT_LLM must be one of offline, openai, anthropic',
    })
    .default('offline'),
  WEFT_LLM_MODEL: optionalString,
  WEFT_LLM_BASE_URL: optionalString.pipe(
    z.url({ error: 'WEFT_LLM_BASE_URL must be a URL, e.g. http://localhost:11434/v1' }).optional(),
  ),
  OPENAI_API_KEY: optionalString,
  ANTHROPIC_API_KEY: optionalString,
  WEFT_LLM_PRICES: optionalString.transform((value, ctx) => {
    if (value === undefined) return undefined;
    const parsed = LlmPricesSchema.safeParse(safeJson(value));
    if (!parsed.success) {
      ctx.addIssue({
        code: 'custom',
        message:
          'WEFT_LLM_PRICES must be JSON: {"model-name": {"input": USD per 1M tokens, "output": USD per 1M tokens}}',
      });
      return z.NEVER;
    }
    return parsed.data;
  }),
  WEFT_LLM_TIMEOUT_SECONDS: z.coerce
    .number({ error: 'WEFT_LLM_TIMEOUT_SECONDS must be a number' })
    .min(1)
    .max(3600)
    .default(120),
  WEFT_ASSISTANT_MAX_TOKENS: z.coerce
    .number({ error: 'WEFT_ASSISTANT_MAX_TOKENS must be a whole number of tokens' })
    .int()
    .min(1000)
    .max(100_000_000)
    .default(500_000),
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalString.pipe(
    z
      .url({
        protocol: /^https?$/,
        error: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL, e.g. http://localhost:4318',
      })
      .optional(),
  ),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalString.pipe(
    z
      .url({
        protocol: /^https?$/,
        error:
          'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http(s) URL, e.g. http://localhost:4318/v1/traces',
      })
      .optional(),
  ),
  WEFT_EGRESS_ALLOW: optionalString.transform(commaList).superRefine((entries, ctx) => {
    for (const entry of entries) {
      try {
        parseEgressEntry(entry);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }
  }),
});

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string | undefined;
  readonly databasePoolSize: number;
  readonly dataDir: string;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly masterKey: string | undefined;
  readonly previousMasterKeys: readonly string[];
  readonly publicUrl: string | undefined;
  readonly rateLimitPerMinute: number;
  /** `weft mcp`: a running Weft to talk to (else an embedded one). */
  readonly weftUrl: string | undefined;
  readonly weftApiKey: string | undefined;
  /**
   * `weft mcp`: the toolsets a session starts with (`connectors,workflows`, `all`); checked
   * against the toolset names when the server starts.
   */
  readonly mcpToolsets: string | undefined;
  /** `weft mcp`: `json` adds each result's JSON to its text, for clients that only read text. */
  readonly mcpResults: 'summary' | 'json';
  readonly bodyLimitBytes: number;
  /** Loopback `ip:port` pairs outbound requests may reach in tests (fake third-party servers). */
  readonly ssrfTestAllowlist: readonly string[];
  /**
   * Non-public destinations outbound requests may reach in any mode: CIDR ranges, addresses and
   * `host:port` entries (cloud metadata addresses only when listed exactly). See server/net/ssrf.ts.
   */
  readonly egressAllow: readonly string[];
  /** Child processes that run workflow code (each runs one isolate at a time). */
  readonly sandboxProcesses: number;
  /** Async executions one worker process runs at once. */
  readonly workerConcurrency: number;
  /** Seconds between queue polls of an idle worker (sends also wake workers at once). */
  readonly queuePollSeconds: number;
  /** Seconds between queue maintenance passes: how soon a dead worker's job is retried. */
  readonly queueMaintenanceSeconds: number;
  /**
   * The agents' model (agents/llm takes this object). API keys are here only to reach the SDK
   * clients; nothing logs or returns them.
   */
  readonly llm: {
    readonly provider: 'offline' | 'openai' | 'anthropic';
    readonly model: string | undefined;
    /** An OpenAI-compatible server (Ollama, vLLM, LM Studio, llama.cpp) or another endpoint. */
    readonly baseUrl: string | undefined;
    readonly openaiApiKey: string | undefined;
    readonly anthropicApiKey: string | undefined;
    /** USD per million tokens by model name, over the built-in table. */
    readonly prices: Readonly<Record<string, { input: number; output: number }>> | undefined;
    readonly timeoutMs: number;
    /** Model tokens (in + out) one Setup Assistant session may spend in all. */
    readonly assistantMaxTokens: number;
  };
  /**
   * OpenTelemetry trace export (OTLP/HTTP): the traces URL from OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
   * or OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`; unset = no export.
   */
  readonly telemetry: {
    readonly tracesUrl: string | undefined;
    readonly environment: 'development' | 'production' | 'test';
  };
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Reads and validates the environment once at boot; nothing else reads process.env. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const key = issue.path.join('.');
        const received = key in env ? ` (got ${JSON.stringify(env[key])})` : '';
        return `${key}: ${issue.message}${received}`;
      }),
    );
  }
  const c = parsed.data;
  if (c.WEFT_SSRF_TEST_ALLOWLIST.length > 0 && c.NODE_ENV !== 'test') {
    throw new ConfigError([
      `WEFT_SSRF_TEST_ALLOWLIST: refusing to start: WEFT_SSRF_TEST_ALLOWLIST is for tests only (NODE_ENV is ${c.NODE_ENV})`,
    ]);
  }
  return {
    env: c.NODE_ENV,
    port: c.PORT,
    host: c.HOST,
    databaseUrl: c.DATABASE_URL,
    databasePoolSize: c.DATABASE_POOL_SIZE,
    dataDir: path.resolve(c.WEFT_DATA_DIR),
    logLevel: c.LOG_LEVEL,
    masterKey: c.WEFT_MASTER_KEY,
    previousMasterKeys: (c.WEFT_PREVIOUS_MASTER_KEYS ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k !== ''),
    publicUrl: c.WEFT_PUBLIC_URL,
    rateLimitPerMinute: c.WEFT_RATE_LIMIT_PER_MINUTE,
    weftUrl: c.WEFT_URL,
    weftApiKey: c.WEFT_API_KEY,
    mcpToolsets: c.WEFT_MCP_TOOLSETS,
    mcpResults: c.WEFT_MCP_RESULTS,
    bodyLimitBytes: c.WEFT_BODY_LIMIT_BYTES,
    ssrfTestAllowlist: c.WEFT_SSRF_TEST_ALLOWLIST,
    egressAllow: c.WEFT_EGRESS_ALLOW,
    sandboxProcesses: c.WEFT_SANDBOX_PROCESSES,
    workerConcurrency: c.WEFT_WORKER_CONCURRENCY,
    queuePollSeconds: c.WEFT_QUEUE_POLL_SECONDS,
    queueMaintenanceSeconds: c.WEFT_QUEUE_MAINTENANCE_SECONDS,
    llm: {
      provider: c.WEFT_LLM,
      model: c.WEFT_LLM_MODEL,
      baseUrl: c.WEFT_LLM_BASE_URL,
      openaiApiKey: c.OPENAI_API_KEY,
      anthropicApiKey: c.ANTHROPIC_API_KEY,
      prices: c.WEFT_LLM_PRICES,
      timeoutMs: c.WEFT_LLM_TIMEOUT_SECONDS * 1000,
      assistantMaxTokens: c.WEFT_ASSISTANT_MAX_TOKENS,
    },
    telemetry: {
      tracesUrl:
        c.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
        (c.OTEL_EXPORTER_OTLP_ENDPOINT === undefined
          ? undefined
          : `${c.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`),
      environment: c.NODE_ENV,
    },
  };
}
