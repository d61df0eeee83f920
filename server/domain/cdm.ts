import { z } from 'zod';

/** The canonical entities: the one list the importers, the CDM library, routes and tools use. */
export const CDM_ENTITIES = [
  'Contact',
  'Product',
  'Order',
  'Invoice',
  'InventoryLevel',
  'Fulfillment',
] as const;
export type CdmEntity = (typeof CDM_ENTITIES)[number];

export const MappingDirectionSchema = z.enum(['to_canonical', 'from_canonical']);

export const EntityNameSchema = z
  .string()
  .min(1)
  .max(50)
  .describe(`One of ${CDM_ENTITIES.join(', ')}`);

export const MappingFieldsSchema = z
  .record(z.string().min(1).max(200), z.string().min(1).max(4000))
  .describe('Target field → JSONata expression over the source record');

export const EntityListSchema = z.object({
  data: z.array(z.object({ name: z.string(), coreFields: z.array(z.string()) })),
});

/** One saved version of a mapping. */
export const MappingSchema = z.object({
  id: z.string(),
  connectorId: z.string(),
  entity: z.string(),
  direction: MappingDirectionSchema,
  version: z.number(),
  fields: z.record(z.string(), z.string()),
  note: z.string().nullable(),
  createdAt: z.string(),
});

export const SuggestRequestSchema = z
  .object({
    connector: z.string().min(1).max(100),
    action: z.string().min(1).max(100).describe('A get or list action returning the resource'),
    entity: EntityNameSchema.optional().describe("Default: the action's cdmEntity"),
    body: z
      .boolean()
      .default(false)
      .describe('Suggest on the request body (a write-only resource) for a from_canonical mapping'),
    samples: z
      .array(z.unknown())
      .max(50)
      .default([])
      .describe('Example records to confirm name matches'),
  })
  .strict();

export const SuggestionSchema = z.object({
  entity: z.string(),
  recordPath: z
    .string()
    .nullable()
    .describe(
      "Where one record sits in the action's response (data[], or [] for a top-level array): source paths are relative to it. Null when the response is one record",
    ),
  note: z.string().optional(),
  fields: z.array(
    z.object({
      cdmField: z.string(),
      sourcePath: z.string(),
      confidence: z.number(),
      evidence: z.array(z.string()),
      expression: z.string().optional(),
      note: z.string().optional(),
    }),
  ),
  mapping: z
    .record(z.string(), z.string())
    .describe('Target field → expression: pass as `fields` to preview_mapping, then save_mapping'),
  unmatchedEnumValues: z.record(z.string(), z.array(z.string())).optional(),
  reason: z.string().optional().describe('Why nothing was suggested'),
  nextStep: z.string().optional(),
});

export const PreviewSchema = z.object({
  data: z.array(
    z.object({
      field: z.string(),
      expression: z.string(),
      source: z.unknown().optional(),
      result: z.unknown(),
      error: z.string().optional(),
    }),
  ),
  warnings: z
    .array(z.string())
    .describe('Problems of the mapping as a whole, such as mapping nothing from this record'),
});

export const SaveMappingSchema = z
  .object({
    connector: z.string().min(1).max(100),
    entity: EntityNameSchema,
    direction: MappingDirectionSchema,
    fields: MappingFieldsSchema,
    note: z.string().max(1000).optional(),
  })
  .strict();

export const PreviewRequestSchema = z
  .object({
    entity: EntityNameSchema,
    direction: MappingDirectionSchema,
    fields: MappingFieldsSchema.optional().describe(
      'Expressions to try; default: the saved mapping',
    ),
    connector: z.string().min(1).max(100).optional(),
    customerId: z.uuid().optional().describe("With this customer's overrides"),
    record: z.unknown().optional().describe('Or give connectionId + action'),
    connectionId: z.uuid().optional().describe('Fetch live records with it and action'),
    action: z.string().min(1).max(100).optional().describe('Action (slug or id) to fetch with'),
    input: z.record(z.string(), z.unknown()).optional(),
    maxRecords: z.number().int().min(1).max(20).default(5),
  })
  .strict();

export const LivePreviewSchema = PreviewSchema.extend({
  samples: z
    .array(
      z.object({
        index: z.number(),
        errors: z.array(z.object({ field: z.string(), error: z.string() })),
      }),
    )
    .optional()
    .describe('Each live record previewed, with its failed fields (data shows the first)'),
  traceId: z.string().optional(),
});

export const MappingListSchema = z.object({
  data: z.array(MappingSchema.extend({ connector: z.string() })),
});
