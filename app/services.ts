// The one place that builds what the product runs on: the connection runtime, the workflow
// engine, the event router, the trigger dependencies and the tool context. `weft start`, `weft
// worker`, `weft mcp` and the tests all take it from here, so a new dependency (or a new
// background loop's input) is wired once. The workflow engine and the event router open on first
// use: a process that never runs a workflow (most CLI commands, an API-only test) never starts
// sandbox processes or the queue.
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from '../server/config.ts';
import type { Keyring } from '../server/crypto/envelope.ts';
import type { Database } from '../server/db/database.ts';
import type { Tenant } from '../server/domain/tenant.ts';
import {
  createConnectionRuntime,
  type ConnectionRuntime,
} from '../server/modules/connections/runtime.ts';
import type { TriggerDeps } from '../server/modules/triggers/triggers.service.ts';
import {
  openWorkflowEngine,
  queueOptionsOf,
  type WorkflowEngine,
} from '../server/runtime/engines.ts';
import { createEventRouter, type EventRouter } from '../server/runtime/event-router.ts';
import { openAgentRunQueue, type AgentRunQueue } from '../server/runtime/agent-runs/executor.ts';
import type { WorkflowRunner } from '../server/runtime/runner.ts';
import { startTelemetry, type Telemetry } from '../server/telemetry/setup.ts';
import type { ToolServices } from '../tools/define-tool.ts';

export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database;
  readonly keyring: Keyring;
  /** HTTP, budgets, spans and token refreshes behind every connection. */
  readonly runtime: ConnectionRuntime;
  /** What trigger services need: webhook URLs and secrets. */
  readonly triggers: TriggerDeps;
  /** Sandbox pool, queue and runner, opened on first use. */
  readonly engine: () => Promise<WorkflowEngine>;
  /** The workflow runner: every run starts here (and is permission-checked here). */
  readonly workflows: () => Promise<WorkflowRunner>;
  /** Routes accepted trigger events to workflows, opened on first use. */
  readonly events: () => Promise<EventRouter>;
  /** Queues agent runs for the workers (on the engine's queue), opened on first use. */
  readonly agentRuns: () => Promise<AgentRunQueue>;
  /** The URL the outside world reaches this installation at, without a trailing slash. */
  readonly publicBaseUrl: () => string;
  /** Told by the HTTP server once it listens, for the public URL when none is configured. */
  readonly listeningAt: (address: AddressInfo | string | undefined) => void;
  /** Trace export over OTLP, when an endpoint is configured (else null). */
  readonly telemetry: Telemetry | null;
  /** What an MCP server hands each tool call, for one caller. */
  readonly toolServices: (tenant: Tenant) => ToolServices;
  /** Closes what was opened, in order: the router, then the engine, then the connection runtime. */
  readonly close: () => Promise<void>;
}

/**
 * The public base URL: WEFT_PUBLIC_URL when set, else the address the server listens on (with
 * loopback spelled `localhost`, as a browser on the same machine would), else the default port.
 */
export function publicBaseUrlOf(
  config: Pick<Config, 'publicUrl' | 'port'>,
  address: AddressInfo | string | undefined,
): string {
  if (config.publicUrl) return config.publicUrl.replace(/\/$/, '');
  if (address === undefined || typeof address === 'string') {
    return `http://localhost:${config.port}`;
  }
  const loopback = address.address === '127.0.0.1' || address.address === '::1';
  const host = loopback
    ? 'localhost'
    : address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address;
  return `http://${host}:${address.port}`;
}

export async function createServices({
  config,
  logger,
  db,
  keyring,
  runtime: givenRuntime,
  engine: givenEngine,
  queueOptions = queueOptionsOf(config),
}: {
  config: Config;
  logger: Logger;
  db: Database;
  keyring: Keyring;
  /** A connection runtime built elsewhere (benchmarks replace its HTTP client); not closed here. */
  runtime?: ConnectionRuntime;
  /** A workflow engine opened elsewhere; not closed here. */
  engine?: WorkflowEngine;
  /** Polling and maintenance intervals of the queue (tests make them short). */
  queueOptions?: { pollingIntervalSeconds?: number; maintenanceIntervalSeconds?: number };
}): Promise<Services> {
  const telemetry = await startTelemetry({
    config: config.telemetry,
    onError: (error) => logger.warn({ err: error }, 'could not export trace spans'),
  });
  const runtime =
    givenRuntime ??
    (await createConnectionRuntime({
      config,
      db,
      keyring,
      onError: (message, error) => logger.error({ err: error }, message),
    }));
  let engine: Promise<WorkflowEngine> | undefined = givenEngine && Promise.resolve(givenEngine);
  let router: Promise<EventRouter> | undefined;
  let address: AddressInfo | string | undefined;
  const openEngine = () =>
    (engine ??= openWorkflowEngine({
      db,
      keyring,
      runtime,
      logger,
      sandboxProcesses: config.sandboxProcesses,
      queueOptions,
    }));
  const workflows = async () => (await openEngine()).runner;
  const events = () => (router ??= createEventRouter({ db, runner: workflows, logger }));
  let agentRunQueue: Promise<AgentRunQueue> | undefined;
  const agentRuns = () =>
    (agentRunQueue ??= openEngine().then((opened) => openAgentRunQueue(opened.queue)));
  const publicBaseUrl = () => publicBaseUrlOf(config, address);
  const triggers: TriggerDeps = {
    db,
    keyring,
    runtime,
    hookUrl: (id) => `${publicBaseUrl()}/hooks/${id}`,
  };
  return {
    config,
    logger,
    db,
    keyring,
    runtime,
    triggers,
    engine: openEngine,
    workflows,
    events,
    agentRuns,
    publicBaseUrl,
    listeningAt: (given) => {
      address = given;
    },
    telemetry,
    toolServices: (tenant) => ({
      tenant,
      db,
      runtime,
      config,
      workflows,
      hookUrl: triggers.hookUrl,
      events,
      agentRuns,
    }),
    close: async () => {
      // A part that failed to open has nothing to close.
      const opened = <T>(part: Promise<T> | undefined) => part?.catch(() => undefined);
      await (await opened(router))?.close();
      // Closed before the connection runtime: a run in flight still needs it.
      if (!givenEngine) await (await opened(engine))?.close();
      if (!givenRuntime) await runtime.close();
      // Last: the spans of everything closed above go out before the exporter stops.
      await telemetry?.shutdown();
    },
  };
}
