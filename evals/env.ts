// Where the eval cases run: one in-memory PGlite database (migrated once) and, per case, an
// organization of its own with the services and an in-process MCP client connected to the admin
// server for that org's owner — the same client the Connector Agent acts through
// (app/agent-client.ts). Cases share nothing but the database, so they can run concurrently.
// Decision: evals/ may import the composition roots, as bench/ does, since it is a harness that
// builds a whole installation; nothing imports evals/ but the CLI and its tests.
import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectAgentClient } from '../app/agent-client.ts';
import { createServices } from '../app/services.ts';
import { loadConfig, type Config } from '../server/config.ts';
import { createKeyring, generateMasterKey, parseMasterKey } from '../server/crypto/envelope.ts';
import type { Database } from '../server/db/database.ts';
import { migrate } from '../server/db/migrate.ts';
import { createPgliteDatabase } from '../server/db/pglite-database.ts';
import { createLogger } from '../server/logger.ts';
import { createOrganization } from '../server/modules/orgs/orgs.service.ts';
import { operatorTenant } from '../server/domain/tenant.ts';

/** Model settings taken from the caller's environment; nothing else of it is read. */
const PASSED_THROUGH = [
  'WEFT_LLM',
  'WEFT_LLM_MODEL',
  'WEFT_LLM_BASE_URL',
  'WEFT_LLM_PRICES',
  'WEFT_LLM_TIMEOUT_SECONDS',
  'OPENAI_API_KEY',
  'ANTHROPIC_API_KEY',
] as const;

export interface CaseSession {
  /** The MCP client of the case's org, counting the tool calls made through it. */
  readonly client: Client;
  readonly toolCalls: () => number;
  readonly config: Config;
  close(): Promise<void>;
}

export interface EvalEnv {
  /** A fresh org and a client acting for its owner; `allowlist` opens loopback fixtures. */
  openCase(args: { id: string; allowlist?: readonly string[] }): Promise<CaseSession>;
  /** The LLM settings in force (from the environment), for the report header. */
  readonly llmConfig: Config['llm'];
  close(): Promise<void>;
}

function counting(client: Client): { client: Client; count: () => number } {
  let calls = 0;
  const proxy = new Proxy(client, {
    get(target, key, receiver) {
      if (key === 'callTool')
        return (...args: Parameters<Client['callTool']>) => {
          calls += 1;
          return target.callTool(...args);
        };
      const value: unknown = Reflect.get(target, key, receiver);
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value;
    },
  });
  return { client: proxy, count: () => calls };
}

/** The model settings of `env` (WEFT_LLM and friends), as the agents' model layer takes them. */
export function llmConfigOf(env: Readonly<Record<string, string | undefined>>): Config['llm'] {
  const passed = Object.fromEntries(
    PASSED_THROUGH.flatMap((k) => (env[k] === undefined ? [] : [[k, env[k]]])),
  ) as Record<string, string>;
  return loadConfig({ ...passed, NODE_ENV: 'test' }).llm;
}

export async function openEvalEnv({
  env = {},
  logLevel = 'error',
}: {
  env?: Readonly<Record<string, string | undefined>>;
  logLevel?: string;
} = {}): Promise<EvalEnv> {
  const passed = Object.fromEntries(
    PASSED_THROUGH.flatMap((k) => (env[k] === undefined ? [] : [[k, env[k]]])),
  ) as Record<string, string>;
  const configFor = (allowlist: readonly string[]): Config =>
    loadConfig({
      ...passed,
      NODE_ENV: 'test',
      LOG_LEVEL: logLevel,
      ...(allowlist.length > 0 && { WEFT_SSRF_TEST_ALLOWLIST: allowlist.join(',') }),
    });
  const db: Database = await createPgliteDatabase({});
  await migrate(db);
  const keyring = createKeyring({ active: parseMasterKey(generateMasterKey()) });
  const logger = createLogger(logLevel);
  return {
    llmConfig: configFor([]).llm,
    async openCase({ id, allowlist = [] }) {
      const config = configFor(allowlist);
      const services = await createServices({ config, logger, db, keyring });
      const org = await createOrganization({
        db,
        name: `eval ${id}`,
        ownerEmail: `eval-${randomUUID().slice(0, 8)}@evals.test`,
        actorLabel: 'weft eval',
      });
      const tenant = operatorTenant({
        orgId: org.organization.id,
        userId: org.owner.id,
        label: 'weft eval',
      });
      const connection = await connectAgentClient({ services, tenant, logger });
      const { client, count } = counting(connection.client);
      return {
        client,
        toolCalls: count,
        config,
        async close() {
          await connection.close();
          await services.close();
        },
      };
    },
    close: () => db.close(),
  };
}
