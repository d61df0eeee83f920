import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { IdSchema } from '../../server/domain/common.ts';
import { removePerson } from '../../server/modules/people/people.service.ts';

export default defineTool({
  name: 'delete_person',
  title: 'Remove person',
  description: 'Removes a person; their API keys and sessions stop at once. Not the owner.',
  input: z.object({ personId: IdSchema }).strict(),
  output: z.object({ deleted: z.literal(true), personId: IdSchema }),
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  write: true,
  permission: 'people:write',
  handler: async (input, ctx) => {
    await removePerson({ db: ctx.db, tenant: ctx.tenant, userId: input.personId });
    return { deleted: true as const, personId: input.personId };
  },
  summarize: (o) => `removed ${o.personId}`,
});
