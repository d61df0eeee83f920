// The exact schemas of a tool, on demand. tools/list shows a lean picture of each input (nested
// parts cut to their type) and no output schemas, to keep every session's listing small; this
// answers what was left out: the whole input schema (every field, limit and variant, e.g. a
// connector document's auth methods) and the shape of the answer. Same content as the resource
// weft://schemas/<tool>. A session tool (no permission: schemas hold no tenant data).
import { z } from 'zod';
import { AppError } from '../../server/errors.ts';
import { defineTool } from '../define-tool.ts';

export default defineTool({
  name: 'describe_tool',
  title: 'Describe tool',
  description:
    "A tool's full input and output JSON Schemas, for nested arguments the listing shows in short.",
  input: z.object({ tool: z.string().min(1).max(64) }).strict(),
  output: z.object({
    tool: z.string(),
    inputSchema: z.record(z.string(), z.unknown()),
    outputSchema: z.record(z.string(), z.unknown()),
  }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  permission: null,
  handler: (input, ctx) => {
    if (!ctx.session) throw new AppError('bad_request', 'describe_tool needs an MCP session');
    const schemas = ctx.session.schemasOf(input.tool);
    if (!schemas) {
      throw new AppError('not_found', `no tool '${input.tool}'; list_toolsets names every tool`);
    }
    return Promise.resolve({
      tool: input.tool,
      inputSchema: schemas.inputSchema as Record<string, unknown>,
      outputSchema: schemas.outputSchema as Record<string, unknown>,
    });
  },
  // The schemas are the answer: a client that reads only text must get them too.
  summarize: (o) =>
    `schemas of ${o.tool}: ${JSON.stringify({ inputSchema: o.inputSchema, outputSchema: o.outputSchema })}`,
});
