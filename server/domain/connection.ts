import { z } from 'zod';
import { IdSchema } from './common.ts';

export const CONNECTION_STATUSES = ['pending', 'active', 'error', 'expired', 'revoked'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

/** Which status may follow which; anything else is a bug. */
export const CONNECTION_TRANSITIONS: Record<ConnectionStatus, readonly ConnectionStatus[]> = {
  pending: ['active', 'error', 'expired', 'revoked'],
  active: ['active', 'error', 'expired', 'revoked'],
  error: ['active', 'error', 'expired', 'revoked'],
  expired: ['active', 'expired', 'revoked'],
  revoked: [],
};

export const ConnectionSchema = z
  .object({
    id: IdSchema,
    connectorId: IdSchema,
    connector: z.string().describe('Connector slug'),
    customerId: IdSchema.nullable().describe("null for the org's own test connection"),
    name: z.string(),
    authMethod: z.string().describe('Key of the connector auth method in use'),
    status: z.enum(CONNECTION_STATUSES),
    statusReason: z.string().nullable(),
    credentialFields: z
      .array(z.string())
      .describe('Names of the stored credential fields (never their values)'),
    config: z.record(z.string(), z.unknown()),
    tokenExpiresAt: z.string().nullable(),
    lastRefreshedAt: z.string().nullable(),
    reconnectUrl: z
      .string()
      .nullable()
      .describe('Where to send the user to authorize again, when expired'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .describe('A connector authorized for one customer (credentials are never returned)');
export type Connection = z.infer<typeof ConnectionSchema>;

const CredentialValue = z.string().min(1).max(16_384);

export const CreateConnectionSchema = z
  .object({
    connector: z.string().min(1).max(100).describe('Connector id or slug'),
    customerId: IdSchema.nullable().default(null),
    name: z.string().trim().min(1).max(200).optional(),
    authMethod: z.string().max(41).optional().describe("Default: the connector's first"),
    credentials: z
      .record(z.string().max(64), CredentialValue)
      .default({})
      .describe(
        'apiKey for api_key, username/password for basic, token for bearer, the declared fields for custom',
      ),
    config: z
      .object({ serverVariables: z.record(z.string(), z.string().max(500)).optional() })
      .strict()
      .default({}),
  })
  .strict();
export type CreateConnection = z.infer<typeof CreateConnectionSchema>;

export const ListConnectionsQuerySchema = z
  .object({
    customerId: IdSchema.optional(),
    connector: z.string().max(100).optional(),
  })
  .strict();

export const OAuthAppSchema = z.object({
  connectorId: IdSchema,
  clientId: z.string(),
  hasClientSecret: z.boolean(),
  authorizeUrl: z.string().nullable(),
  tokenUrl: z.string().nullable(),
  scopes: z.array(z.string()),
  updatedAt: z.string(),
});
export type OAuthApp = z.infer<typeof OAuthAppSchema>;

export const PutOAuthAppSchema = z
  .object({
    clientId: z.string().min(1).max(500),
    clientSecret: z.string().min(1).max(2000).optional(),
    authorizeUrl: z.url({ protocol: /^https?$/ }).optional(),
    tokenUrl: z.url({ protocol: /^https?$/ }).optional(),
    scopes: z.array(z.string().max(200)).max(200).optional(),
  })
  .strict();
export type PutOAuthApp = z.infer<typeof PutOAuthAppSchema>;

export const StartOAuthQuerySchema = z
  .object({
    connector: z.string().min(1).max(100).optional(),
    customerId: IdSchema.optional(),
    connectionId: IdSchema.optional().describe(
      'Re-authorize an existing connection instead of creating one',
    ),
    redirectUri: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        'Callback URL registered at the provider; defaults to this server’s /api/v1/oauth/callback',
      ),
    returnUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('Where to send the user after the callback'),
  })
  .strict()
  .refine((q) => q.connectionId !== undefined || q.connector !== undefined, {
    message: 'give connector (and customerId) or connectionId',
  });

/** Where to send the user to authorize, and the connection that waits for the callback. */
export const OAuthStartSchema = z.object({
  url: z.string(),
  connectionId: z.string(),
  expiresAt: z.string(),
});

export const ProxyRequestSchema = z
  .object({
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']),
    path: z
      .string()
      .min(1)
      .max(4000)
      .regex(/^\//, 'must start with / (relative to the connector base URL)'),
    query: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
    headers: z.record(z.string(), z.string().max(8000)).optional(),
    body: z.unknown().optional(),
    bodyType: z.enum(['json', 'form']).default('json'),
  })
  .strict();
export type ProxyRequest = z.infer<typeof ProxyRequestSchema>;

export const RunActionSchema = z
  .object({
    input: z.record(z.string(), z.unknown()).default({}),
    allPages: z
      .boolean()
      .default(false)
      .describe('Follow pagination and return every item (up to maxItems)'),
    maxItems: z.number().int().min(1).max(10_000).default(1000),
  })
  .strict();

export const CallResultSchema = z.object({
  status: z.number().int(),
  ok: z.boolean(),
  headers: z.record(z.string(), z.string()),
  body: z.unknown(),
  attempts: z.number().int(),
  durationMs: z.number(),
  traceId: z.string(),
  items: z.array(z.unknown()).optional(),
  pages: z.number().int().optional(),
});
export type CallResult = z.infer<typeof CallResultSchema>;

/** One outbound request of a call, as its trace records it (secrets masked). */
export const TraceSpanSchema = z.object({
  traceId: z.string(),
  kind: z.string(),
  name: z.string(),
  method: z.string(),
  url: z.string(),
  requestHeaders: z
    .record(z.string(), z.string())
    .optional()
    .describe('Headers sent; credentials masked to prefix + last 4 (Token ****1234)'),
  status: z.number().nullable(),
  durationMs: z.number(),
  attempts: z.number(),
  error: z.string().nullable(),
  startedAt: z.string(),
  connectionId: z.string().nullable(),
  connectorId: z.string().nullable(),
  customerId: z.string().nullable(),
});
