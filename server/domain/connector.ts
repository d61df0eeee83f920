import { z } from 'zod';
import { CDM_ENTITIES } from './cdm.ts';
import { IdSchema } from './common.ts';

/** Connector definitions: the shape shared by the API, the export format and the MCP tools. */

const Slug = z
  .string()
  .regex(
    /^[a-z][a-z0-9_-]{0,62}$/,
    'lowercase letters, digits, - and _, starting with a letter (max 63)',
  );
const ActionSlug = z
  .string()
  .regex(/^[a-zA-Z][a-zA-Z0-9_]{0,99}$/, 'letters, digits and _, starting with a letter (max 100)');
const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
/** A URL that may hold `{variable}` placeholders for server variables. */
const UrlTemplate = z
  .string()
  .max(2000)
  .regex(/^https?:\/\/\S+$/, 'must be an http(s) URL (may contain {variables})');
const JsonSchema = z.record(z.string(), z.unknown()).describe('A JSON Schema object');
/** Dot path into a JSON document: `data`, `meta.next_cursor`, `items.0.id`. */
const DotPath = z.string().min(1).max(200);
const Template = z.string().max(4000).describe('Text with {{field}} placeholders');

const AuthBase = {
  key: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,40}$/)
    .describe('Identifies this method within the connector, e.g. "api_key" or "oauth2"'),
  label: z.string().max(100).optional(),
};

export const OAuth2MethodSchema = z
  .object({
    ...AuthBase,
    type: z.literal('oauth2'),
    grant: z.enum(['authorization_code', 'client_credentials']).default('authorization_code'),
    authorizeUrl: HttpUrl.optional(),
    tokenUrl: HttpUrl,
    revocationUrl: HttpUrl.optional().describe(
      'Token revocation endpoint (RFC 7009): a deleted connection has its tokens revoked there',
    ),
    scopes: z.array(z.string().max(200)).max(200).default([]),
    scopeSeparator: z.string().max(3).default(' '),
    pkce: z.boolean().default(true),
    tokenAuth: z
      .enum(['basic', 'post'])
      .default('basic')
      .describe('How the client authenticates at the token endpoint: HTTP Basic or form fields'),
    refreshAheadSeconds: z.number().int().min(0).max(3600).default(60),
    expiredSignal: z
      .object({
        status: z.number().int().min(100).max(599).optional(),
        bodyPath: DotPath.optional(),
        bodyValues: z.array(z.string()).max(20).optional(),
      })
      .strict()
      .optional()
      .describe(
        'A response that means "token expired" although it is not a 401, e.g. a 200 with error.code=token_expired',
      ),
    authorizeParams: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const CustomFieldSchema = z
  .object({
    name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,63}$/),
    label: z.string().max(100).optional(),
    secret: z.boolean().default(true),
  })
  .strict();

export const TokenExchangeSchema = z
  .object({
    method: z.enum(['GET', 'POST']).default('POST'),
    url: UrlTemplate,
    headers: z.record(z.string(), Template).optional(),
    body: z.record(z.string(), Template).optional(),
    bodyType: z.enum(['json', 'form']).default('json'),
    tokenPath: DotPath.describe('Where the token is in the response JSON'),
    expiresInPath: DotPath.optional(),
    ttlSeconds: z.number().int().min(1).max(31_536_000).optional(),
  })
  .strict();

export const AuthMethodSchema = z.discriminatedUnion('type', [
  z.object({ ...AuthBase, type: z.literal('none') }).strict(),
  z.object({ ...AuthBase, type: z.literal('basic') }).strict(),
  z.object({ ...AuthBase, type: z.literal('bearer') }).strict(),
  z
    .object({
      ...AuthBase,
      type: z.literal('api_key'),
      in: z.enum(['header', 'query', 'cookie']),
      name: z.string().min(1).max(200).describe('Header, query parameter or cookie name'),
      prefix: z.string().max(50).optional().describe('Put before the key, e.g. "Token "'),
    })
    .strict(),
  OAuth2MethodSchema,
  z
    .object({
      ...AuthBase,
      type: z.literal('custom'),
      fields: z.array(CustomFieldSchema).max(20),
      headers: z.record(z.string(), Template).optional(),
      query: z.record(z.string(), Template).optional(),
      body: z.record(z.string(), Template).optional(),
      tokenExchange: TokenExchangeSchema.optional(),
    })
    .strict(),
]);
export type AuthMethod = z.infer<typeof AuthMethodSchema>;
export type OAuth2Method = z.infer<typeof OAuth2MethodSchema>;
export type AuthMethodType = AuthMethod['type'];

/** Credential fields each method needs when a connection is created. */
export function credentialFieldsOf(
  method: AuthMethod,
): { name: string; secret: boolean; required: boolean }[] {
  switch (method.type) {
    case 'none':
      return [];
    case 'basic':
      return [
        { name: 'username', secret: false, required: true },
        { name: 'password', secret: true, required: true },
      ];
    case 'bearer':
      return [{ name: 'token', secret: true, required: true }];
    case 'api_key':
      return [{ name: 'apiKey', secret: true, required: true }];
    case 'oauth2':
      return [];
    case 'custom':
      return method.fields.map((f) => ({ name: f.name, secret: f.secret, required: true }));
  }
}

export const ParameterSchema = z
  .object({
    name: z.string().min(1).max(200).describe('Key in the action input'),
    in: z.enum(['path', 'query', 'header', 'cookie', 'body']),
    wireName: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Name on the wire when it differs from `name`'),
    required: z.boolean().default(false),
    description: z.string().max(4000).optional(),
    schema: JsonSchema.optional(),
    whole: z.boolean().optional().describe('For in=body: this input is the entire request body'),
  })
  .strict();
export type Parameter = z.infer<typeof ParameterSchema>;

export const PaginationSchema = z.discriminatedUnion('style', [
  z
    .object({
      style: z.literal('cursor'),
      cursorParam: z.string(),
      nextCursorPath: DotPath,
      itemsPath: DotPath,
      limitParam: z.string().optional(),
    })
    .strict(),
  z
    .object({
      style: z.literal('offset'),
      offsetParam: z.string(),
      limitParam: z.string(),
      itemsPath: DotPath,
      totalPath: DotPath.optional(),
    })
    .strict(),
  z
    .object({
      style: z.literal('page'),
      pageParam: z.string(),
      perPageParam: z.string().optional(),
      itemsPath: DotPath,
      hasMorePath: DotPath.optional(),
      firstPage: z.number().int().min(0).default(1),
    })
    .strict(),
  z.object({ style: z.literal('link'), itemsPath: DotPath.optional() }).strict(),
]);
export type Pagination = z.infer<typeof PaginationSchema>;

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

export const ActionInputSchema = z
  .object({
    slug: ActionSlug.describe('camelCase name used as ctx.connectors.<connector>.<slug>(input)'),
    name: z.string().min(1).max(200),
    description: z.string().max(10_000).optional(),
    method: z.enum(HTTP_METHODS),
    path: z
      .string()
      .min(1)
      .max(2000)
      .regex(/^\//, 'must start with /')
      .describe('Path template, e.g. /customers/{id}'),
    parameters: z.array(ParameterSchema).max(500).default([]),
    bodyType: z.enum(['json', 'form']).default('json'),
    inputSchema: JsonSchema.optional().describe(
      'JSON Schema of the whole input; derived from parameters when omitted',
    ),
    outputSchema: JsonSchema.optional(),
    pagination: PaginationSchema.optional(),
    cdmEntity: z.enum(CDM_ENTITIES).optional(),
    tags: z.array(z.string().max(100)).max(50).default([]),
    deprecated: z.boolean().default(false),
  })
  .strict();
export type ActionInput = z.infer<typeof ActionInputSchema>;

export const ActionSchema = ActionInputSchema.extend({
  id: IdSchema,
  connectorId: IdSchema,
  inputSchema: JsonSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Action = z.infer<typeof ActionSchema>;

export const SignatureSchema = z
  .object({
    scheme: z.enum(['hmac-sha256', 'hmac-sha1', 'standard-webhooks', 'none']),
    header: z.string().max(200).optional(),
    prefix: z.string().max(50).optional(),
    encoding: z.enum(['hex', 'base64']).default('hex'),
    secretField: z
      .string()
      .max(100)
      .optional()
      .describe('Connection credential holding the signing secret'),
  })
  .strict();

export const SubscriptionSchema = z.discriminatedUnion('mode', [
  z
    .object({
      mode: z.literal('webhook'),
      subscribeAction: ActionSlug.optional(),
      unsubscribeAction: ActionSlug.optional(),
    })
    .strict(),
  z
    .object({
      mode: z.literal('poll'),
      action: ActionSlug,
      intervalSeconds: z.number().int().min(30).default(300),
    })
    .strict(),
  z.object({ mode: z.literal('manual') }).strict(),
]);

export const EventInputSchema = z
  .object({
    name: z
      .string()
      .regex(
        /^[a-zA-Z0-9_.:/-]{1,200}$/,
        'like order.created or store/cart/created, as the provider sends it',
      ),
    description: z.string().max(10_000).optional(),
    payloadSchema: JsonSchema.optional(),
    subscription: SubscriptionSchema.optional(),
    signature: SignatureSchema.optional(),
  })
  .strict();
export type EventInput = z.infer<typeof EventInputSchema>;

export const EventSchema = EventInputSchema.extend({
  id: IdSchema,
  connectorId: IdSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ConnectorEvent = z.infer<typeof EventSchema>;

export const ServerVariableSchema = z
  .object({
    default: z.string().max(500),
    enum: z.array(z.string().max(500)).max(100).optional(),
    description: z.string().max(1000).optional(),
  })
  .strict();

export const RateLimitSchema = z
  .object({
    requestsPerSecond: z.number().positive().max(10_000),
    burst: z.number().int().min(1).max(10_000).optional(),
  })
  .strict();

const connectorFields = {
  slug: Slug.describe('Unique in the org; used in ctx.connectors.<slug>'),
  name: z.string().trim().min(1).max(200),
  description: z.string().max(10_000).optional(),
  domain: z.string().max(253).optional().describe('e.g. stripe.com'),
  visibility: z.enum(['private', 'public']).default('private'),
  iconUrl: HttpUrl.optional(),
  baseUrl: UrlTemplate.optional().describe('May use {variables} from serverVariables'),
  serverVariables: z.record(z.string(), ServerVariableSchema).default({}),
  authMethods: z.array(AuthMethodSchema).max(10).default([]),
  rateLimit: RateLimitSchema.optional(),
};

function uniqueAuthKeys(methods: readonly AuthMethod[]): boolean {
  return new Set(methods.map((m) => m.key)).size === methods.length;
}

export const CreateConnectorSchema = z
  .object(connectorFields)
  .strict()
  .refine((c) => uniqueAuthKeys(c.authMethods), {
    message: 'auth method keys must be unique',
    path: ['authMethods'],
  });
export type CreateConnector = z.infer<typeof CreateConnectorSchema>;

export const UpdateConnectorSchema = z
  .object({
    name: connectorFields.name.optional(),
    description: z.string().max(10_000).nullable().optional(),
    domain: z.string().max(253).nullable().optional(),
    visibility: z.enum(['private', 'public']).optional(),
    iconUrl: HttpUrl.nullable().optional(),
    baseUrl: UrlTemplate.nullable().optional(),
    serverVariables: z.record(z.string(), ServerVariableSchema).optional(),
    authMethods: z.array(AuthMethodSchema).max(10).optional(),
    rateLimit: RateLimitSchema.nullable().optional(),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one field to change' })
  .refine((v) => v.authMethods === undefined || uniqueAuthKeys(v.authMethods), {
    message: 'auth method keys must be unique',
    path: ['authMethods'],
  });
export type UpdateConnector = z.infer<typeof UpdateConnectorSchema>;

export const ConnectorSchema = z.object({
  id: IdSchema,
  slug: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  domain: z.string().nullable(),
  visibility: z.enum(['private', 'public']),
  iconUrl: z.string().nullable(),
  baseUrl: z.string().nullable(),
  serverVariables: z.record(z.string(), ServerVariableSchema),
  authMethods: z.array(AuthMethodSchema),
  rateLimit: RateLimitSchema.nullable(),
  actionCount: z.number().int(),
  eventCount: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Connector = z.infer<typeof ConnectorSchema>;

/** The export format: one JSON document per connector, versioned, for keeping definitions in git. */
export const CONNECTOR_FORMAT_VERSION = 1;
export const ConnectorDocumentSchema = z
  .object({
    weftConnector: z.literal(CONNECTOR_FORMAT_VERSION).describe('Format version of this document'),
    connector: z.object(connectorFields).strict(),
    actions: z.array(ActionInputSchema).max(5000).default([]),
    events: z.array(EventInputSchema).max(1000).default([]),
  })
  .strict()
  .superRefine((doc, ctx) => {
    if (!uniqueAuthKeys(doc.connector.authMethods)) {
      ctx.addIssue({
        code: 'custom',
        message: 'auth method keys must be unique',
        path: ['connector', 'authMethods'],
      });
    }
    const seen = new Set<string>();
    doc.actions.forEach((a, i) => {
      if (seen.has(a.slug))
        ctx.addIssue({
          code: 'custom',
          message: `duplicate action slug ${a.slug}`,
          path: ['actions', i, 'slug'],
        });
      seen.add(a.slug);
    });
    const names = new Set<string>();
    doc.events.forEach((e, i) => {
      if (names.has(e.name))
        ctx.addIssue({
          code: 'custom',
          message: `duplicate event ${e.name}`,
          path: ['events', i, 'name'],
        });
      names.add(e.name);
    });
  });
export type ConnectorDocument = z.infer<typeof ConnectorDocumentSchema>;

/** The input JSON Schema of an action, derived from its parameters when none is given. */
export function deriveInputSchema(action: ActionInput): Record<string, unknown> {
  if (action.inputSchema !== undefined) return action.inputSchema;
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const p of action.parameters) {
    properties[p.name] = {
      ...(p.schema ?? {}),
      ...(p.description !== undefined && { description: p.description }),
    };
    if (p.required) required.push(p.name);
  }
  return {
    type: 'object',
    properties,
    ...(required.length > 0 && { required }),
    additionalProperties: false,
  };
}
