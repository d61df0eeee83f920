import { z } from 'zod';

/**
 * Action tests: one action called with generated input, against a mock built from the
 * connector's source spec or through a real connection, judged and kept for later comparison.
 */

/** Why a test failed, in the terms a connector author fixes things in. */
export const ERROR_CLASSES = [
  'auth',
  'base_url',
  'path',
  'method',
  'parameter_location',
  'input_schema',
  'output_schema',
  'rate_limit',
  'network',
] as const;
export const ErrorClassSchema = z
  .enum(ERROR_CLASSES)
  .describe(
    'auth: credentials missing or in the wrong place; base_url: the base URL/path is wrong; path: no such path; method: the path has no such method; parameter_location: a parameter sent in the wrong place (query vs body vs header); input_schema: a required parameter or body missing or invalid; output_schema: the answer does not match the action outputSchema; rate_limit: 429; network: the API could not be reached',
  );
export type ErrorClass = z.infer<typeof ErrorClassSchema>;

export const TestActionsInputSchema = z
  .object({
    connector: z.string().min(1).max(100).describe('Connector id or slug'),
    connectionId: z.uuid().optional().describe('Real API, real credentials'),
    mock: z.boolean().optional().describe('Against a mock of the imported spec (no credentials)'),
    actions: z
      .array(z.string().min(1).max(100))
      .min(1)
      .max(500)
      .optional()
      .describe('Default: every GET/HEAD action; writes only if listed, with mock: true'),
    authMethod: z
      .string()
      .max(41)
      .optional()
      .describe('Mock runs: the auth method key (default: the first)'),
  })
  .strict();
export type TestActionsInput = z.infer<typeof TestActionsInputSchema>;

export const RecordedRequestSchema = z.object({
  method: z.string(),
  url: z.string(),
  headers: z.record(z.string(), z.string()),
  body: z.string().nullable(),
});
export type RecordedRequest = z.infer<typeof RecordedRequestSchema>;

export const RecordedResponseSchema = z.object({
  status: z.number().int(),
  headers: z.record(z.string(), z.string()),
  /** The body as JSON when it was JSON and small enough, else a text prefix. */
  body: z.unknown(),
  truncated: z.boolean(),
});
export type RecordedResponse = z.infer<typeof RecordedResponseSchema>;

export const DriftSchema = z.object({
  previousTestId: z.uuid(),
  previousAt: z.string(),
  statusChanged: z.boolean(),
  /** The shape of the answer (keys and types) differs from the previous run's. */
  shapeChanged: z.boolean(),
  versionChanged: z.boolean(),
});

export const ActionTestResultSchema = z.object({
  testId: z.uuid().nullable().describe('Stored test (null in a dry run or when skipped)'),
  action: z.string(),
  method: z.string(),
  path: z.string(),
  outcome: z.enum(['pass', 'fail', 'skipped']),
  status: z.number().int().nullable(),
  latencyMs: z.number(),
  outputConforms: z
    .boolean()
    .nullable()
    .describe('Whether the answer matches the action outputSchema (null: no schema or no answer)'),
  errorClass: ErrorClassSchema.nullable(),
  error: z.string().nullable(),
  input: z.record(z.string(), z.unknown()),
  request: RecordedRequestSchema.nullable(),
  response: RecordedResponseSchema.nullable(),
  drift: DriftSchema.nullable().describe('Compared with the previous test of this action, if any'),
});
export type ActionTestResult = z.infer<typeof ActionTestResultSchema>;

export const TestActionsResultSchema = z.object({
  connectorId: z.uuid(),
  connectorVersion: z.string().describe('Content hash of the connector and its actions'),
  target: z.enum(['mock', 'connection']),
  passed: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  results: z.array(ActionTestResultSchema),
  specFindings: z
    .array(
      z.object({
        severity: z.enum(['error', 'warning']),
        path: z.string(),
        message: z.string(),
      }),
    )
    .describe('Mock runs: where the source spec itself is wrong (first 50)'),
});
export type TestActionsResult = z.infer<typeof TestActionsResultSchema>;

export const StoredActionTestSchema = z.object({
  id: z.uuid(),
  connectorId: z.uuid(),
  action: z.string(),
  connectorVersion: z.string(),
  target: z.enum(['mock', 'connection']),
  connectionId: z.uuid().nullable(),
  passed: z.boolean(),
  status: z.number().int().nullable(),
  latencyMs: z.number(),
  outputConforms: z.boolean().nullable(),
  errorClass: ErrorClassSchema.nullable(),
  error: z.string().nullable(),
  input: z.record(z.string(), z.unknown()),
  request: RecordedRequestSchema.nullable(),
  response: RecordedResponseSchema.nullable(),
  createdAt: z.string(),
});
export type StoredActionTest = z.infer<typeof StoredActionTestSchema>;
