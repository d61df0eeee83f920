import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { IdSchema } from '../../server/domain/common.ts';
import { PersonSchema } from '../../server/domain/people.ts';
import { transferOwnership } from '../../server/modules/people/people.service.ts';

export default defineTool({
  name: 'set_owner',
  title: 'Transfer ownership',
  description: 'Makes another person the owner; the current owner becomes an admin. Owner only.',
  input: z.object({ personId: IdSchema }).strict(),
  output: z.object({ people: z.array(PersonSchema) }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  write: true,
  permission: 'people:write',
  handler: async (input, ctx) => ({
    people: await transferOwnership({ db: ctx.db, tenant: ctx.tenant, userId: input.personId }),
  }),
  summarize: (o) => `the owner is now ${o.people.find((p) => p.owner)?.email ?? '?'}`,
});
