import { z } from 'zod';
import { IdSchema } from './common.ts';
import { PasswordSchema } from './people.ts';

export const ChangePasswordSchema = z
  .object({
    currentPassword: z.string().min(1).max(200),
    newPassword: PasswordSchema,
  })
  .strict();
export type ChangePassword = z.infer<typeof ChangePasswordSchema>;

export const AccountSessionSchema = z
  .object({
    id: IdSchema,
    createdAt: z.string(),
    expiresAt: z.string(),
    current: z.boolean().describe('The session this request was made with'),
    userAgent: z.string().nullable().describe('The browser that signed in, as it named itself'),
    ip: z.string().nullable().describe('The address it signed in from, as the server saw it'),
  })
  .describe('A signed-in session of yours (a browser holding the cookie)');
export type AccountSession = z.infer<typeof AccountSessionSchema>;

export const McpClientGrantSchema = z
  .object({
    id: IdSchema.describe('The grant: revoke it to end the client’s access and refresh tokens'),
    clientId: z.string(),
    clientName: z.string().nullable(),
    resource: z.string().describe('The MCP endpoint the client may call'),
    createdAt: z.string().describe('When you allowed it'),
    lastRefreshedAt: z
      .string()
      .describe('When it last got a token (its last refresh); calls themselves are not recorded'),
    expiresAt: z.string().describe('When its refresh token expires, unless it refreshes first'),
  })
  .describe('An MCP client you authorized (OAuth)');
export type McpClientGrant = z.infer<typeof McpClientGrantSchema>;

export const DeleteOrganizationSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(200)
      .describe('The organization’s name, typed back exactly, to confirm'),
  })
  .strict();
export type DeleteOrganization = z.infer<typeof DeleteOrganizationSchema>;
