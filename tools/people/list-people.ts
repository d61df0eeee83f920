import { z } from 'zod';
import { defineTool } from '../define-tool.ts';
import { InvitationSchema, PersonSchema } from '../../server/domain/people.ts';
import { listInvitations, listPeople } from '../../server/modules/people/people.service.ts';

export default defineTool({
  name: 'list_people',
  title: 'List people',
  description: "The org's people with their roles, and pending invitations.",
  input: z.object({}).strict(),
  output: z.object({ people: z.array(PersonSchema), invitations: z.array(InvitationSchema) }),
  annotations: { readOnlyHint: true, idempotentHint: true },
  permission: 'people:read',
  handler: async (_input, ctx) => ({
    people: await listPeople({ db: ctx.db, tenant: ctx.tenant }),
    invitations: await listInvitations({ db: ctx.db, tenant: ctx.tenant }),
  }),
  summarize: (o) => `${o.people.length} people, ${o.invitations.length} open invitations`,
});
