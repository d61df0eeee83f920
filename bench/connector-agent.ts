/**
 * `npm run bench -- connector-agent` (or `node bench/connector-agent.ts`): an offline Connector
 * Agent run — discover, import, events, test against the spec's mock, fix, map, report — over the
 * real admin MCP server (in-memory transport) on embedded PGlite, for petstore (every action) and
 * Stripe (the top 50 actions). Each build runs in a fresh child process, so that its peak RSS
 * (process.resourceUsage().maxRSS) belongs to one build; the database, services and client are
 * set up before the clock starts (a server has them already). Time is the best of N runs, RSS the
 * largest. Targets: petstore < 3 s, Stripe < 30 s.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatTable } from './table.ts';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SPECS = path.resolve(HERE, '../evals/data/specs');

export interface ConnectorAgentRow {
  spec: string;
  actions: number;
  tested: number;
  passed: number;
  ms: number;
  maxRssMb: number;
  targetMs: number;
}

const CASES = [
  { spec: 'petstore-v3.yaml', top: undefined, targetMs: 3000 },
  { spec: 'stripe.yaml', top: 50, targetMs: 30_000 },
] as const;

async function child(spec: string, top: number | undefined): Promise<void> {
  const [
    { createServices },
    { connectAgentClient },
    { loadConfig },
    envelope,
    { migrate },
    pglite,
    { createLogger },
    orgs,
    agent,
    llm,
    journal,
  ] = await Promise.all([
    import('../app/services.ts'),
    import('../app/agent-client.ts'),
    import('../server/config.ts'),
    import('../server/crypto/envelope.ts'),
    import('../server/db/migrate.ts'),
    import('../server/db/pglite-database.ts'),
    import('../server/logger.ts'),
    import('../server/modules/orgs/orgs.service.ts'),
    import('../agents/connector/index.ts'),
    import('../agents/llm/index.ts'),
    import('../agents/runs/memory-journal.ts'),
  ]);
  const db = await pglite.createPgliteDatabase({});
  await migrate(db);
  const org = await orgs.createOrganization({
    db,
    name: 'Bench',
    ownerEmail: 'bench@example.com',
    actorLabel: 'bench',
  });
  const { tenant } = await orgs.operatorContext({
    db,
    orgId: org.organization.id,
    actorLabel: 'bench',
  });
  const services = await createServices({
    config: loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent' }),
    logger: createLogger('silent'),
    db,
    keyring: envelope.createKeyring({
      active: envelope.parseMasterKey(envelope.generateMasterKey()),
    }),
  });
  const { client, close } = await connectAgentClient({ services, tenant });
  const specText = await readFile(path.join(SPECS, spec), 'utf8');
  const start = performance.now();
  const report = await agent.runConnectorAgent({
    client,
    provider: llm.createOfflineProvider(),
    journal: journal.createMemoryJournal(),
    input: {
      source: spec,
      specText,
      ...(top === undefined ? {} : { selection: { mode: 'top', n: top } }),
    },
  });
  const ms = performance.now() - start;
  const mock = report.tests.find((t) => t.target === 'mock');
  process.stdout.write(
    JSON.stringify({
      status: report.status,
      message: report.message,
      ms,
      actions: report.actions.length,
      tested: mock?.results.length ?? 0,
      passed: mock?.passed ?? 0,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
    }),
  );
  await close();
  await services.close();
  await db.close();
}

function once(
  spec: string,
  top: number | undefined,
): Promise<Omit<ConnectorAgentRow, 'spec' | 'targetMs'>> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', spec, String(top ?? '')],
      { maxBuffer: 16 * 1024 * 1024, timeout: 180_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`${spec}: ${stderr || error.message}`));
        const parsed = JSON.parse(stdout) as { status: string; message: string } & Omit<
          ConnectorAgentRow,
          'spec' | 'targetMs'
        >;
        if (parsed.status !== 'completed')
          return reject(new Error(`${spec}: ${parsed.status}: ${parsed.message}`));
        resolve(parsed);
      },
    );
  });
}

export async function runConnectorAgentBench({
  runs = 3,
  log,
}: {
  runs?: number;
  log: (s: string) => void;
}): Promise<ConnectorAgentRow[]> {
  const rows: ConnectorAgentRow[] = [];
  for (const c of CASES) {
    let best: ConnectorAgentRow | undefined;
    for (let i = 0; i < runs; i++) {
      log(`connector agent: ${c.spec} run ${i + 1}/${runs}`);
      const r = await once(c.spec, c.top);
      const row = {
        spec: `${c.spec}${c.top === undefined ? '' : ` (top ${c.top})`}`,
        targetMs: c.targetMs,
        ...r,
      };
      best =
        best === undefined
          ? row
          : { ...(row.ms < best.ms ? row : best), maxRssMb: Math.max(best.maxRssMb, row.maxRssMb) };
    }
    if (best !== undefined) rows.push(best);
  }
  return rows;
}

export function connectorAgentTable(rows: readonly ConnectorAgentRow[]): string {
  return formatTable({
    head: ['spec', 'actions', 'tested (mock)', 'passed', 'wall s', 'peak RSS MB', 'target s'],
    rows: rows.map((r) => [
      r.spec,
      String(r.actions),
      String(r.tested),
      String(r.passed),
      (r.ms / 1000).toFixed(2),
      r.maxRssMb.toFixed(0),
      (r.targetMs / 1000).toFixed(0),
    ]),
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--child') {
    const top = process.argv[4];
    await child(process.argv[3] ?? '', top === undefined || top === '' ? undefined : Number(top));
  } else {
    const rows = await runConnectorAgentBench({
      log: (s) => process.stderr.write(`[bench] ${s}\n`),
    });
    process.stdout.write(
      `\nConnector Agent, offline, node ${process.version}\n\n${connectorAgentTable(rows)}\n`,
    );
    await mkdir(path.join(HERE, 'results'), { recursive: true });
    await writeFile(
      path.join(HERE, 'results', 'connector-agent.json'),
      `${JSON.stringify(rows, null, 2)}\n`,
    );
  }
}
