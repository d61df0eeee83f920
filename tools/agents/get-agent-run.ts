import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { AgentRunDetailSchema } from '../../server/domain/agent-run.ts';
import { getAgentRun } from '../../server/modules/agent-runs/agent-runs.service.ts';

export default defineTool({
  name: 'get_agent_run',
  title: 'Get agent run',
  description: 'A build_connector run: status, steps, tool calls, report.',
  input: z.object({ runId: z.uuid() }).strict(),
  output: AgentRunDetailSchema,
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'agents:read',
  handler: (input, ctx) => getAgentRun({ db: ctx.db, tenant: ctx.tenant, id: input.runId }),
  summarize: (o) =>
    `agent run ${o.id}: ${o.status}${o.pending ? ` at ${o.pending.stage}: ${o.pending.summary}` : ''}${o.error ? ` (${o.error})` : ''}`,
});
