// Reference documents an agent reads as MCP resources before writing a mapping or a workflow:
// the helpers' signatures and the ctx API. The ctx declarations are the very text publish
// type-checks against (server/runtime/sandbox/ctx-declarations.ts), so the two cannot drift.
import { CTX_DECLARATIONS } from '../../server/runtime/sandbox/ctx-declarations.ts';

export const MAPPING_HELPERS_DOC = `# Mapping expressions and helpers

A mapping is target field → JSONata expression, evaluated on ONE source record (for a list
action: one item of the list, not the response). A plain path (\`email\`, \`billing.email\`) is an
expression. Target \`lineItems[]\` selects the source array; \`lineItems[].x\` is then evaluated per
element (the element is the input; \`$record\` is the whole record).

Canonical types: money is an INTEGER in minor units (cents) plus \`currency\` (ISO 4217);
timestamps are ISO 8601 with offset; enums take only the entity's values (get_cdm_schema).

| Helper | Signature | Use |
| --- | --- | --- |
| \`$toMinor\` | \`$toMinor(amount: number \\| string, currency: string): integer\` | "19.99", "USD" → 1999 (JPY: 0 decimals, KWD: 3) |
| \`$fromMinor\` | \`$fromMinor(minor: integer, currency: string): number\` | 1999, "USD" → 19.99 (from_canonical) |
| \`$toIso\` | \`$toIso(value: string \\| number): string\` | ISO strings, dates, unix seconds or ms → ISO 8601 UTC |
| \`$toUnix\` | \`$toUnix(value): integer\` | → unix seconds |
| \`$toUnixMs\` | \`$toUnixMs(value): integer\` | → unix milliseconds |
| \`$mapEnum\` | \`$mapEnum(value, table: object, fallback?): any\` | \`$mapEnum(status, {"canceled": "cancelled", "completed": "fulfilled"}, "other")\`; exact key, then case-insensitive; else fallback (else the value itself) |
| \`$splitName\` | \`$splitName(full: string): {first, last}\` | \`$splitName(name).first\` |
| \`$joinName\` | \`$joinName(first, last): string\` | "Ada", "Lovelace" → "Ada Lovelace" |

JSONata built-ins work too: \`$string(x)\` (a numeric id → text), \`$number(x)\` ("3" → 3),
\`$lowercase\`, \`$substring\`, conditionals \`a ? b : c\`, \`$exists(x)\`.

undefined in → the field is left out; null in → null. A helper that cannot read its input fails
that one field (preview_mapping shows which).

Workflow: suggest_mapping { connector, action } → its \`mapping\` → preview_mapping { fields,
connectionId, action } (live records; every sample clean) → save_mapping.
`;

export const WORKFLOW_CTX_DOC = `# Workflow code and ctx

A workflow is one TypeScript (or JavaScript) module whose default export is an async function
of \`ctx\`; what it returns (JSON) is the run's output. No imports: everything goes through ctx.

\`\`\`ts
export default async (ctx: WorkflowContext) => {
  const res = await ctx.connectors.shop.list_orders({ limit: 5 });
  if (!res.ok) throw new Error(\`list_orders answered \${res.status}\`);
  const orders = [];
  for (const record of res.body.data)
    orders.push(await ctx.cdm.toCanonical({ connector: 'shop', entity: 'Order', record }));
  return { orders };
};
\`\`\`

publish_workflow type-checks the code against the declarations below (an untyped first
parameter is taken as WorkflowContext): a wrong ctx call is refused with its line and column
before anything runs. run_workflow needs customerId for ctx.connectors (the customer's
connections).

## Declarations

\`\`\`ts
${CTX_DECLARATIONS}\`\`\`
`;

export const DOC_RESOURCES = [
  {
    uri: 'weft://docs/mapping-helpers',
    name: 'Mapping expressions and helpers ($toMinor, $toIso, $mapEnum …)',
    mimeType: 'text/markdown',
    text: MAPPING_HELPERS_DOC,
  },
  {
    uri: 'weft://docs/workflow-ctx',
    name: 'Workflow ctx API with TypeScript declarations',
    mimeType: 'text/markdown',
    text: WORKFLOW_CTX_DOC,
  },
] as const;
