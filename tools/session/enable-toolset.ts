// Turns toolsets on for the rest of the session; the server then sends
// notifications/tools/list_changed and lists their tools. Nothing is stored: a new session
// starts from its own toolsets again. A session tool (no permission, no tenant data).
import { z } from 'zod';
import { AppError } from '../../server/errors.ts';
import { defineTool } from '../define-tool.ts';

export default defineTool({
  name: 'enable_toolset',
  title: 'Enable toolsets',
  description:
    'Turns toolsets on for this session (["workflows"], or ["all"]) so their tools are listed.',
  input: z
    .object({
      toolsets: z.array(z.string().min(1).max(50)).min(1).max(20),
    })
    .strict(),
  output: z.object({ enabled: z.array(z.string()), tools: z.array(z.string()) }),
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  permission: null,
  handler: (input, ctx) => {
    if (!ctx.session) throw new AppError('bad_request', 'toolsets exist only in an MCP session');
    let enabled: string[];
    try {
      enabled = ctx.session.enable(input.toolsets);
    } catch (error) {
      throw new AppError('validation_failed', (error as Error).message);
    }
    const tools = ctx.session
      .toolsets()
      .filter((t) => t.enabled)
      .flatMap((t) => t.tools);
    return Promise.resolve({ enabled, tools });
  },
  summarize: (o) => `enabled: ${o.enabled.join(', ')} (${o.tools.length} tools listed)`,
});
