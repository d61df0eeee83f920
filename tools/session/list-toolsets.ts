// The toolsets of this session, on and off: what an agent reads before `enable_toolset`. A
// session tool (no permission: it shows tool names, no tenant data).
import { z } from 'zod';
import { AppError } from '../../server/errors.ts';
import { defineTool } from '../define-tool.ts';

const ToolsetSchema = z.object({
  name: z.string(),
  description: z.string(),
  enabled: z.boolean(),
  tools: z.array(z.string()),
});

export default defineTool({
  name: 'list_toolsets',
  title: 'List toolsets',
  description: 'Lists every toolset, whether this session has it on, and its tools.',
  input: z.object({}).strict(),
  output: z.object({ data: z.array(ToolsetSchema) }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  permission: null,
  handler: (_input, ctx) => {
    if (!ctx.session) throw new AppError('bad_request', 'toolsets exist only in an MCP session');
    return Promise.resolve({ data: ctx.session.toolsets() });
  },
  summarize: (o) =>
    o.data.map((t) => `${t.name}${t.enabled ? ' (on)' : ''}: ${t.tools.join(', ')}`).join('; '),
});
