// Starts a Connector Agent run: the same run (and the same service) as POST /api/v1/agent-runs
// with kind 'connector'. The run is executed by the workers; the tool returns its id at once,
// and get_agent_run follows it. The input is the agent's own (agents/connector/types.ts),
// spelled as the CLI's `weft connector build` arguments.
import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { AgentRunAcceptedSchema } from '../../server/domain/agent-run.ts';
import { startAgentRun } from '../../server/modules/agent-runs/agent-runs.service.ts';

// Lean by design (the tools/list budget): the CLI and the HTTP API take the agent's full input.
const Input = z
  .object({
    source: z.string().min(1).max(2000).optional(),
    specText: z.string().min(1).max(2_000_000).optional(),
    baseUrl: z.string().min(1).max(2000).optional(),
    credentials: z.record(z.string(), z.string().max(4000)).optional(),
    interactive: z.boolean().optional(),
  })
  .strict()
  .refine((v) => v.source ?? v.specText, { message: 'give source or specText' });

export default defineTool({
  name: 'build_connector',
  title: 'Build connector',
  description: 'Runs the Connector Agent on a spec/docs URL, app name or specText.',
  input: Input,
  output: AgentRunAcceptedSchema,
  annotations: { readOnlyHint: false, destructiveHint: false },
  write: true,
  permission: 'agents:execute',
  handler: async ({ interactive, ...input }, ctx) =>
    startAgentRun({
      db: ctx.db,
      keyring: ctx.runtime.keyring,
      tenant: ctx.tenant,
      queue: ctx.dryRun ? null : await ctx.agentRuns(),
      input: {
        kind: 'connector',
        input,
        interactive,
      },
    }),
  summarize: (o) => `connector agent run ${o.runId}: ${o.status}`,
});
