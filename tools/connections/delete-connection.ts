import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { deleteConnection } from '../../server/modules/connections/connections.service.ts';

export default defineTool({
  name: 'delete_connection',
  title: 'Delete connection',
  description:
    'Deletes a connection and its stored credentials; OAuth tokens are revoked where the connector names a revocation URL.',
  input: z.object({ connectionId: z.uuid() }).strict(),
  output: z.object({
    deleted: z.literal(true),
    id: z.string(),
    tokensRevoked: z.boolean().nullable().describe('null: nothing to revoke'),
    revocationProblem: z.string().optional(),
  }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  write: true,
  permission: 'connections:delete',
  handler: async (input, ctx) => {
    const { revocation } = await deleteConnection({
      runtime: { ...ctx.runtime, db: ctx.db },
      tenant: ctx.tenant,
      id: input.connectionId,
      // A dry run changes nothing anywhere, the provider included.
      revoke: !ctx.dryRun,
    });
    return {
      deleted: true as const,
      id: input.connectionId,
      tokensRevoked: revocation?.revoked ?? null,
      ...(revocation?.problem !== undefined && { revocationProblem: revocation.problem }),
    };
  },
  summarize: (o) => `deleted connection ${o.id}`,
});
