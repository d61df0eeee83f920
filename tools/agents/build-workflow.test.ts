// build_workflow over MCP, as an IDE agent calls it: the run is queued, the workers build the
// workflow, and with allowLive and the connections' customer a LIVE case runs through the real
// CRM as that customer; without allowLive only MOCK cases run and the CRM is untouched.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectApps,
  startJourney,
  type JourneyHarness,
} from '../../agents/workflow/test-harness.ts';

interface CaseResult {
  id: string;
  mode: string;
  passed: boolean;
}
interface Run {
  status: string;
  report: { status: string; rounds?: { results: CaseResult[] }[] } | null;
}

describe('build_workflow over MCP', () => {
  let h: JourneyHarness;
  let client: Client;
  let connections: { shop: string; crm: string; customerId: string };

  beforeAll(async () => {
    h = await startJourney({}, 'pglite', { workers: true });
    client = await h.connect('ide-agent');
    connections = await connectApps(client, h.apps);
  }, 120_000);
  afterAll(async () => {
    await h.close();
  });

  async function build(args: Record<string, unknown>): Promise<Run> {
    const started = (await client.callTool({
      name: 'build_workflow',
      arguments: {
        request: 'When a new order comes in from the shop, create a deal in the CRM',
        connections: { shop: connections.shop, crm: connections.crm },
        ...args,
      },
    })) as { isError?: boolean; structuredContent?: { runId: string }; content: unknown[] };
    expect(started.isError, JSON.stringify(started.content)).toBeFalsy();
    const runId = started.structuredContent?.runId ?? '';
    const deadline = Date.now() + 90_000;
    for (;;) {
      const got = (await client.callTool({ name: 'get_agent_run', arguments: { runId } })) as {
        structuredContent?: Run;
      };
      const run = got.structuredContent;
      if (run !== undefined && ['completed', 'failed', 'cancelled'].includes(run.status))
        return run;
      if (Date.now() > deadline) throw new Error(`run ${runId} still ${run?.status}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  const cases = (run: Run) =>
    (run.report?.rounds?.at(-1)?.results ?? []).map((c) => [c.id, c.mode, c.passed]);

  it('runs MOCK cases only unless allowLive names the customer; then one LIVE case too', async () => {
    const before = h.apps.deals().length;
    const mockOnly = await build({ customerId: connections.customerId });
    expect(mockOnly.status, JSON.stringify(mockOnly).slice(0, 1500)).toBe('completed');
    expect(cases(mockOnly).filter(([, mode]) => mode === 'LIVE')).toEqual([]);
    expect(h.apps.deals()).toHaveLength(before);

    const live = await build({ allowLive: true, customerId: connections.customerId });
    expect(live.status).toBe('completed');
    expect(cases(live)).toContainEqual(['live', 'LIVE', true]);
    expect(h.apps.deals().length).toBeGreaterThan(before);
  }, 200_000);

  it('refuses a customerId that is not a UUID, naming the field', async () => {
    const refused = (await client.callTool({
      name: 'build_workflow',
      arguments: { request: 'sync orders', allowLive: true, customerId: 'acme' },
    })) as { isError?: boolean; content: { text?: string }[] };
    expect(refused.isError).toBe(true);
    expect(refused.content.map((c) => c.text).join(' ')).toMatch(/customerId/);
  });
});
