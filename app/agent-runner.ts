// How the workers run an agent run: the composition of what an agent needs for one run. Given a
// claimed run, it rebuilds the tenant the run was started with (the creating key's org, actor,
// mode, customer and permissions), connects an in-process MCP client to the admin server for
// that tenant (app/agent-client.ts: the agent's writes are audited as the agent on that user's
// behalf), builds the model provider from WEFT_LLM with the run's provider/model on top, and
// calls the agent of the run's kind (agents/registry.ts) with the durable journal. The client is
// closed whatever the outcome.
import { agentFor } from '../agents/registry.ts';
import { RunCancelled, RunPaused, type RunJournal } from '../agents/runs/journal.ts';
import type { ClaimedAgentRun } from '../server/db/repositories/agent-runs.repo.ts';
import { LLM_PROVIDERS } from '../server/domain/agent-run.ts';
import { inputOfRun } from '../server/modules/agent-runs/sealed-input.ts';
import type { Tenant } from '../server/domain/tenant.ts';
import type { AgentExecutor } from '../server/runtime/agent-runs/executor.ts';
import type { Services } from './services.ts';

/** The tenant a run acts as: the one that started it. */
export function tenantOfRun(run: ClaimedAgentRun): Tenant {
  return {
    orgId: run.orgId,
    customerId: run.customerId,
    mode: run.mode,
    actor: {
      type: run.actor.type as Tenant['actor']['type'],
      id: run.actor.id,
      label: run.actor.label,
      userId: run.actor.userId,
    },
    permissions: new Set(run.permissions),
    requestId: `agent-run:${run.id}`,
  };
}

/** The MCP client name an agent announces (and its writes are audited under). */
export function clientNameOf(kind: string): string {
  return `weft-${kind}-agent`;
}

function providerOverride(name: string | null): (typeof LLM_PROVIDERS)[number] | undefined {
  return LLM_PROVIDERS.find((p) => p === name);
}

export function createAgentExecutor(services: Services): AgentExecutor {
  return {
    paused: (stage) => new RunPaused(stage),
    cancelled: () => new RunCancelled(),
    async execute({ run, journal, signal, logger }) {
      // Loaded on the first run: the model SDKs and every tool are not needed to start a worker.
      const [{ createProvider }, { connectAgentClient }] = await Promise.all([
        import('../agents/llm/index.ts'),
        import('./agent-client.ts'),
      ]);
      const agent = await agentFor(run.kind);
      const override = providerOverride(run.provider);
      const provider = createProvider({
        config: services.config.llm,
        overrides: {
          ...(override !== undefined && { provider: override }),
          ...(run.model !== null && { model: run.model }),
        },
      });
      const connection = await connectAgentClient({
        services,
        tenant: tenantOfRun(run),
        logger,
        clientName: clientNameOf(run.kind),
      });
      try {
        const runJournal: RunJournal = journal;
        return await agent({
          client: connection.client,
          provider,
          journal: runJournal,
          input: inputOfRun({ keyring: services.keyring, run }),
          signal,
        });
      } finally {
        await connection.close();
      }
    },
  };
}
