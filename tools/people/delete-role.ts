import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { RoleSlugSchema } from '../../server/domain/people.ts';
import { deleteRole } from '../../server/modules/people/roles.service.ts';

export default defineTool({
  name: 'delete_role',
  title: 'Delete custom role',
  description: 'Deletes a custom role nobody holds.',
  input: z.object({ role: RoleSlugSchema }).strict(),
  output: z.object({ deleted: z.literal(true), role: z.string() }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  write: true,
  permission: 'people:write',
  handler: async (input, ctx) => {
    await deleteRole({ db: ctx.db, tenant: ctx.tenant, slug: input.role });
    return { deleted: true as const, role: input.role };
  },
  summarize: (o) => `deleted role ${o.role}`,
});
