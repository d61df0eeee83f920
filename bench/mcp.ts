/**
 * `npm run bench -- mcp`: tool-call round trips of a read tool (`get_customer`) through the real
 * MCP client, over Streamable HTTP (a Weft listening on loopback, embedded Postgres in memory)
 * and over stdio (`weft mcp` relaying to that same server), sequentially, after a warm-up.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { buildApp } from '../app/http.ts';
import { createServices } from '../app/services.ts';
import { loadConfig } from '../server/config.ts';
import { createKeyring, generateMasterKey, parseMasterKey } from '../server/crypto/envelope.ts';
import { migrate } from '../server/db/migrate.ts';
import { createPgliteDatabase } from '../server/db/pglite-database.ts';
import { createLogger } from '../server/logger.ts';
import { createCustomer } from '../server/modules/customers/customers.service.ts';
import { createOrganization, operatorContext } from '../server/modules/orgs/orgs.service.ts';
import { formatTable } from './table.ts';

export interface McpRow {
  transport: string;
  callsPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'weft.ts');

async function measure(
  client: Client,
  customerId: string,
  calls: number,
): Promise<Omit<McpRow, 'transport'>> {
  const call = () => client.callTool({ name: 'get_customer', arguments: { customerId } });
  for (let i = 0; i < 300; i++) await call();
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    const result = await call();
    if (result.isError) throw new Error('get_customer failed during the benchmark');
    times.push(performance.now() - t0);
  }
  const elapsed = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  const at = (p: number) =>
    times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] ?? 0;
  return { callsPerSec: calls / elapsed, p50Ms: at(50), p99Ms: at(99) };
}

export async function runMcpBench({
  calls,
  log,
}: {
  calls: number;
  log: (s: string) => void;
}): Promise<McpRow[]> {
  const db = await createPgliteDatabase({});
  await migrate(db);
  const org = await createOrganization({
    db,
    name: 'Bench',
    ownerEmail: 'bench@example.com',
    actorLabel: 'bench',
  });
  const key = org.keys.find((k) => k.kind === 'live')?.key ?? '';
  const { tenant } = await operatorContext({ db, orgId: org.organization.id, actorLabel: 'bench' });
  const customer = await createCustomer({ db, tenant, input: { name: 'Bench customer' } });
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    WEFT_RATE_LIMIT_PER_MINUTE: '100000000',
  });
  const services = await createServices({
    config,
    logger: createLogger('silent'),
    db,
    keyring: createKeyring({ active: parseMasterKey(generateMasterKey()) }),
  });
  const app = await buildApp(services);
  app.addHook('onClose', () => services.close());
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const rows: McpRow[] = [];
  try {
    log('MCP over Streamable HTTP');
    const http = new Client({ name: 'bench', version: '1' });
    await http.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp/admin`), {
        requestInit: { headers: { 'x-fastn-api-key': key } },
      }),
    );
    rows.push({ transport: 'Streamable HTTP', ...(await measure(http, customer.id, calls)) });
    await http.close();

    log('MCP over stdio (weft mcp relaying to the server)');
    const stdio = new Client({ name: 'bench', version: '1' });
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'weft-bench-mcp-'));
    await stdio.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [BIN, 'mcp'],
        env: {
          PATH: process.env['PATH'] ?? '',
          WEFT_URL: url,
          WEFT_API_KEY: key,
          WEFT_DATA_DIR: dataDir,
          LOG_LEVEL: 'warn',
        },
      }),
    );
    rows.push({ transport: 'stdio (relay)', ...(await measure(stdio, customer.id, calls)) });
    await stdio.close();
  } finally {
    await app.close();
    await db.close();
  }
  return rows;
}

export function mcpTable(rows: McpRow[]): string {
  const head = ['transport', 'calls/s', 'p50 ms', 'p99 ms'];
  const cells = rows.map((r) => [
    r.transport,
    r.callsPerSec.toFixed(0),
    r.p50Ms.toFixed(2),
    r.p99Ms.toFixed(2),
  ]);
  return formatTable({ head, rows: cells });
}
