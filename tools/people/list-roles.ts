import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { RoleSchema } from '../../server/domain/people.ts';
import { listRoles } from '../../server/modules/people/roles.service.ts';

export default defineTool({
  name: 'list_roles',
  title: 'List roles',
  description: 'The system and custom roles with their permissions and how many hold each.',
  input: z.object({}).strict(),
  output: z.object({ roles: z.array(RoleSchema) }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'people:read',
  handler: async (_input, ctx) => ({ roles: await listRoles({ db: ctx.db, tenant: ctx.tenant }) }),
  summarize: (o) => o.roles.map((r) => `${r.slug} (${r.permissions.length})`).join(', '),
});
