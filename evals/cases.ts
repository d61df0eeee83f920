// The eval cases: one small JSON file each under evals/cases/ (spec/, no-spec/, task/, fixer/). A spec case
// points at a dev-set spec and its gold label; a no-spec case names a local fixture (a docs site
// and a live API) and carries its gold inline, with `{apiOrigin}`-style placeholders filled in when
// the fixture starts; a task case is a request for the Workflow Agent; a fixer case names a dev
// spec, a seed and the kinds of fault to seed in the connector imported from it. Decision: one file per case
// rather than a generated index, so a case is added, skipped or reviewed on its own, and a file
// that does not parse is reported as that case's error instead of stopping the suite.
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { FAULT_KINDS } from './faults.ts';

const AUTH_METHODS = ['none', 'basic', 'bearer', 'apiKey', 'oauth2', 'custom'] as const;

/** What a careful integrator builds from the API (evals/data/README.md). */
export const GoldSchema = z.object({
  spec: z.string().optional(),
  api: z.string().optional(),
  baseUrl: z.string().nullable(),
  auth: z.object({
    primary: z.enum(AUTH_METHODS),
    acceptable: z.array(z.enum(AUTH_METHODS)).default([]),
  }),
  operations: z.number().int().min(0),
  /** "METHOD /path" of the operations a connector must have as actions (no-spec cases). */
  actions: z.array(z.string()).optional(),
  events: z.array(z.string()).default([]),
  entities: z
    .record(
      z.string(),
      z.object({
        schema: z.string(),
        operations: z.record(z.string(), z.string()).default({}),
        fields: z.record(z.string(), z.string()).default({}),
      }),
    )
    .default({}),
});
export type Gold = z.infer<typeof GoldSchema>;

const SpecCaseSchema = z
  .object({
    kind: z.literal('spec'),
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    api: z.string().optional(),
    /** Relative to the case file. */
    spec: z.string(),
    gold: z.string(),
    skip: z.string().optional().describe('Why the case is not run'),
  })
  .strict();

const NoSpecCaseSchema = z
  .object({
    kind: z.literal('no-spec'),
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    api: z.string().optional(),
    /** A fixture the runner starts: its URLs fill the `{name}` placeholders below. */
    fixture: z.enum(['vendor-site']),
    /** Where the build starts: a placeholder such as `{docsUrl}`. */
    source: z.string(),
    /** Credentials for a test connection, by name: `{apiKey}` placeholders allowed. */
    credentials: z.record(z.string(), z.string()).default({}),
    gold: GoldSchema,
    skip: z.string().optional(),
  })
  .strict();

const RecordsAdded = z
  .object({
    count: z.number().int().min(0).optional(),
    /** Records that must be among those added, compared on the fields given. */
    include: z.array(z.record(z.string(), z.unknown())).optional(),
  })
  .strict();

const OrderSchema = z
  .object({
    number: z.string(),
    status: z.string(),
    currency: z.string(),
    total: z.string(),
    customer: z.object({ email: z.string(), name: z.string() }).strict(),
    line_items: z.array(
      z.object({ sku: z.string(), quantity: z.number(), unit_price: z.string() }).strict(),
    ),
    note: z.string().nullable(),
  })
  .strict();

const TaskCaseSchema = z
  .object({
    kind: z.literal('task'),
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    /** In words, or a structured request (the Workflow Agent's `request` input). */
    request: z.union([z.string(), z.record(z.string(), z.unknown())]),
    /** Fake APIs the task needs, by fixture name. */
    fixtures: z.array(z.enum(['shop-crm'])).default(['shop-crm']),
    /** After publishing, in order: orders placed at the shop, the workflow run on demand. */
    act: z
      .array(
        z
          .object({
            name: z.string(),
            placeOrders: z.array(OrderSchema).optional(),
            runWorkflow: z.number().int().min(0).max(5).optional(),
          })
          .strict(),
      )
      .default([]),
    /** The effect the published workflow must have, checked by running it. */
    expect: z
      .object({
        status: z.string().optional(),
        shape: z.string().optional(),
        /** Per act phase, per collection (`crm.deals`): what that phase added. */
        effects: z.record(z.string(), z.record(z.string(), RecordsAdded)).optional(),
      })
      .strict(),
    skip: z.string().optional(),
  })
  .strict();

const FixerCaseSchema = z
  .object({
    kind: z.literal('fixer'),
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/),
    /** The dev spec the connector is imported from, relative to the case file. */
    spec: z.string(),
    /** Seeds the choice of where each fault goes (evals/faults.ts). */
    seed: z.number().int().min(0),
    /** One fault of each kind listed, each on an action of its own. */
    faults: z.array(z.enum(FAULT_KINDS)).min(1),
    skip: z.string().optional(),
  })
  .strict();

export const EvalCaseSchema = z.discriminatedUnion('kind', [
  SpecCaseSchema,
  NoSpecCaseSchema,
  TaskCaseSchema,
  FixerCaseSchema,
]);
export type EvalCase = z.infer<typeof EvalCaseSchema>;
export type SpecCase = z.infer<typeof SpecCaseSchema> & { readonly file: string };
export type NoSpecCase = z.infer<typeof NoSpecCaseSchema> & { readonly file: string };
export type TaskCase = z.infer<typeof TaskCaseSchema> & { readonly file: string };
export type FixerCase = z.infer<typeof FixerCaseSchema> & { readonly file: string };
export type LoadedCase = SpecCase | NoSpecCase | TaskCase | FixerCase;

/** A case file that could not be read or parsed: it is reported, the suite carries on. */
export interface InvalidCase {
  readonly id: string;
  readonly file: string;
  readonly error: string;
}

export const CASES_DIR = path.join(import.meta.dirname, 'cases');

async function caseFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await caseFiles(full)));
    else if (entry.name.endsWith('.json')) out.push(full);
  }
  return out.sort();
}

/**
 * `filter`: case ids, kinds (`spec`, `no-spec`, `task`) or globs with `*` (`hubspot-*`); a
 * case is kept when any entry matches. Empty keeps every case.
 */
export function matchesFilter({
  id,
  kind,
  filter,
}: {
  id: string;
  kind: string;
  filter: readonly string[];
}): boolean {
  if (filter.length === 0) return true;
  return filter.some((f) => {
    if (f === kind) return true;
    const re = new RegExp(`^${f.split('*').map(escapeRe).join('.*')}$`);
    return re.test(id);
  });
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export async function loadCases({
  dir = CASES_DIR,
  filter = [],
}: { dir?: string; filter?: readonly string[] } = {}): Promise<{
  cases: LoadedCase[];
  invalid: InvalidCase[];
}> {
  const cases: LoadedCase[] = [];
  const invalid: InvalidCase[] = [];
  for (const file of await caseFiles(dir)) {
    const fallbackId = path.basename(file, '.json');
    let parsed: EvalCase;
    try {
      const result = EvalCaseSchema.safeParse(JSON.parse(await fs.readFile(file, 'utf8')));
      if (!result.success) {
        if (matchesFilter({ id: fallbackId, kind: '', filter }))
          invalid.push({ id: fallbackId, file, error: z.prettifyError(result.error) });
        continue;
      }
      parsed = result.data;
    } catch (cause) {
      if (matchesFilter({ id: fallbackId, kind: '', filter }))
        invalid.push({ id: fallbackId, file, error: messageOf(cause) });
      continue;
    }
    if (matchesFilter({ id: parsed.id, kind: parsed.kind, filter }))
      cases.push({ ...parsed, file });
  }
  return { cases, invalid };
}

/** Reads and checks a spec case's gold label. */
export async function readGold(c: SpecCase): Promise<Gold> {
  const file = path.resolve(path.dirname(c.file), c.gold);
  return GoldSchema.parse(JSON.parse(await fs.readFile(file, 'utf8')));
}

export function specPathOf(c: SpecCase | FixerCase): string {
  return path.resolve(path.dirname(c.file), c.spec);
}

/** Replaces `{name}` placeholders with the fixture's values (unknown names stay as they are). */
export function fillPlaceholders<T>(value: T, values: Readonly<Record<string, string>>): T {
  const text = JSON.stringify(value).replace(/\{([a-zA-Z]+)\}/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? JSON.stringify(values[name]).slice(1, -1) : whole,
  );
  return JSON.parse(text) as T;
}

export function messageOf(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
