import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { PermissionSchema, RoleSchema, RoleSlugSchema } from '../../server/domain/people.ts';
import { updateRole } from '../../server/modules/people/roles.service.ts';

export default defineTool({
  name: 'update_role',
  title: 'Change custom role',
  description:
    'Changes a custom role; its holders act with it from their next request. System roles: copy with create_role.',
  input: z
    .object({
      role: RoleSlugSchema,
      name: z.string().trim().min(1).max(100).optional(),
      description: z.string().trim().max(500).optional(),
      permissions: z.array(PermissionSchema).optional(),
    })
    .strict(),
  output: RoleSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'people:write',
  handler: ({ role, ...input }, ctx) =>
    updateRole({ db: ctx.db, tenant: ctx.tenant, slug: role, input }),
  summarize: (o) => `role ${o.slug} has ${o.permissions.length} permissions`,
});
