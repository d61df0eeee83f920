import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { CallResultSchema } from '../../server/domain/connection.ts';
import { runAction } from '../../server/modules/connections/actions.service.ts';

export default defineTool({
  name: 'run_action',
  title: 'Run action',
  description:
    "Calls a connector action with a connection's credentials, input checked against its schema; allPages follows pagination. No action yet: proxy_request.",
  input: z
    .object({
      connectionId: z.uuid(),
      action: z.string().min(1).max(100),
      input: z.record(z.string(), z.unknown()).default({}),
      allPages: z.boolean().default(false),
      maxItems: z.number().int().min(1).max(10_000).default(1000),
    })
    .strict(),
  output: CallResultSchema,
  annotations: {
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: true,
  },
  permission: 'connections:execute',
  handler: (input, ctx) =>
    runAction({
      runtime: ctx.runtime,
      tenant: ctx.tenant,
      connectionId: input.connectionId,
      action: input.action,
      input: input.input,
      allPages: input.allPages,
      maxItems: input.maxItems,
    }),
  summarize: (o) => `HTTP ${o.status} in ${Math.round(o.durationMs)} ms (trace ${o.traceId})`,
});
