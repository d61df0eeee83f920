import { z } from 'zod';

const Slug = z.string().min(1).max(100);

/** What a customer's MCP gateway offers: actions chosen per connector, and workflows as tools. */
export const SetGatewayOfferSchema = z
  .object({
    actions: z
      .record(Slug, z.array(Slug).max(2000).nullable())
      .optional()
      .describe('connector slug → action slugs ([]: none; null: GET only again); others unchanged'),
    workflows: z.array(Slug).max(200).optional().describe('Replaces the list'),
  })
  .strict();
export type SetGatewayOffer = z.infer<typeof SetGatewayOfferSchema>;

export const GatewayOfferSchema = z.object({
  customerId: z.uuid(),
  connectors: z.array(
    z.object({
      connector: z.string(),
      chosen: z.boolean().describe('false: the default applies (GET actions only)'),
      offered: z.array(z.string()),
      notOffered: z.array(z.string()),
    }),
  ),
  workflows: z.array(z.object({ workflow: z.string(), tool: z.string() })),
});
export type GatewayOffer = z.infer<typeof GatewayOfferSchema>;

export interface StoredGatewayOffer {
  actions: Record<string, string[]>;
  workflows: string[];
}

/** The default for a connector nobody chose for: read-only (GET and HEAD) actions. */
export function offeredByDefault(method: string): boolean {
  return method === 'GET' || method === 'HEAD';
}

/** `workflow__<slug>`, the gateway tool name of an offered workflow. */
export function workflowToolName(slug: string): string {
  return `workflow__${slug}`.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64);
}
