import { z } from 'zod';
import { IdSchema } from './common.ts';
import { CONNECTION_STATUSES } from './connection.ts';
import { ScheduleSchema } from './trigger.ts';
import { ENVIRONMENTS } from './workflow.ts';

const Slug = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,63}$/, 'lowercase letters, digits, - and _, starting with a letter');

/** An origin as a browser sends it: scheme, host and port, nothing else. */
export const OriginSchema = z
  .string()
  .max(300)
  .refine((text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === text;
    } catch {
      return false;
    }
  }, 'an origin: https://app.example.com (scheme, host and port; no path or trailing slash)');

const Colour = z
  .string()
  .regex(/^#[0-9a-fA-F]{3,8}$/, 'a hex colour such as #4f46e5')
  .describe('Hex colour');

export const BrandingSchema = z
  .object({
    title: z.string().trim().min(1).max(120).default('Connect your apps'),
    subtitle: z.string().trim().max(300).default(''),
    logoUrl: z
      .url({ protocol: /^https$/ })
      .max(2000)
      .optional()
      .describe('https image shown in the header'),
    primaryColor: Colour.default('#4f46e5'),
    backgroundColor: Colour.default('#ffffff'),
    textColor: Colour.default('#111827'),
    fontFamily: z
      .string()
      .max(200)
      .regex(/^[A-Za-z0-9 ,'"-]+$/, 'a CSS font-family list such as "Inter, sans-serif"')
      .default('system-ui, sans-serif'),
  })
  .strict();
export type Branding = z.infer<typeof BrandingSchema>;

export const WidgetWorkflowSchema = z
  .object({
    workflow: z.string().min(1).max(100).describe('Workflow slug or id (published and deployed)'),
    environment: z.enum(ENVIRONMENTS).default('production'),
    events: z
      .array(z.string().min(1).max(200))
      .max(20)
      .default([])
      .describe(
        "Connector events that start this workflow on the customer's connection (an app-event trigger each, subscribed at the provider)",
      ),
    schedule: ScheduleSchema.optional().describe(
      'Runs the workflow on this schedule for the customer (the onboarding may change it)',
    ),
    runOnConnect: z
      .boolean()
      .default(false)
      .describe('Run once when the customer connects (input.lifecycle = "connected")'),
    runOnDisconnect: z
      .boolean()
      .default(false)
      .describe('Run once when the customer disconnects (input.lifecycle = "disconnected")'),
  })
  .strict();
export type WidgetWorkflow = z.infer<typeof WidgetWorkflowSchema>;

export const WidgetConnectorSchema = z
  .object({
    connector: z.string().min(1).max(100).describe('Connector slug'),
    authMethod: z
      .string()
      .max(41)
      .optional()
      .describe("Auth method key; defaults to the connector's first"),
    scopes: z.array(z.string().max(200)).max(100).default([]).describe('OAuth scopes to ask for'),
    workflows: z.array(WidgetWorkflowSchema).max(20).default([]),
  })
  .strict();
export type WidgetConnector = z.infer<typeof WidgetConnectorSchema>;

export const OnboardingSchema = z
  .object({
    enabled: z.boolean().default(false),
    filters: z
      .array(
        z
          .object({
            label: z.string().min(1).max(120),
            filter: z
              .string()
              .max(2000)
              .optional()
              .describe('JSONata over { body, headers }; absent: everything'),
          })
          .strict(),
      )
      .max(10)
      .default([])
      .describe('Choices for "what should we sync?"'),
    fields: z
      .array(z.string().min(1).max(100))
      .max(50)
      .default([])
      .describe('Fields the customer may pick'),
  })
  .strict();
export type Onboarding = z.infer<typeof OnboardingSchema>;

const widgetFields = {
  name: z.string().trim().min(1).max(200),
  level: z
    .enum(['org', 'user'])
    .default('org')
    .describe('org: one connection per customer; user: one per end user'),
  connectors: z.array(WidgetConnectorSchema).min(1).max(50),
  branding: BrandingSchema.default(BrandingSchema.parse({})),
  allowedOrigins: z
    .array(OriginSchema)
    .max(20)
    .default([])
    .describe('Origins that may frame it and call its API (none: no framing)'),
  onboarding: OnboardingSchema.default(OnboardingSchema.parse({})),
};

export const CreateWidgetSchema = z.object({ slug: Slug, ...widgetFields }).strict();
export type CreateWidget = z.infer<typeof CreateWidgetSchema>;

export const UpdateWidgetSchema = z
  .object({
    name: widgetFields.name.optional(),
    level: z.enum(['org', 'user']).optional(),
    connectors: z.array(WidgetConnectorSchema).min(1).max(50).optional(),
    branding: BrandingSchema.optional(),
    allowedOrigins: z.array(OriginSchema).max(20).optional(),
    onboarding: OnboardingSchema.optional(),
  })
  .strict();
export type UpdateWidget = z.infer<typeof UpdateWidgetSchema>;

export const WidgetSchema = z.object({
  id: IdSchema,
  slug: z.string(),
  name: z.string(),
  level: z.enum(['org', 'user']),
  connectors: z.array(WidgetConnectorSchema),
  branding: BrandingSchema,
  allowedOrigins: z.array(z.string()),
  onboarding: OnboardingSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Widget = z.infer<typeof WidgetSchema>;

export const MintTokenSchema = z
  .object({
    widget: z.string().min(1).max(100),
    customerId: IdSchema,
    endUserId: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[\w.@:+-]+$/, 'letters, digits and . _ @ : + -')
      .optional()
      .describe("Your id for the customer's user (user-level widgets)"),
    ttlSeconds: z
      .number()
      .int()
      .min(30)
      .max(3600)
      .default(600)
      .describe('Seconds, 30 to 3600 (default 600)'),
  })
  .strict();
export type MintToken = z.infer<typeof MintTokenSchema>;

export const MintedTokenSchema = z.object({
  token: z.string().describe('Give this to the page that opens the widget; it carries no secret'),
  jti: IdSchema.describe('The token id, to revoke it'),
  expiresAt: z.string(),
  url: z.string().describe('The hosted widget page for this token (to frame or open)'),
});
export type MintedToken = z.infer<typeof MintedTokenSchema>;

// ---- what the widget itself sees --------------------------------------------------------------

export const WidgetFieldSchema = z.object({
  name: z.string(),
  label: z.string(),
  secret: z.boolean(),
  required: z.boolean(),
});

export const WidgetConnectorViewSchema = z.object({
  connector: z.string(),
  name: z.string(),
  iconUrl: z.string().nullable(),
  authType: z.enum(['oauth2', 'form', 'none']),
  fields: z.array(WidgetFieldSchema),
  connection: z
    .object({
      id: IdSchema,
      status: z.enum(CONNECTION_STATUSES),
      statusReason: z.string().nullable(),
      createdAt: z.string(),
    })
    .nullable(),
  activity: z
    .array(z.object({ text: z.string(), status: z.string(), at: z.string() }))
    .describe('Recent runs for this customer, in plain words, newest first'),
});
export type WidgetConnectorView = z.infer<typeof WidgetConnectorViewSchema>;

export const WidgetSessionSchema = z.object({
  widget: z.object({
    name: z.string(),
    level: z.enum(['org', 'user']),
    branding: BrandingSchema,
    allowedOrigins: z.array(z.string()),
    onboarding: z.boolean(),
  }),
  customer: z.object({ id: IdSchema, name: z.string() }),
  endUserId: z.string().nullable(),
  expiresAt: z.string(),
  connectors: z.array(WidgetConnectorViewSchema),
});
export type WidgetSession = z.infer<typeof WidgetSessionSchema>;

export const WidgetConnectSchema = z
  .object({
    connector: z.string().min(1).max(100),
    credentials: z.record(z.string().max(64), z.string().min(1).max(16_384)).default({}),
  })
  .strict();

/** What a customer chose in the onboarding chat; their workflows get it on activation. */
export const CustomerSettingsSchema = z.object({
  filter: z.string().optional(),
  filterLabel: z.string().optional(),
  fields: z.array(z.string()).optional(),
  schedule: ScheduleSchema.optional(),
});
export type CustomerSettings = z.infer<typeof CustomerSettingsSchema>;

export const OnboardingTurnSchema = z
  .object({ text: z.string().max(2000).default('') })
  .strict()
  .describe('What the customer typed or chose; empty to (re)start the conversation');

export const OnboardingReplySchema = z.object({
  say: z.string(),
  choices: z.array(z.string()),
  multiple: z.boolean(),
  done: z.boolean(),
  settings: z.record(z.string(), z.unknown()),
});
export type OnboardingReply = z.infer<typeof OnboardingReplySchema>;
