// The Connector Agent as a case runner: the agent is given what a user would give it (the spec
// file's name and text, or a docs URL and credentials) and runs non-interactively with an
// in-memory journal. Loaded by URL on first use, as agents/registry.ts does, so the eval suite
// loads and type-checks in a checkout where the agent is absent; `agentAvailable()` says whether
// it is there.
import fs from 'node:fs';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Provider } from '../../agents/llm/index.ts';
import { createMemoryJournal } from '../../agents/runs/memory-journal.ts';
import type { BuildOutcome, CaseRunner } from './types.ts';

const AGENT_MODULE = new URL('../../agents/connector/index.ts', import.meta.url);

/** The slice of the agent's report the suite reads. */
interface AgentReport {
  status: string;
  message: string;
  connector: { slug: string } | null;
  mappings: { saved: readonly { entity: string; action: string }[] };
  fixes: readonly { action: string | null; errorClass: string; outcome: string }[];
  usage: { inputTokens: number; outputTokens: number; costUsd: number };
}

type RunAgent = (options: {
  client: Client;
  provider: Provider;
  journal: ReturnType<typeof createMemoryJournal>;
  input: Record<string, unknown>;
  budget?: Record<string, number>;
  signal?: AbortSignal;
}) => Promise<AgentReport>;

export function agentAvailable(): boolean {
  return fs.existsSync(AGENT_MODULE);
}

let loaded: Promise<RunAgent> | undefined;
function loadAgent(): Promise<RunAgent> {
  loaded ??= import(AGENT_MODULE.href).then((m: { runConnectorAgent?: RunAgent }) => {
    if (typeof m.runConnectorAgent !== 'function')
      throw new Error('agents/connector/index.ts exports no runConnectorAgent');
    return m.runConnectorAgent;
  });
  return loaded;
}

export const agentRunner: CaseRunner = {
  name: 'agent',
  async build({ client, source, provider, signal }): Promise<BuildOutcome> {
    const runConnectorAgent = await loadAgent();
    const input =
      source.kind === 'spec'
        ? { source: source.fileName, specText: source.text, interactive: false }
        : { source: source.url, credentials: source.credentials, interactive: false };
    const report = await runConnectorAgent({
      client,
      provider,
      journal: createMemoryJournal({ interactive: false }),
      input,
      signal,
    });
    return {
      connector: report.connector?.slug ?? null,
      mappingActions: Object.fromEntries(report.mappings.saved.map((m) => [m.entity, m.action])),
      status: report.status,
      message: report.message,
      fixes: report.fixes.map((f) => ({
        action: f.action,
        errorClass: f.errorClass,
        outcome: f.outcome,
      })),
      usage: {
        inputTokens: report.usage.inputTokens,
        outputTokens: report.usage.outputTokens,
        costUsd: report.usage.costUsd,
      },
    };
  },
};
