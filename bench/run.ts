/**
 * `npm run bench`: runs the HTTP benchmark, prints a table and writes
 * bench/results/http-customers.json. Settings: BENCH_DURATION (seconds per target, default 10),
 * BENCH_CONNECTIONS (default 50), BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { alertsTable, runAlertsBench } from './alerts.ts';
import { cdmTable, runCdmBench } from './cdm.ts';
import { connectorAgentTable, runConnectorAgentBench } from './connector-agent.ts';
import { engineTable, runEngineBench } from './engine.ts';
import { mcpTable, runMcpBench } from './mcp.ts';
import { runSandboxBench, sandboxTable } from './sandbox.ts';
import { queueTable, runQueueBench } from './queue.ts';
import { readBenchSettings } from './env.ts';
import { runRuntimeBench, runtimeTable, RUNTIME_CPUS } from './runtime.ts';
import { runWebhookBench, webhookTable } from './webhooks.ts';
import { runHttpCustomers, type HttpCustomersReport, type TargetResult } from './http-customers.ts';
import { formatTable } from './table.ts';

const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');

function row(r: TargetResult): string[] {
  if (r.load === undefined) return [r.target, r.status.toUpperCase(), '', '', '', '', ''];
  const l = r.load;
  return [
    r.target,
    l.requestsPerSec.toFixed(0),
    l.p50Ms.toFixed(1),
    l.p99Ms.toFixed(1),
    String(l.non2xx),
    r.ratioToBaseline == null
      ? r.target === 'baseline'
        ? '1.00'
        : 'n/a'
      : r.ratioToBaseline.toFixed(2),
    String(l.errors + l.timeouts),
  ];
}

function table(report: HttpCustomersReport): string {
  const head = ['target', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'x baseline', 'errors'];
  return formatTable({ head, rows: report.results.map(row) });
}

async function main(): Promise<number> {
  const which = process.argv[2] ?? 'all';
  const log = (text: string) => process.stderr.write(`[bench] ${text}\n`);
  if (which === 'alerts' || which === 'all') {
    const rows = await runAlertsBench({ settings: readBenchSettings(), log });
    process.stdout.write(
      `\nAlerts, quotas and usage on Postgres, node ${process.version}\n\n${alertsTable(rows)}\n\n`,
    );
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(path.join(RESULTS_DIR, 'alerts.json'), `${JSON.stringify(rows, null, 2)}\n`);
    if (which === 'alerts') return 0;
  }
  if (which === 'cdm' || which === 'all') {
    const rows = await runCdmBench({ log });
    process.stdout.write(
      `\nCDM mapping to canonical, one core, node ${process.version}\n\n${cdmTable(rows)}\n\n`,
    );
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(path.join(RESULTS_DIR, 'cdm.json'), `${JSON.stringify(rows, null, 2)}\n`);
    if (which === 'cdm') return 0;
  }
  if (which === 'connector-agent' || which === 'all') {
    const rows = await runConnectorAgentBench({ log });
    process.stdout.write(
      `\nConnector Agent, offline build, node ${process.version}\n\n${connectorAgentTable(rows)}\n\n`,
    );
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(
      path.join(RESULTS_DIR, 'connector-agent.json'),
      `${JSON.stringify(rows, null, 2)}\n`,
    );
    if (which === 'connector-agent') return 0;
  }
  if (which === 'mcp' || which === 'all') {
    const rows = await runMcpBench({ calls: 3000, log });
    process.stdout.write(
      `\nMCP tool calls (get_customer), sequential, node ${process.version}\n\n${mcpTable(rows)}\n\n`,
    );
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(path.join(RESULTS_DIR, 'mcp.json'), `${JSON.stringify(rows, null, 2)}\n`);
    if (which === 'mcp') return 0;
  }
  if (which === 'engine' || which === 'all') {
    const rows = await runEngineBench({ calls: 5000, log });
    process.stdout.write(
      `\nAction engine: sequential calls against a local server, node ${process.version}\n\n${engineTable(rows)}\n\n`,
    );
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(path.join(RESULTS_DIR, 'engine.json'), `${JSON.stringify(rows, null, 2)}\n`);
    if (which === 'engine') return 0;
  }
  if (which === 'sandbox' || which === 'all') {
    const rows = await runSandboxBench({ log });
    process.stdout.write(
      `\nWorkflow sandbox: sequential runs of a trivial workflow, node ${process.version}\n\n${sandboxTable(rows)}\n\n`,
    );
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(path.join(RESULTS_DIR, 'sandbox.json'), `${JSON.stringify(rows, null, 2)}\n`);
    if (which === 'sandbox') return 0;
  }
  if (which === 'queue' || which === 'all') {
    const { databaseUrl } = readBenchSettings();
    const rows = await runQueueBench({ databaseUrl, log });
    process.stdout.write(
      `\nJob queue (pg-boss 12): throughput and send-to-handler latency, node ${process.version}\n\n${queueTable(rows)}\n\n`,
    );
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(path.join(RESULTS_DIR, 'queue.json'), `${JSON.stringify(rows, null, 2)}\n`);
    if (which === 'queue') return 0;
  }
  if (which === 'runtime' || which === 'all') {
    const settings = readBenchSettings();
    const rows = await runRuntimeBench({ settings, log });
    process.stdout.write(
      `\nWorkflow runs over HTTP on Postgres, ${settings.connections} connections, ${settings.durationSeconds}s each, node ${process.version}, ${RUNTIME_CPUS} CPUs\n\n${runtimeTable(rows)}\n\n`,
    );
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(path.join(RESULTS_DIR, 'runtime.json'), `${JSON.stringify(rows, null, 2)}\n`);
    if (which === 'runtime') return 0;
  }
  if (which === 'webhooks' || which === 'all') {
    const settings = readBenchSettings();
    const rows = await runWebhookBench({ settings, seconds: settings.webhookSeconds, log });
    process.stdout.write(
      `\nWebhook triggers on Postgres, node ${process.version}, ${RUNTIME_CPUS} CPUs\n\n${webhookTable(rows)}\n\n`,
    );
    await mkdir(RESULTS_DIR, { recursive: true });
    await writeFile(path.join(RESULTS_DIR, 'webhooks.json'), `${JSON.stringify(rows, null, 2)}\n`);
    if (which === 'webhooks') return 0;
  }
  const settings = readBenchSettings();
  const report = await runHttpCustomers(settings, log);

  const out = [
    '',
    `GET ${report.path} (${report.customers} customers), ${report.connections} connections, ` +
      `${report.durationSeconds}s per target after ${report.warmupSeconds}s warm-up, pg pool ${report.poolSize}, ` +
      `node ${report.node}, ${report.cpus} CPUs, Postgres ${report.postgres ?? 'unreachable'}`,
    '',
    table(report),
    '',
  ];
  for (const r of report.results) {
    if (r.status !== 'ok')
      out.push(
        `${r.target} ${r.status === 'skipped' ? 'was SKIPPED' : 'FAILED'}: ${r.reason ?? ''}`,
      );
  }
  if (report.interrupted !== null) {
    out.push(`Interrupted by ${report.interrupted}: the results are incomplete.`);
  } else if (report.postgres === null) {
    out.push('The Postgres targets were not measured; only embedded PGlite ran.');
  }
  process.stdout.write(`${out.join('\n')}\n`);

  if (report.interrupted !== null) {
    process.stdout.write('\nnot writing results: the run was interrupted\n');
    return report.interrupted === 'SIGINT' ? 130 : 143;
  }
  await mkdir(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, 'http-customers.json');
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\nwrote ${path.relative(process.cwd(), file)}\n`);

  return report.results.some((r) => r.status === 'failed') ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
