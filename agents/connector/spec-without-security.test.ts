// A spec linked from a vendor's docs that declares no security: the Connector Agent reads the
// auth from the docs page that linked it and a request without credentials (the API's 401
// challenge names the header), and the operations the docs show but the spec leaves out become
// actions too, over the real admin MCP server and the vendor site on loopback.
import { afterEach, describe, expect, it } from 'vitest';
import { createOfflineProvider } from '../llm/index.ts';
import { createMemoryJournal } from '../runs/memory-journal.ts';
import { startAgentHarness } from '../../test/agent-harness.ts';
import { startVendorSite } from '../../test/fixtures/vendor-site.ts';
import { runConnectorAgent } from './index.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('a spec without security', () => {
  it('gets its auth from the docs that linked it and a 401 probe', async () => {
    const site = await startVendorSite();
    closers.push(() => site.close());
    const h = await startAgentHarness({ allowlist: site.allowlist });
    closers.push(() => h.close());
    const report = await runConnectorAgent({
      client: h.client,
      provider: createOfflineProvider(),
      journal: createMemoryJournal(),
      input: { source: site.urls.docs, credentials: { apiKey: site.apiKey }, interactive: false },
    });
    expect(report.status, report.message).toBe('completed');
    expect(report.source.kind).toBe('spec');
    expect(report.connector?.auth).toEqual(['api_key (header X-Api-Key)']);
    // The probe went out without a key and met the challenge.
    expect(
      site.log.some((r) => r.url.startsWith('/v1/') && r.headers['x-api-key'] === undefined),
    ).toBe(true);
    // The docs page shows a POST the linked spec leaves out: it is an action too, once.
    const listed = await h.client.callTool({
      name: 'list_actions',
      arguments: { connector: report.connector?.slug ?? '' },
    });
    const routes = (listed.structuredContent as { data: { method: string; path: string }[] }).data
      .map((a) => `${a.method} ${a.path}`)
      .sort();
    expect(routes).toEqual(['GET /items', 'GET /me', 'POST /items']);
    // With that auth, the read actions pass against the live API.
    const live = report.tests.find((t) => t.target === 'connection');
    expect(live?.results.find((r) => r.path === '/items')?.outcome).toBe('pass');
  }, 120_000);
});
