import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, type SeededOrg, type TestApp } from '../../test/app.ts';

type CallResult = {
  isError?: boolean;
  structuredContent?: Record<string, unknown>;
  content: { type: string; text?: string }[];
};

describe('mapping tools on a list action', () => {
  let t: TestApp;
  let org: SeededOrg;
  let client: Client;
  const call = async (name: string, args: Record<string, unknown>): Promise<CallResult> => {
    const result = (await client.callTool({ name, arguments: args })) as CallResult;
    expect(result.isError, result.content[0]?.text).toBeFalsy();
    return result;
  };

  beforeAll(async () => {
    t = await createTestApp('pglite');
    const url = await t.app.listen({ port: 0, host: '127.0.0.1' });
    org = await seedOrg(t, 'Mappers');
    client = new Client({ name: 'mapping-agent', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${url}/mcp/admin`), {
        requestInit: { headers: { 'x-fastn-api-key': org.liveKey } },
      }),
    );
    await call('import_connector_definition', {
      document: {
        weftConnector: 1,
        connector: { slug: 'crm', name: 'CRM', baseUrl: 'https://api.example.com' },
        actions: [
          {
            slug: 'listContacts',
            name: 'List contacts',
            method: 'GET',
            path: '/contacts',
            cdmEntity: 'Contact',
            outputSchema: {
              type: 'object',
              properties: {
                results: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      id: { type: 'string' },
                      email: { type: 'string', format: 'email' },
                      first_name: { type: 'string' },
                    },
                  },
                },
                next: { type: 'string', nullable: true },
                total: { type: 'integer' },
              },
            },
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await client.close();
    await t.close();
  });

  it('suggest_mapping proposes paths of one record and says where records sit', async () => {
    const suggested = await call('suggest_mapping', { connector: 'crm', action: 'listContacts' });
    expect(suggested.structuredContent).toMatchObject({
      entity: 'Contact',
      recordPath: 'results[]',
      note: expect.stringMatching(/source paths are relative to one record/),
      fields: expect.arrayContaining([
        expect.objectContaining({ cdmField: 'email', sourcePath: 'email' }),
        expect.objectContaining({ cdmField: 'firstName', sourcePath: 'first_name' }),
      ]),
    });
    expect(suggested.content[0]?.text).toMatch(/for one record at results\[\]/);
  });

  it('preview_mapping warns, naming the mapping, when a saved mapping maps nothing', async () => {
    await call('save_mapping', {
      connector: 'crm',
      entity: 'Contact',
      direction: 'to_canonical',
      fields: { email: 'results[].email', firstName: 'results[].first_name' },
    });
    const previewed = await call('preview_mapping', {
      connector: 'crm',
      entity: 'Contact',
      direction: 'to_canonical',
      record: { id: 'c1', email: 'ada@example.com', first_name: 'Ada' },
    });
    const warnings = previewed.structuredContent?.['warnings'] as string[];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^the to_canonical mapping crm × Contact maps nothing/);
    expect(previewed.content[0]?.text).toMatch(/warning: the to_canonical mapping crm × Contact/);

    const fine = await call('preview_mapping', {
      entity: 'Contact',
      direction: 'to_canonical',
      fields: { email: 'email' },
      record: { id: 'c1', email: 'ada@example.com' },
    });
    expect(fine.structuredContent?.['warnings']).toEqual([]);
  });
});
