// A task case for the Workflow Agent: Weft listening on loopback with the shop and CRM fakes
// (the Workflow Agent tests' harness), both apps imported and connected for a test customer, the
// agent given the request (words or a structured request), and then the published workflow made
// to run as its trigger would — an order placed at the shop (delivered to the registered
// webhook), or the workflow run on demand for a schedule — with what each phase added to the
// fakes scored against the case's expectation (evals/scorers/task.ts).
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Provider } from '../agents/llm/index.ts';
import { createMemoryJournal } from '../agents/runs/memory-journal.ts';
import { runWorkflowAgent } from '../agents/workflow/index.ts';
import { connectApps, startJourney } from '../agents/workflow/test-harness.ts';
import type { ShopCrm, ShopOrder } from '../test/fixtures/shop-crm.ts';
import type { TaskCase } from './cases.ts';
import { callTool } from './runners/types.ts';
import { scoreTask, type TaskObservation, type TaskScore } from './scorers/task.ts';

/** One phase of the act: orders placed at the shop, then the workflow run on demand n times. */
export interface TaskPhase {
  readonly name: string;
  readonly placeOrders?: readonly Omit<ShopOrder, 'id'>[] | undefined;
  readonly runWorkflow?: number | undefined;
}

export interface TaskOutcome {
  readonly score: TaskScore;
  readonly observed: TaskObservation;
  readonly summary: string;
  readonly toolCalls: number;
}

const COLLECTIONS: Record<string, (apps: ShopCrm) => readonly unknown[]> = {
  'crm.deals': (apps) => apps.deals(),
  'crm.contacts': (apps) => apps.contacts(),
  'shop.orders': (apps) => apps.orders(),
};

const SETTLE_MS = 15_000;

async function settle(apps: ShopCrm, before: Record<string, number>): Promise<void> {
  // Webhook deliveries run the workflow after answering: wait until the fakes stop changing.
  const deadline = Date.now() + SETTLE_MS;
  let last = JSON.stringify(before);
  let quiet = 0;
  while (Date.now() < deadline && quiet < 5) {
    await new Promise((r) => setTimeout(r, 100));
    const now = JSON.stringify(counts(apps));
    quiet = now === last && now !== JSON.stringify(before) ? quiet + 1 : 0;
    last = now;
  }
}

function counts(apps: ShopCrm): Record<string, number> {
  return Object.fromEntries(Object.entries(COLLECTIONS).map(([k, f]) => [k, f(apps).length]));
}

async function runAndWait(
  client: Client,
  slug: string,
  customerId: string,
): Promise<string | null> {
  const started = await callTool(client, 'run_workflow', {
    workflow: slug,
    environment: 'production',
    customerId,
  });
  let status = String(started['status']);
  const deadline = Date.now() + SETTLE_MS;
  while ((status === 'queued' || status === 'running') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const execution = await callTool(client, 'get_execution', {
      executionId: started['executionId'],
    });
    status = String(execution['status']);
  }
  return status === 'completed' ? null : `run of ${slug} ended ${status}`;
}

export async function runTaskCase({
  c,
  provider,
  phases,
}: {
  c: TaskCase;
  provider: Provider;
  phases: readonly TaskPhase[];
}): Promise<TaskOutcome> {
  const h = await startJourney({}, 'pglite', { workers: true });
  let calls = 0;
  try {
    const client = await h.connect('weft-eval');
    const counted = new Proxy(client, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (key === 'callTool') calls += 1;
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(target)
          : value;
      },
    });
    const connections = await connectApps(counted, h.apps);
    const request = typeof c.request === 'string' ? { text: c.request } : c.request;
    const report = await runWorkflowAgent({
      client: counted,
      provider,
      journal: createMemoryJournal(),
      input: {
        request,
        connections: { shop: connections.shop, crm: connections.crm },
        customerId: connections.customerId,
      },
    });
    const added: Record<string, Record<string, unknown[]>> = {};
    const problems: string[] = [];
    const slug = report.workflow?.slug ?? report.plan?.slug;
    if (report.status === 'published' && slug !== undefined)
      for (const phase of phases) {
        const before = counts(h.apps);
        for (const order of phase.placeOrders ?? []) await h.apps.placeOrder(order);
        for (let i = 0; i < (phase.runWorkflow ?? 0); i++) {
          const why = await runAndWait(counted, slug, connections.customerId);
          if (why !== null) problems.push(why);
        }
        if ((phase.placeOrders ?? []).length > 0) await settle(h.apps, before);
        added[phase.name] = Object.fromEntries(
          Object.entries(COLLECTIONS).map(([k, f]) => [k, f(h.apps).slice(before[k] ?? 0)]),
        );
      }
    const observed: TaskObservation = {
      status: report.status,
      shape: report.plan?.shape ?? null,
      added,
    };
    const score = scoreTask({ expected: c.expect, observed });
    return {
      score: {
        ...score,
        passed: score.passed && problems.length === 0,
        problems: [...problems, ...score.problems],
      },
      observed,
      summary: report.summary,
      toolCalls: calls,
    };
  } finally {
    await h.close();
  }
}
