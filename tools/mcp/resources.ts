import {
  exportConnector,
  listConnectors,
} from '../../server/modules/connectors/connectors.service.ts';
import type { ResourceProvider } from './server.ts';
import { CDM_ENTITIES } from '../../server/cdm/entities.ts';
import { getEntitySchema } from '../../server/modules/cdm/cdm.service.ts';
import { DOC_RESOURCES } from './docs.ts';

const CONNECTOR_URI = /^weft:\/\/connectors\/([a-z][a-z0-9_-]{0,62})$/;
const ENTITY_URI = /^weft:\/\/cdm\/([A-Za-z]{1,40})$/;

/** Resources of the admin server: each connector's definition document. */
export const adminResources: ResourceProvider = {
  templates: [
    {
      uriTemplate: 'weft://cdm/{entity}',
      name: 'Canonical entity schema',
      description:
        "The JSON Schema of a canonical entity (Contact, Product, Order, Invoice, InventoryLevel, Fulfillment), with the org's custom fields",
      mimeType: 'application/schema+json',
    },
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
    return [
      ...DOC_RESOURCES.map(({ uri, name, mimeType }) => ({ uri, name, mimeType })),
      ...connectors.map((c) => ({
        uri: `weft://connectors/${c.slug}`,
        name: `${c.name} connector`,
        mimeType: 'application/json',
      })),
      ...CDM_ENTITIES.map((e) => ({
        uri: `weft://cdm/${e}`,
        name: `${e} (canonical entity)`,
        mimeType: 'application/schema+json',
      })),
    ];
  },
  async read(ctx, uri) {
    const doc = DOC_RESOURCES.find((d) => d.uri === uri);
    if (doc) return { uri, mimeType: doc.mimeType, text: doc.text };
    const entity = ENTITY_URI.exec(uri);
    if (entity?.[1]) {
      const schema = await getEntitySchema({ db: ctx.db, tenant: ctx.tenant, entity: entity[1] });
      return { uri, mimeType: 'application/schema+json', text: JSON.stringify(schema, null, 2) };
    }
    const match = CONNECTOR_URI.exec(uri);
    if (!match?.[1]) return null;
    const document = await exportConnector({ db: ctx.db, tenant: ctx.tenant, ref: match[1] });
    return { uri, mimeType: 'application/json', text: JSON.stringify(document, null, 2) };
  },
};
