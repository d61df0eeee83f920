import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { IdSchema } from '../../server/domain/common.ts';
import { PersonSchema, RoleSlugSchema } from '../../server/domain/people.ts';
import { changeRole, listPeople } from '../../server/modules/people/people.service.ts';
import { AppError } from '../../server/errors.ts';

export default defineTool({
  name: 'update_person',
  title: "Change a person's role",
  description:
    'Gives a person another role, effective from their next request. The owner: set_owner.',
  input: z.object({ personId: IdSchema, role: RoleSlugSchema.optional() }).strict(),
  output: PersonSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'people:write',
  handler: async (input, ctx) => {
    if (input.role !== undefined) {
      return changeRole({
        db: ctx.db,
        tenant: ctx.tenant,
        userId: input.personId,
        role: input.role,
      });
    }
    const person = (await listPeople({ db: ctx.db, tenant: ctx.tenant })).find(
      (p) => p.id === input.personId,
    );
    if (!person) throw new AppError('not_found', `no person ${input.personId}; see list_people`);
    return person;
  },
  summarize: (o) => `${o.email} is ${o.role}`,
});
