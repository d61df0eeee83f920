import { z } from 'zod';
import { CursorSchema, IdSchema, JsonObjectSchema, LimitSchema } from './common.ts';

export const CustomerSchema = z
  .object({
    id: IdSchema,
    externalId: z.string().nullable().describe('Your own id for this customer, unique in the org'),
    name: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    gatewayConnectors: z
      .array(z.string())
      .nullable()
      .describe(
        "Connector slugs this customer's MCP gateway exposes; null for every connected one",
      ),
    createdAt: z.string().describe('ISO 8601'),
    updatedAt: z.string().describe('ISO 8601'),
  })
  .describe('A customer (tenant) of your product, who will connect their apps');
export type Customer = z.infer<typeof CustomerSchema>;

export const CreateCustomerSchema = z
  .object({
    name: z.string().trim().min(1).max(255),
    externalId: z
      .string()
      .trim()
      .min(1)
      .max(255)
      .optional()
      .describe('Your id for them, unique in the org'),
    metadata: JsonObjectSchema.optional().describe('Any JSON object, ≤ 16 KiB'),
  })
  .strict();
export type CreateCustomer = z.infer<typeof CreateCustomerSchema>;

export const UpdateCustomerSchema = z
  .object({
    name: z.string().trim().min(1).max(255).optional(),
    externalId: z.string().trim().min(1).max(255).nullable().optional(),
    metadata: JsonObjectSchema.optional().describe('Replaces the whole metadata object'),
    gatewayConnectors: z
      .array(z.string().regex(/^[a-z][a-z0-9_-]{0,62}$/))
      .max(200)
      .nullable()
      .optional()
      .describe("Connector slugs the customer's MCP gateway exposes; null for every connected one"),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'give at least one field to change' });
export type UpdateCustomer = z.infer<typeof UpdateCustomerSchema>;

export const ListCustomersQuerySchema = z
  .object({
    limit: LimitSchema,
    cursor: CursorSchema,
    externalId: z.string().min(1).max(255).optional(),
  })
  .strict();
export type ListCustomersQuery = z.infer<typeof ListCustomersQuerySchema>;
