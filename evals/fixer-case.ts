// A fixer case: a connector imported from a dev spec, broken by seeded faults (evals/faults.ts),
// handed to the Connector Agent to test and repair (`connector` plus the spec text it was built
// from), then checked: a fault is repaired when its action's mock test passes again and the
// faulted field equals the original. Only faults a test shows are counted: a candidate whose
// action still passes with the fault in place is put back and the next candidate is tried.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Provider } from '../agents/llm/index.ts';
import { createMemoryJournal } from '../agents/runs/memory-journal.ts';
import type { ActionInput, AuthMethod } from '../server/domain/connector.ts';
import type { FixerCase } from './cases.ts';
import {
  faultCandidates,
  restored,
  type FaultableConnector,
  type FaultChange,
  type SeededFault,
} from './faults.ts';
import { callTool } from './runners/types.ts';

export interface SeededOutcome {
  readonly kind: string;
  readonly action: string;
  readonly field: string;
  /** The fault's action passes its mock test again after the agent's run. */
  readonly passes: boolean;
  /** The faulted field equals the original again. */
  readonly restored: boolean;
  readonly repaired: boolean;
}

export interface FixerOutcome {
  readonly seeded: SeededOutcome[];
  /** Kinds asked for that found no fault a test shows on this connector. */
  readonly unseeded: string[];
  readonly fixes: readonly { action: string | null; errorClass: string; outcome: string }[];
  readonly status: string;
  readonly message: string;
  readonly usage: { inputTokens: number; outputTokens: number; costUsd: number };
}

type Json = Record<string, unknown>;

/** An exported action as an upsert_action input. */
function actionInput(a: Json): ActionInput {
  const { id: _i, connectorId: _c, createdAt: _ca, updatedAt: _ua, ...rest } = a;
  return rest as unknown as ActionInput;
}

async function exported(client: Client, slug: string): Promise<FaultableConnector> {
  const doc = await callTool(client, 'export_connector', { connector: slug });
  const connector = doc['connector'] as Json;
  return {
    connector: {
      baseUrl: (connector['baseUrl'] as string | null | undefined) ?? null,
      authMethods: (connector['authMethods'] as AuthMethod[] | undefined) ?? [],
    },
    actions: ((doc['actions'] as Json[] | undefined) ?? []).map(actionInput),
  };
}

async function apply(client: Client, slug: string, change: FaultChange): Promise<void> {
  if (change.target === 'action')
    await callTool(client, 'upsert_action', { connector: slug, action: change.action });
  else if (change.target === 'baseUrl')
    await callTool(client, 'update_connector', { connector: slug, baseUrl: change.baseUrl });
  else
    await callTool(client, 'update_connector', {
      connector: slug,
      authMethods: change.authMethods,
    });
}

/** The change that puts a fault's field back as it was in `original`. */
function undo(original: FaultableConnector, fault: SeededFault): FaultChange {
  const change = fault.change;
  if (change.target === 'baseUrl')
    return { target: 'baseUrl', baseUrl: original.connector.baseUrl ?? '' };
  if (change.target === 'authMethods')
    return { target: 'authMethods', authMethods: original.connector.authMethods };
  const before = original.actions.find((a) => a.slug === change.action.slug);
  return { target: 'action', action: before ?? change.action };
}

async function mockTest(client: Client, slug: string, actions: readonly string[]) {
  if (actions.length === 0) return new Map<string, boolean>();
  const result = await callTool(client, 'test_actions', {
    connector: slug,
    mock: true,
    actions: [...actions],
  });
  return new Map(
    ((result['results'] as Json[] | undefined) ?? []).map((r) => [
      String(r['action']),
      r['outcome'] === 'pass',
    ]),
  );
}

/** Connector-level faults break every action: they go in after the action faults are shown. */
const CONNECTOR_LEVEL = new Set(['key_name', 'auth_scheme', 'base_path']);
const TRIES = 6;

/** Seeds the faults one kind at a time, each shown failing by its action's mock test. */
export async function seedFaults({
  client,
  slug,
  kinds,
  seed,
}: {
  client: Client;
  slug: string;
  kinds: readonly string[];
  seed: number;
}): Promise<{ original: FaultableConnector; seeded: SeededFault[]; unseeded: string[] }> {
  const original = await exported(client, slug);
  const all = original.actions.slice(0, 200).map((a) => a.slug);
  const before = await mockTest(client, slug, all);
  const passing = all.filter((a) => before.get(a) === true);
  const seeded: SeededFault[] = [];
  const unseeded: string[] = [];
  const ordered = [
    ...kinds.filter((k) => !CONNECTOR_LEVEL.has(k)),
    ...kinds.filter((k) => CONNECTOR_LEVEL.has(k)),
  ];
  for (const [i, kind] of ordered.entries()) {
    const used = new Set(seeded.map((f) => f.action));
    // Action faults on actions of their own; connector faults shown on an action left clean.
    const free = passing.filter((a) => !used.has(a));
    const candidates = faultCandidates({
      connector: original,
      passing: free,
      kind: kind as SeededFault['kind'],
      seed: seed + i,
    }).filter((f) => !used.has(f.action));
    let kept: SeededFault | undefined;
    for (const fault of candidates.slice(0, TRIES)) {
      // A fault the admin tools refuse (a path parameter the path still names) is no fault.
      const accepted = await apply(client, slug, fault.change).then(
        () => true,
        () => false,
      );
      if (!accepted) continue;
      const shown = await mockTest(client, slug, [fault.action]);
      if (shown.get(fault.action) === false) {
        kept = fault;
        break;
      }
      await apply(client, slug, undo(original, fault));
    }
    if (kept === undefined) unseeded.push(kind);
    else seeded.push(kept);
  }
  return { original, seeded, unseeded };
}

type RunAgent = (options: {
  client: Client;
  provider: Provider;
  journal: ReturnType<typeof createMemoryJournal>;
  input: Record<string, unknown>;
  signal?: AbortSignal;
}) => Promise<{
  status: string;
  message: string;
  fixes: readonly { action: string | null; errorClass: string; outcome: string }[];
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
}>;

const AGENT_MODULE = new URL('../agents/connector/index.ts', import.meta.url);

export async function runFixerCase({
  c,
  client,
  provider,
  specText,
  fileName,
  signal,
}: {
  c: FixerCase;
  client: Client;
  provider: Provider;
  specText: string;
  fileName: string;
  signal: AbortSignal;
}): Promise<FixerOutcome> {
  const imported = await callTool(client, 'import_openapi', {
    text: specText,
    selection: { mode: 'all' },
  });
  const slug = String(imported['slug']);
  const { seeded, unseeded } = await seedFaults({ client, slug, kinds: c.faults, seed: c.seed });
  const { runConnectorAgent } = (await import(AGENT_MODULE.href)) as {
    runConnectorAgent: RunAgent;
  };
  const report = await runConnectorAgent({
    client,
    provider,
    journal: createMemoryJournal({ interactive: false }),
    input: { connector: slug, source: fileName, specText, interactive: false },
    signal,
  });
  const after = await exported(client, slug);
  const tested =
    seeded.length === 0
      ? new Map<string, boolean>()
      : await mockTest(client, slug, [...new Set(seeded.map((f) => f.action))]);
  return {
    seeded: seeded.map((f) => {
      const passes = tested.get(f.action) === true;
      const back = restored(after, f);
      return {
        kind: f.kind,
        action: f.action,
        field: f.field,
        passes,
        restored: back,
        repaired: passes && back,
      };
    }),
    unseeded,
    fixes: report.fixes.map((f) => ({
      action: f.action,
      errorClass: f.errorClass,
      outcome: f.outcome,
    })),
    status: report.status,
    message: report.message,
    usage: report.usage,
  };
}
