// Starts a Workflow Agent run: the same durable run (and service) as build_connector, kind
// 'workflow'. The workers plan, build, test (MOCK cases in the sandbox) and publish only when
// the cases pass; the tool returns the run id at once and get_agent_run follows it. Lean by
// design (the tools/list budget): a request in words plus optional source/target slugs, the
// connections to sample through and, to run LIVE cases on them, allowLive and their customer;
// the agent's full input goes through POST /api/v1/agent-runs.
import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { AgentRunAcceptedSchema } from '../../server/domain/agent-run.ts';
import { IdSchema } from '../../server/domain/common.ts';
import { startAgentRun } from '../../server/modules/agent-runs/agent-runs.service.ts';

const Input = z
  .object({
    request: z.string().min(1).max(4000),
    source: z.string().max(100).optional(),
    target: z.string().max(100).optional(),
    connections: z.record(z.string(), z.string()).optional(),
    allowLive: z.boolean().optional().describe('Also run LIVE cases on the connections'),
    customerId: IdSchema.optional().describe("The connections' customer"),
    interactive: z.boolean().optional(),
  })
  .strict();

export default defineTool({
  name: 'build_workflow',
  title: 'Build workflow',
  description: 'Runs the Workflow Agent on a request; publishes once its tests pass.',
  input: Input,
  output: AgentRunAcceptedSchema,
  annotations: { readOnlyHint: false, destructiveHint: false },
  write: true,
  permission: 'agents:execute',
  handler: async (
    { request, source, target, connections, allowLive, customerId, interactive },
    ctx,
  ) =>
    startAgentRun({
      db: ctx.db,
      keyring: ctx.runtime.keyring,
      tenant: ctx.tenant,
      queue: ctx.dryRun ? null : await ctx.agentRuns(),
      input: {
        kind: 'workflow',
        input: {
          request: {
            text: request,
            ...(source !== undefined && { source }),
            ...(target !== undefined && { target }),
            ...(allowLive !== undefined && { allowLive }),
          },
          ...(connections !== undefined && { connections }),
          ...(customerId !== undefined && { customerId }),
        },
        interactive,
      },
    }),
  summarize: (o) => `workflow agent run ${o.runId}: ${o.status}`,
});
