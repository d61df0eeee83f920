import type { Logger } from 'pino';
import { buildApp } from './http.ts';
import type { Config } from '../server/config.ts';
import type { CreatedOrganization } from '../server/modules/orgs/orgs.service.ts';
import { bootstrapIfEmpty } from '../server/modules/orgs/orgs.service.ts';
import { openStore } from './store.ts';
import { startWorkers, type Workers } from './workers.ts';
import { openEngines, type Engines } from '../server/runtime/engines.ts';

export interface StartedServer {
  url: string;
  close(): Promise<void>;
}

function banner({
  url,
  created,
  dbLocation,
}: {
  url: string;
  created: CreatedOrganization;
  dbLocation: string;
}): string {
  const lines = [
    '',
    '  Weft is running for the first time. An organization and its owner were created.',
    '',
    `  URL            ${url}`,
    `  API docs       ${url}/api/v1/docs`,
    `  Organization   ${created.organization.name} (${created.organization.id})`,
    `  Owner          ${created.owner.email}`,
    `  Data           ${dbLocation}`,
    '',
    '  API keys (shown this once; store them now, they cannot be read again):',
    ...created.keys.map((k) => `    ${k.kind.padEnd(5)} ${k.key}`),
    '',
    `  Try: curl -H 'x-fastn-api-key: ${created.keys[0]?.key ?? ''}' ${url}/api/v1/customers`,
    '',
  ];
  return lines.join('\n');
}

/** `weft start`: the whole product in one process. Prints first-start keys to `out`. */
export async function startServer({
  config,
  logger,
  out,
  workers = true,
}: {
  config: Config;
  logger: Logger;
  out: (text: string) => void;
  workers?: boolean;
}): Promise<StartedServer> {
  const runtime = await openStore({ config, logger });
  let running: Workers | null = null;
  let engines: Engines | undefined;
  try {
    const created = await bootstrapIfEmpty({ db: runtime.db, actorLabel: 'first start' });
    const keyring = runtime.keyring.keyring;
    // One connection runtime and one workflow engine, shared by the API and the workers.
    engines = await openEngines({ config, db: runtime.db, keyring, logger });
    const app = await buildApp(
      { config, db: runtime.db, keyring, runtime: engines.runtime, workflows: engines.engine },
      { logger },
    );
    const address = await app.listen({ port: config.port, host: config.host });
    const url =
      config.publicUrl ?? address.replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
    if (created) out(banner({ url, created, dbLocation: runtime.dbLocation }));
    else
      out(
        `Weft is listening on ${url} (data: ${runtime.dbLocation}). API docs: ${url}/api/v1/docs\n`,
      );
    if (workers) {
      running = await startWorkers({ config, db: runtime.db, keyring, logger, engines });
    }
    const shared = engines;
    return {
      url,
      async close() {
        await running?.close();
        await app.close();
        await shared.close();
        await runtime.close();
      },
    };
  } catch (error) {
    await engines?.close();
    await runtime.close();
    throw error;
  }
}

export function closeOnSignals({
  close,
  logger,
}: {
  close: () => Promise<void>;
  logger: Logger;
}): void {
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
}

export type { Config };
