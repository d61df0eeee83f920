import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { PermissionSchema, RoleSchema, RoleSlugSchema } from '../../server/domain/people.ts';
import { createRole, duplicateRole } from '../../server/modules/people/roles.service.ts';

export default defineTool({
  name: 'create_role',
  title: 'Create custom role',
  description:
    'Creates a custom role from permissions or as a copy of another role (copyOf), never with permissions you lack.',
  input: z
    .object({
      role: RoleSlugSchema.describe('The new role\'s slug, e.g. "auditor"'),
      name: z.string().trim().min(1).max(100),
      description: z.string().trim().max(500).optional(),
      permissions: z.array(PermissionSchema).optional(),
      copyOf: RoleSlugSchema.optional(),
    })
    .strict(),
  output: RoleSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  write: true,
  permission: 'people:write',
  handler: (input, ctx) =>
    input.copyOf !== undefined && input.permissions === undefined
      ? duplicateRole({
          db: ctx.db,
          tenant: ctx.tenant,
          from: input.copyOf,
          slug: input.role,
          name: input.name,
        })
      : createRole({
          db: ctx.db,
          tenant: ctx.tenant,
          input: {
            slug: input.role,
            name: input.name,
            description: input.description ?? '',
            permissions: input.permissions ?? [],
          },
        }),
  summarize: (o) => `created role ${o.slug} with ${o.permissions.length} permissions`,
});
