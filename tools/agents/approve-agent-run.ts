// Approve and revise are one tool: both answer the same pause, and `note` is what tells them
// apart (as approve and revise are two routes over one service function).
import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { AgentRunSchema } from '../../server/domain/agent-run.ts';
import { decideAgentRun } from '../../server/modules/agent-runs/agent-runs.service.ts';

export default defineTool({
  name: 'approve_agent_run',
  title: 'Approve agent run',
  description: 'Lets a waiting run go on; `note` revises the stage.',
  input: z
    .object({
      runId: z.uuid(),
      note: z.string().trim().min(1).max(4000).optional(),
    })
    .strict(),
  output: AgentRunSchema,
  annotations: { readOnlyHint: false, destructiveHint: false },
  write: true,
  permission: 'agents:execute',
  handler: async (input, ctx) =>
    decideAgentRun({
      db: ctx.db,
      tenant: ctx.tenant,
      queue: ctx.dryRun ? null : await ctx.agentRuns(),
      id: input.runId,
      decision:
        input.note === undefined
          ? { decision: 'approve' }
          : { decision: 'revise', note: input.note },
    }),
  summarize: (o) => `agent run ${o.id}: ${o.status}`,
});
