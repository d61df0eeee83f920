import { defineTool } from '../define-tool.ts';
import { CreatedInvitationSchema, InvitePersonSchema } from '../../server/domain/people.ts';
import { invitePerson } from '../../server/modules/people/people.service.ts';
import { baseUrlOf } from './base-url.ts';

export default defineTool({
  name: 'create_invitation',
  title: 'Invite person',
  description:
    'Invites a person by email with a role; answers the one-time link to give them (no mail is sent; valid 7 days).',
  input: InvitePersonSchema,
  output: CreatedInvitationSchema,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  write: true,
  permission: 'people:write',
  handler: (input, ctx) =>
    invitePerson({ db: ctx.db, tenant: ctx.tenant, input, baseUrl: baseUrlOf(ctx) }),
  summarize: (o) => `invited ${o.email} as ${o.role}: ${o.link}`,
});
