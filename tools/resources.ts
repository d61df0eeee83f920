import {
  exportConnector,
  listConnectors,
} from '../server/modules/connectors/connectors.service.ts';
import type { ResourceProvider } from './server.ts';

const CONNECTOR_URI = /^weft:\/\/connectors\/([a-z][a-z0-9_-]{0,62})$/;

/** Resources of the admin server: each connector's definition document. */
export const adminResources: ResourceProvider = {
  templates: [
    {
      uriTemplate: 'weft://connectors/{slug}',
      name: 'Connector definition',
      description:
        'The whole definition of a connector (auth, actions, events) as a versioned JSON document',
      mimeType: 'application/json',
    },
  ],
  async list(ctx) {
    const connectors = await listConnectors({ db: ctx.db, tenant: ctx.tenant });
    return connectors.map((c) => ({
      uri: `weft://connectors/${c.slug}`,
      name: `${c.name} connector`,
      mimeType: 'application/json',
    }));
  },
  async read(ctx, uri) {
    const match = CONNECTOR_URI.exec(uri);
    if (!match?.[1]) return null;
    const document = await exportConnector({ db: ctx.db, tenant: ctx.tenant, ref: match[1] });
    return { uri, mimeType: 'application/json', text: JSON.stringify(document, null, 2) };
  },
};
