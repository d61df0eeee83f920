/**
 * `npm run bench -- engine`: action calls per second through the engine (input validation,
 * request building, auth, budget, retries wrapper, response parsing, span) against a local
 * server, next to a bare undici request to the same server in the same run.
 *
 * Calls are sequential on one connection, so per-call latency is the engine's own cost plus
 * one loopback round trip; the difference from the bare request is the engine's overhead.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { loadConfig } from '../server/config.ts';
import type { Action, AuthMethod } from '../server/domain/connector.ts';
import { executeAction, type CallAuth, type EngineDeps } from '../server/engine/engine.ts';
import { RateBudgets } from '../server/engine/rate-budget.ts';
import { createHttpClient } from '../server/net/http-client.ts';
import { createGuardedDispatcher, guardSettings } from '../server/net/ssrf.ts';
import { formatTable } from './table.ts';

export interface EngineRow {
  target: string;
  callsPerSec: number;
  p50Us: number;
  p99Us: number;
  overheadP50Us: number | null;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function measure(
  fn: () => Promise<void>,
  { warmup, calls }: { warmup: number; calls: number },
) {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) * 1000);
  }
  const elapsed = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  return {
    callsPerSec: calls / elapsed,
    p50Us: percentile(times, 50),
    p99Us: percentile(times, 99),
  };
}

const ACTION: Action = {
  id: '00000000-0000-4000-8000-000000000001',
  connectorId: '00000000-0000-4000-8000-000000000002',
  slug: 'getCustomer',
  name: 'Get a customer',
  method: 'GET',
  path: '/customers/{id}',
  parameters: [
    { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
    {
      name: 'expand',
      in: 'query',
      required: false,
      schema: { type: 'array', items: { type: 'string' } },
    },
  ],
  bodyType: 'json',
  inputSchema: {
    type: 'object',
    properties: {
      id: { type: 'string', minLength: 1 },
      expand: { type: 'array', items: { type: 'string' } },
    },
    required: ['id'],
    additionalProperties: false,
  },
  tags: [],
  deprecated: false,
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
};

function staticAuth(method: AuthMethod, values: Record<string, string>): CallAuth {
  return {
    method,
    context: 'bench connection',
    values: () => Promise.resolve(values),
    refresh: () => Promise.resolve(false),
  };
}

export async function runEngineBench({
  calls,
  log,
}: {
  calls: number;
  log: (s: string) => void;
}): Promise<EngineRow[]> {
  const body = JSON.stringify({
    id: 'cus_123',
    object: 'customer',
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    metadata: { plan: 'pro' },
  });
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = new URL(`http://127.0.0.1:${port}/v1/`);
  const config = loadConfig({ NODE_ENV: 'test', WEFT_SSRF_TEST_ALLOWLIST: `127.0.0.1:${port}` });
  const dispatcher = createGuardedDispatcher(guardSettings(config));
  const plain = new Agent();
  const deps: EngineDeps = {
    send: createHttpClient({ dispatcher }),
    budgets: new RateBudgets(),
    timeoutMs: 30_000,
    maxResponseBytes: 10 * 1024 * 1024,
    onSpan: () => undefined,
  };
  const rows: EngineRow[] = [];
  try {
    log('bare undici request');
    const bare = await measure(
      async () => {
        const res = await request(`${base.href}customers/cus_123?expand=a`, {
          dispatcher: plain,
          headers: { accept: 'application/json' },
        });
        await res.body.json();
      },
      { warmup: 3000, calls },
    );
    rows.push({ target: 'bare undici', ...bare, overheadP50Us: null });
    const variants: [string, CallAuth | null][] = [
      ['engine, no auth', null],
      [
        'engine, API key',
        staticAuth(
          { key: 'k', type: 'api_key', in: 'header', name: 'X-Api-Key' },
          { apiKey: 'sk_test_123' },
        ),
      ],
      [
        'engine, OAuth 2.0',
        staticAuth(
          {
            key: 'o',
            type: 'oauth2',
            grant: 'authorization_code',
            tokenUrl: 'https://example.com/token',
            scopes: [],
            scopeSeparator: ' ',
            pkce: true,
            tokenAuth: 'basic',
            refreshAheadSeconds: 60,
          },
          { access_token: 'at_123', refresh_token: 'rt_456' },
        ),
      ],
    ];
    for (const [target, auth] of variants) {
      log(target);
      const result = await measure(
        async () => {
          await executeAction({
            deps,
            action: ACTION,
            base,
            input: { id: 'cus_123', expand: ['a'] },
            auth,
            budgetKey: 'bench',
            budget: null,
          });
        },
        { warmup: 3000, calls },
      );
      rows.push({ target, ...result, overheadP50Us: result.p50Us - bare.p50Us });
    }
  } finally {
    await plain.close();
    await dispatcher.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return rows;
}

export function engineTable(rows: EngineRow[]): string {
  const head = ['target', 'calls/s', 'x bare', 'p50 µs', 'p99 µs', 'overhead p50 µs'];
  const bare = rows[0]?.callsPerSec ?? 1;
  const cells = rows.map((r) => [
    r.target,
    r.callsPerSec.toFixed(0),
    (r.callsPerSec / bare).toFixed(2),
    r.p50Us.toFixed(0),
    r.p99Us.toFixed(0),
    r.overheadP50Us === null ? '-' : r.overheadP50Us.toFixed(0),
  ]);
  return formatTable({ head, rows: cells });
}
