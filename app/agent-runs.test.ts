// Durable agent runs end to end: the HTTP API, the queue, real workers, the in-process MCP
// client acting for the caller, and the durable journal, driven by a stub agent registered under
// a test kind (the Connector Agent is tested on its own). The stub calls real admin tools.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { registerAgent } from '../agents/registry.ts';
import { idempotencyKeyOf, type RunJournal } from '../agents/runs/journal.ts';
import { loadConfig } from '../server/config.ts';
import { createKeyring, generateMasterKey, parseMasterKey } from '../server/crypto/envelope.ts';
import type { App } from '../server/http/types.ts';
import { createLogger } from '../server/logger.ts';
import { createOrganization } from '../server/modules/orgs/orgs.service.ts';
import { startAgentRun } from '../server/modules/agent-runs/agent-runs.service.ts';
import type { Tenant } from '../server/domain/tenant.ts';
import { authenticateApiKey } from '../server/modules/auth/auth.service.ts';
import { sweepAgentRuns } from '../server/runtime/agent-runs/executor.ts';
import { createTestDatabase, TEST_DRIVERS, type TestDatabase } from '../test/db.ts';
import { buildApp } from './http.ts';
import { createServices, type Services } from './services.ts';
import { startWorkers, type Workers } from './workers.ts';

const KIND = 'test-stub';

type Detail = {
  id: string;
  status: string;
  attempts: number;
  error: string | null;
  report: Record<string, unknown> | null;
  pending: { stage: string; summary: string } | null;
  decisions: { stage: string; decision: string; note?: string }[];
  steps: { name: string; status: string; output: unknown }[];
  spans: { step: string; tool: string; arguments: Record<string, unknown>; ok: boolean }[];
  usage: { tokensIn: number; tokensOut: number; costUsd: number };
  createdBy: { type: string; id: string | null };
};

interface StubInput {
  name: string;
  /** A credential the run was given: the stub reports only whether it arrived whole. */
  credentials?: { token: string };
  /** Loop on checkCancelled in the write step until cancelled. */
  spin?: boolean;
}

/** A promise the test settles: the stub's write step waits on it once. */
function gate() {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

function structured(result: unknown): Record<string, unknown> {
  const r = result as {
    isError?: boolean;
    structuredContent?: Record<string, unknown>;
    content: { text?: string }[];
  };
  if (r.isError) throw new Error(r.content.map((c) => c.text).join(' '));
  return r.structuredContent ?? {};
}

/**
 * The stub agent: discover (a read through MCP), a handback after the plan, write (create_customer
 * with the run's idempotency key), report. Each step is skipped when the journal has it.
 */
const hold: { write: ReturnType<typeof gate> | null; entered: () => void } = {
  write: null,
  entered: () => undefined,
};

async function step<T>(
  journal: RunJournal,
  name: string,
  body: () => Promise<T>,
  summary: (out: T) => string,
): Promise<T> {
  await journal.checkCancelled();
  const done = await journal.finished(name);
  if (done !== undefined) return done as T;
  await journal.startStep(name);
  const out = await body();
  await journal.finishStep(name, out, summary(out));
  return out;
}

async function call(
  client: Client,
  journal: RunJournal,
  stepName: string,
  tool: string,
  args: Record<string, unknown>,
  /** What the span says was sent, as an agent that forgot to mask a key would say it. */
  shown: Record<string, unknown> = args,
): Promise<Record<string, unknown>> {
  const started = performance.now();
  const result = await client.callTool({ name: tool, arguments: args });
  const ok = !(result as { isError?: boolean }).isError;
  await journal.recordToolCall({
    step: stepName,
    tool,
    arguments: shown,
    ok,
    status: ok ? 'ok' : 'error',
    summary: ok ? `${tool} ok` : `${tool} failed`,
    durationMs: performance.now() - started,
  });
  return structured(result);
}

async function stubAgent({
  client,
  journal,
  input,
}: {
  client: Client;
  journal: RunJournal;
  input: unknown;
}): Promise<unknown> {
  const { name, spin, credentials } = input as StubInput;
  const found = await step(
    journal,
    'discover',
    async () => {
      const listed = await call(
        client,
        journal,
        'discover',
        'list_customers',
        { limit: 5 },
        { limit: 5, apiKey: 'sk-should-be-masked' },
      );
      await journal.recordUsage({ inputTokens: 120, outputTokens: 30, costUsd: 0.001 });
      return { customers: (listed['data'] as unknown[]).length };
    },
    (o) => `${o.customers} customers`,
  );
  const notes: string[] = [];
  for (;;) {
    const decision = await journal.handback('plan', `create customer ${name}`);
    if (decision.decision === 'approve') break;
    notes.push(decision.note);
  }
  const written = await step(
    journal,
    'write',
    async () => {
      const customer = await call(client, journal, 'write', 'create_customer', {
        name,
        idempotencyKey: idempotencyKeyOf({ runId: journal.runId, step: 'write', index: 0 }),
      });
      if (spin) {
        for (;;) {
          await journal.checkCancelled();
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      const waiting = hold.write;
      if (waiting) {
        hold.write = null;
        hold.entered();
        await waiting.promise;
      }
      return { customerId: customer['id'] as string };
    },
    (o) => `created ${o.customerId}`,
  );
  await step(
    journal,
    'report',
    () => Promise.resolve({ ok: true }),
    () => 'done',
  );
  return {
    status: 'completed',
    customerId: written.customerId,
    discovered: found,
    notes,
    ...(credentials && { tokenLength: credentials.token.length }),
  };
}

describe.each(TEST_DRIVERS)('durable agent runs (%s)', (driver) => {
  let database: TestDatabase;
  let services: Services;
  let app: App;
  let workers: Workers | null = null;
  let unregister: () => void;
  let keyA: string;
  let keyB: string;
  let orgA: string;

  const api = async (
    method: 'GET' | 'POST',
    url: string,
    key: string,
    payload?: object,
  ): Promise<{ status: number; body: Record<string, unknown> }> => {
    const res = await app.inject({
      method,
      url,
      headers: { 'x-fastn-api-key': key },
      ...(payload !== undefined && { payload }),
    });
    return { status: res.statusCode, body: res.json() };
  };
  const get = async (id: string, key = keyA) =>
    (await api('GET', `/api/v1/agent-runs/${id}`, key)).body as unknown as Detail;
  const start = async (input: StubInput, interactive = false): Promise<string> => {
    // The API starts only the agents that exist; the stub kind goes through the same service.
    const { runId } = await startAgentRun({
      db: database.db,
      keyring: services.keyring,
      tenant: tenantA,
      queue: await services.agentRuns(),
      input: { kind: KIND, input: input as unknown as Record<string, unknown>, interactive },
    });
    return runId;
  };
  const until = async (id: string, status: string, timeout = 15_000): Promise<Detail> => {
    let run: Detail | undefined;
    await vi.waitFor(
      async () => {
        run = await get(id);
        expect(run.status, JSON.stringify(run)).toBe(status);
      },
      { timeout, interval: 50 },
    );
    return run!;
  };
  const customersNamed = (name: string) =>
    database.db.owner(async (sql) => {
      const [row] = await sql.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM customers WHERE name = $1',
        [name],
      );
      return row?.n ?? 0;
    });
  let tenantA: Tenant;
  let orgB: string;

  beforeAll(async () => {
    unregister = registerAgent(KIND, stubAgent);
    database = await createTestDatabase(driver);
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'warn' });
    const logger = createLogger(config.logLevel, new Writable({ write: (_c, _e, cb) => cb() }));
    services = await createServices({
      config,
      logger,
      db: database.db,
      keyring: createKeyring({ active: parseMasterKey(generateMasterKey()) }),
      queueOptions: { pollingIntervalSeconds: 0.2, maintenanceIntervalSeconds: 1 },
    });
    app = await buildApp(services);
    await app.ready();
    const a = await createOrganization({
      db: database.db,
      name: 'Agents A',
      ownerEmail: 'owner@a.test',
      actorLabel: 'test',
    });
    const b = await createOrganization({
      db: database.db,
      name: 'Agents B',
      ownerEmail: 'owner@b.test',
      actorLabel: 'test',
    });
    keyA = a.keys.find((k) => k.kind === 'live')!.key;
    keyB = b.keys.find((k) => k.kind === 'live')!.key;
    orgA = a.organization.id;
    orgB = b.organization.id;
    // Stub runs are started as the API would start them: with the key's tenant.
    tenantA = await authenticateApiKey({ db: database.db, key: keyA, requestId: null });
    workers = await startWorkers(services);
  });

  afterAll(async () => {
    await workers?.close();
    await app.close();
    await services.close();
    await database.close();
    unregister();
  });

  it('runs to its report with steps, masked spans, usage, and writes as the agent for the key', async () => {
    const id = await start({ name: 'Straight Co' });
    const run = await until(id, 'completed');
    expect(run.steps.map((s) => [s.name, s.status])).toEqual([
      ['discover', 'finished'],
      ['write', 'finished'],
      ['report', 'finished'],
    ]);
    expect(run.report).toMatchObject({ status: 'completed', notes: [] });
    expect(run.usage).toMatchObject({ tokensIn: 120, tokensOut: 30 });
    const tools = run.spans.map((s) => s.tool);
    expect(tools).toContain('create_customer');
    const listed = run.spans.find((s) => s.tool === 'list_customers');
    expect(JSON.stringify(run.spans)).not.toContain('sk-should-be-masked');
    expect(listed?.arguments).toEqual({ limit: 5, apiKey: '***' });
    expect(await customersNamed('Straight Co')).toBe(1);
    // Audited as the agent on behalf of the key's user.
    const audit = await database.db.owner((sql) =>
      sql.query<{ actor_type: string; actor_label: string }>(
        `SELECT actor_type, actor_label FROM audit_log WHERE action = 'customer.create'
           AND details->>'name' = 'Straight Co'`,
      ),
    );
    expect(audit).toEqual([{ actor_type: 'agent', actor_label: 'weft-test-stub-agent' }]);
  });

  it('an interactive run waits at its handback; revise passes the note, approve goes on', async () => {
    const id = await start({ name: 'Careful Co' }, true);
    let run = await until(id, 'waiting');
    expect(run.pending).toEqual({ stage: 'plan', summary: 'create customer Careful Co' });
    expect(run.steps.map((s) => s.name)).toEqual(['discover']);
    expect(await customersNamed('Careful Co')).toBe(0);

    const revised = await api('POST', `/api/v1/agent-runs/${id}/revise`, keyA, { note: 'use v2' });
    expect(revised.status).toBe(200);
    expect(revised.body).toMatchObject({ status: 'queued', pending: null });
    // It goes through the plan again with the note and pauses at the next handback of the stage.
    run = await until(id, 'waiting');
    expect(run.decisions).toMatchObject([{ stage: 'plan', decision: 'revise', note: 'use v2' }]);
    // A waiting run that is not waiting any more cannot be approved twice.
    const approved = await api('POST', `/api/v1/agent-runs/${id}/approve`, keyA, {});
    expect(approved.status).toBe(200);
    expect((await api('POST', `/api/v1/agent-runs/${id}/approve`, keyA, {})).status).toBe(409);
    run = await until(id, 'completed');
    expect(run.report).toMatchObject({ notes: ['use v2'] });
    // The discover step ran once over three attempts: resumed from its stored output.
    expect(run.spans.filter((s) => s.tool === 'list_customers')).toHaveLength(1);
    expect(run.attempts).toBe(3);
    expect(await customersNamed('Careful Co')).toBe(1);
  });

  it('cancel stops a running run at its next check, and a queued or final one at once', async () => {
    const id = await start({ name: 'Spinning Co', spin: true });
    await until(id, 'running');
    await vi.waitFor(async () => {
      expect((await get(id)).steps.map((s) => s.name)).toContain('write');
    });
    const cancelled = await api('POST', `/api/v1/agent-runs/${id}/cancel`, keyA, {});
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ cancelRequested: true });
    const run = await until(id, 'cancelled');
    expect(run.error).toBe('the run was cancelled');
    expect((await api('POST', `/api/v1/agent-runs/${id}/cancel`, keyA, {})).status).toBe(409);
  });

  it('a worker stopped mid-step hands the run on; it resumes from its last finished step and writes once', async () => {
    hold.write = gate();
    const zombie = hold.write;
    const entered = new Promise<void>((resolve) => (hold.entered = resolve));
    const id = await start({ name: 'Resumed Co' });
    await entered; // step 2 wrote the customer and hangs before it finishes
    expect(await customersNamed('Resumed Co')).toBe(1);
    await workers!.close();
    workers = null;
    let run = await get(id);
    expect(run.status).toBe('queued');
    expect(run.steps.map((s) => [s.name, s.status])).toEqual([
      ['discover', 'finished'],
      ['write', 'running'],
    ]);
    // The old attempt wakes up: it can write nothing any more.
    zombie.open();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await get(id)).steps.find((s) => s.name === 'write')?.status).toBe('running');

    workers = await startWorkers(services);
    run = await until(id, 'completed');
    expect(run.attempts).toBe(2);
    expect(run.spans.filter((s) => s.tool === 'list_customers')).toHaveLength(1);
    // The write ran twice with one idempotency key: one customer, the same id both times.
    expect(run.spans.filter((s) => s.tool === 'create_customer')).toHaveLength(2);
    expect(await customersNamed('Resumed Co')).toBe(1);
    const [customer] = await database.db.owner((sql) =>
      sql.query<{ id: string }>("SELECT id FROM customers WHERE name = 'Resumed Co'"),
    );
    expect(run.report).toMatchObject({ customerId: customer?.id });
  });

  it('credentials in the input are sealed at rest; only the agent sees them', async () => {
    const token = 'tk-live-0123456789abcdef';
    const id = await start({ name: 'Sealed Co', credentials: { token } });
    const run = await until(id, 'completed');
    // The agent got the credential as given; the API shows it masked.
    expect(run.report).toMatchObject({ tokenLength: token.length });
    expect((run as unknown as { input: unknown }).input).toMatchObject({
      credentials: { token: '***' },
    });
    // Nowhere in the stored row in the clear.
    const [row] = await database.db.owner((sql) =>
      sql.query<{ row: string }>(
        'SELECT to_jsonb(r)::text AS row FROM agent_runs r WHERE id = $1',
        [id],
      ),
    );
    expect(row?.row).toContain('input_sealed');
    expect(row?.row).not.toContain(token);
  });

  it('a run whose worker died (its lease lapsed) is queued again by the sweeper and finishes', async () => {
    // Stored, and its job gone with the worker that died running it: running, its lease run out.
    const { runId: id } = await startAgentRun({
      db: database.db,
      keyring: services.keyring,
      tenant: tenantA,
      queue: null,
      input: { kind: KIND, input: { name: 'Orphan Co' } },
    });
    await database.db.owner((sql) =>
      sql.query(
        `UPDATE agent_runs SET status = 'running', attempts = 1, lease_owner = gen_random_uuid(),
            lease_expires_at = now() - interval '5 seconds' WHERE id = $1`,
        [id],
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await get(id)).status).toBe('running');
    const swept = await sweepAgentRuns({ db: database.db, runs: await services.agentRuns() });
    expect(swept.requeued).toBeGreaterThanOrEqual(1);
    const run = await until(id, 'completed');
    expect(run.attempts).toBe(2);
    expect(await customersNamed('Orphan Co')).toBe(1);
  });

  it('a run does not outlive the key that started it: resumed after a revocation, it fails', async () => {
    const made = await api('POST', '/api/v1/api-keys', keyA, { name: 'short-lived', kind: 'live' });
    expect(made.status).toBe(201);
    const tenant = await authenticateApiKey({
      db: database.db,
      key: made.body['key'] as string,
      requestId: null,
    });
    const { runId: id } = await startAgentRun({
      db: database.db,
      keyring: services.keyring,
      tenant,
      queue: await services.agentRuns(),
      input: { kind: KIND, input: { name: 'Revoked Co' }, interactive: true },
    });
    await until(id, 'waiting');
    const revoked = await api(
      'POST',
      `/api/v1/api-keys/${String(made.body['id'])}/revoke`,
      keyA,
      {},
    );
    expect(revoked.status).toBe(200);
    expect((await api('POST', `/api/v1/agent-runs/${id}/approve`, keyA, {})).status).toBe(200);
    const run = await until(id, 'failed');
    expect(run.error).toMatch(/key that started this run was revoked/);
    expect(await customersNamed('Revoked Co')).toBe(0);
  });

  it('over HTTP: 202 with the run id, list, validation; another org sees none of it', async () => {
    const created = await api('POST', '/api/v1/agent-runs', keyA, {
      kind: 'connector',
      input: { source: 'https://example.test/openapi.json', credentials: { token: 't-1' } },
      interactive: true,
    });
    expect(created.status).toBe(202);
    const runId = created.body['runId'] as string;
    expect(created.body).toMatchObject({ status: 'queued' });
    expect(
      (await api('POST', '/api/v1/agent-runs', keyA, { kind: 'nope', input: {} })).status,
    ).toBe(422);

    const list = await api('GET', '/api/v1/agent-runs?limit=2', keyA);
    expect(list.status).toBe(200);
    expect((list.body['data'] as unknown[]).length).toBe(2);
    expect(list.body['nextCursor']).toEqual(expect.any(String));
    const next = await api(
      'GET',
      `/api/v1/agent-runs?limit=50&cursor=${String(list.body['nextCursor'])}`,
      keyA,
    );
    expect((next.body['data'] as { id: string }[]).map((r) => r.id)).not.toContain(
      (list.body['data'] as { id: string }[])[0]?.id,
    );

    // The connector agent may not be in this checkout: its run ends either way, never stuck.
    await vi.waitFor(
      async () =>
        expect(['completed', 'failed', 'waiting', 'budget']).toContain((await get(runId)).status),
      { timeout: 30_000, interval: 100 },
    );
    const shown = await get(runId);
    expect(JSON.stringify(shown)).not.toContain('t-1');
    expect(shown.createdBy.type).toBe('api_key');

    // Org B: 404 on A's run, and an empty list; RLS keeps the rows apart.
    expect((await api('GET', `/api/v1/agent-runs/${runId}`, keyB)).status).toBe(404);
    expect((await api('POST', `/api/v1/agent-runs/${runId}/cancel`, keyB, {})).status).toBe(404);
    expect((await api('GET', '/api/v1/agent-runs', keyB)).body['data']).toEqual([]);
    const seenByB = await database.db.tenant({ orgId: orgB }, (sql) =>
      sql.query(
        `SELECT id FROM agent_runs UNION ALL SELECT run_id FROM agent_run_steps
         UNION ALL SELECT run_id FROM agent_run_spans`,
      ),
    );
    expect(seenByB).toEqual([]);
    const seenByA = await database.db.tenant({ orgId: orgA }, (sql) =>
      sql.query('SELECT id FROM agent_runs'),
    );
    expect(seenByA.length).toBeGreaterThan(3);
  });
});
