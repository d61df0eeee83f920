import type { Logger } from 'pino';
import { buildApp } from './http.ts';
import type { Config } from '../server/config.ts';
import type { CreatedOrganization } from '../server/modules/orgs/orgs.service.ts';
import { operatorTenant } from '../server/domain/tenant.ts';
import { bootstrapIfEmpty } from '../server/modules/orgs/orgs.service.ts';
import { passwordLink } from '../server/modules/people/people.service.ts';
import { openStore } from './store.ts';
import { startWorkers, type Workers } from './workers.ts';
import { createServices, type Services } from './services.ts';

export interface StartedServer {
  url: string;
  close(): Promise<void>;
}

function banner({
  url,
  created,
  dbLocation,
  link,
}: {
  url: string;
  created: CreatedOrganization;
  dbLocation: string;
  link: string;
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
    '  Sign in to the web app: open this one-time link and choose a password (7 days;',
    '  `weft people link owner@localhost` prints a new one):',
    `    ${link}`,
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
  const store = await openStore({ config, logger });
  let services: Services | undefined;
  let running: Workers | null = null;
  try {
    const created = await bootstrapIfEmpty({ db: store.db, actorLabel: 'first start' });
    // One set of services (connection runtime, workflow engine, event router), shared by the
    // API and the workers.
    services = await createServices({
      config,
      logger,
      db: store.db,
      keyring: store.keyring.keyring,
    });
    const app = await buildApp(services);
    await app.listen({ port: config.port, host: config.host });
    const url = services.publicBaseUrl();
    if (created) {
      // The owner signs in to the web app with a password they choose through this link.
      const { link } = await passwordLink({
        db: store.db,
        tenant: operatorTenant({
          orgId: created.organization.id,
          userId: created.owner.id,
          label: 'first start',
        }),
        email: created.owner.email,
        baseUrl: url,
      });
      out(banner({ url, created, dbLocation: store.dbLocation, link }));
    } else
      out(
        `Weft is listening on ${url} (data: ${store.dbLocation}). API docs: ${url}/api/v1/docs\n`,
      );
    if (workers) running = await startWorkers(services);
    const shared = services;
    return {
      url,
      async close() {
        await running?.close();
        await app.close();
        await shared.close();
        await store.close();
      },
    };
  } catch (error) {
    await services?.close();
    await store.close();
    throw error;
  }
}

export type { Config };
