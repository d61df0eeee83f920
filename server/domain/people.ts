import { z } from 'zod';
import { IdSchema } from './common.ts';
import { PERMISSIONS } from './tenant.ts';

export const PermissionSchema = z.enum(PERMISSIONS);

export const RoleSlugSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,39}$/, 'lowercase letters, digits and _, starting with a letter')
  .describe('A system role (owner, admin, developer, operator, viewer, end_user) or a custom one');

const EmailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(3)
  .max(320)
  .regex(/^[^\s@]+@[^\s@]+$/, 'an email address');

export const PasswordSchema = z
  .string()
  .min(10, 'at least 10 characters')
  .max(200)
  .describe('At least 10 characters');

export const PersonSchema = z
  .object({
    id: IdSchema,
    email: z.string(),
    name: z.string().nullable(),
    role: z.string(),
    owner: z.boolean().describe('The one owner of the organization'),
    canSignIn: z.boolean().describe('Whether the person has chosen a password'),
    joinedAt: z.string(),
  })
  .describe('A person in the organization');
export type Person = z.infer<typeof PersonSchema>;

export const InvitePersonSchema = z
  .object({
    email: EmailSchema,
    role: RoleSlugSchema.refine((r) => r !== 'owner', {
      message: 'there is one owner; invite as admin, then transfer ownership',
    }),
  })
  .strict();
export type InvitePerson = z.infer<typeof InvitePersonSchema>;

export const InvitationSchema = z
  .object({
    id: IdSchema,
    email: z.string(),
    role: z.string(),
    invitedBy: z.string().nullable(),
    createdAt: z.string(),
    expiresAt: z.string(),
    acceptedAt: z.string().nullable(),
  })
  .describe('A one-time invitation link (its token is never shown again)');
export type Invitation = z.infer<typeof InvitationSchema>;

export const CreatedInvitationSchema = InvitationSchema.extend({
  link: z.string().describe('The one-time link to send the person (no mail is sent)'),
});
export type CreatedInvitation = z.infer<typeof CreatedInvitationSchema>;

export const ChangeRoleSchema = z.object({ role: RoleSlugSchema }).strict();

export const TransferOwnershipSchema = z
  .object({ userId: IdSchema.describe('The person who becomes the owner') })
  .strict();

export const RoleSchema = z
  .object({
    slug: z.string(),
    name: z.string(),
    description: z.string(),
    system: z.boolean().describe('System roles cannot be changed; duplicate one as custom'),
    permissions: z.array(PermissionSchema),
    people: z.number().int().describe('How many people hold it'),
  })
  .describe('A role: what the people who hold it may do');
export type RoleDefinition = z.infer<typeof RoleSchema>;

export const CreateRoleSchema = z
  .object({
    slug: RoleSlugSchema,
    name: z.string().trim().min(1).max(100),
    description: z.string().trim().max(500).default(''),
    permissions: z.array(PermissionSchema).max(PERMISSIONS.length),
  })
  .strict();
export type CreateRole = z.infer<typeof CreateRoleSchema>;

export const UpdateRoleSchema = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    description: z.string().trim().max(500).optional(),
    permissions: z.array(PermissionSchema).max(PERMISSIONS.length).optional(),
  })
  .strict();
export type UpdateRole = z.infer<typeof UpdateRoleSchema>;

export const DuplicateRoleSchema = z
  .object({ slug: RoleSlugSchema, name: z.string().trim().min(1).max(100) })
  .strict();

export const SignInSchema = z
  .object({
    email: EmailSchema,
    password: z.string().min(1).max(200),
    orgId: IdSchema.optional().describe('When the email belongs to people in several orgs'),
  })
  .strict();
export type SignIn = z.infer<typeof SignInSchema>;

export const AcceptInvitationSchema = z
  .object({
    token: z.string().min(20).max(200),
    password: PasswordSchema,
    name: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
export type AcceptInvitation = z.infer<typeof AcceptInvitationSchema>;

export const SessionInfoSchema = z
  .object({
    user: z.object({ id: IdSchema, email: z.string(), name: z.string().nullable() }),
    org: z.object({ id: IdSchema, name: z.string() }),
    role: z.string(),
    permissions: z.array(PermissionSchema),
    csrfToken: z
      .string()
      .nullable()
      .describe('Send it as x-weft-csrf on every write made with the session cookie'),
  })
  .describe('Who is signed in');
export type SessionInfo = z.infer<typeof SessionInfoSchema>;
