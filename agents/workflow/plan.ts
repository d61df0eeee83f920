// The Workflow Agent's build plan and its offline planner. A plan names the shape (webhook
// upsert, schedule sync with a cursor, fan-out notify, expose to the customer's agent), the
// source app and entity, the write steps with their field mappings, the trigger, an error
// strategy and acceptance criteria the test cases are generated from. Decision: the offline
// planner resolves apps and actions from what the org really has (list_connectors,
// list_actions, get_action), never from a built-in catalogue, and asks a clarifying question
// instead of guessing when something it needs is missing or ambiguous.
import { z } from 'zod';
import type { ToolCaller } from './tools.ts';

export const MappingSchema = z
  .object({
    target: z.string().min(1).describe('Input field of the target action'),
    from: z
      .string()
      .optional()
      .describe('Path in the source record (customer.email), or steps.<id>.<field>'),
    value: z.unknown().optional().describe('A fixed value'),
    template: z.string().optional().describe('Text with {path} placeholders: "Order {number}"'),
    as: z.enum(['string', 'number', 'integer', 'boolean']).optional(),
  })
  .strict();
export type Mapping = z.infer<typeof MappingSchema>;

export const PlanStepSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/),
    kind: z.enum(['create', 'upsert', 'notify']),
    connector: z.string(),
    action: z.string(),
    entity: z.string().optional(),
    /** Upsert: find an existing record first; its id is reused instead of creating one. */
    lookup: z.object({ action: z.string(), by: z.string(), from: z.string() }).strict().optional(),
    mappings: z.array(MappingSchema),
  })
  .strict();
export type PlanStep = z.infer<typeof PlanStepSchema>;

export const TRIGGER_TYPES = ['webhook', 'schedule', 'app_event', 'manual'] as const;
export const SHAPES = ['webhook_upsert', 'schedule_sync', 'notify', 'expose'] as const;

export const BuildPlanSchema = z
  .object({
    name: z.string().min(1).max(200),
    slug: z.string().regex(/^[a-z][a-z0-9_-]{0,55}$/),
    summary: z.string(),
    shape: z.enum(SHAPES),
    source: z
      .object({
        connector: z.string(),
        entity: z.string(),
        listAction: z.string().optional(),
        /** Where the record is in a webhook body (data), or the list answer's array (data). */
        recordPath: z.string().default('data'),
        /** A field that only grows (updated_at, id): the schedule sync's cursor. */
        cursorField: z.string().optional(),
      })
      .strict(),
    steps: z.array(PlanStepSchema),
    trigger: z
      .object({
        type: z.enum(TRIGGER_TYPES),
        event: z.string().optional(),
        every: z.number().int().min(1).optional(),
        unit: z.enum(['minutes', 'hours', 'days']).optional(),
        /** The source action that registers a webhook URL (createWebhook). */
        register: z.object({ connector: z.string(), action: z.string() }).strict().optional(),
      })
      .strict(),
    /** Records to act on: field in values (status in paid, shipped). */
    filter: z
      .object({ field: z.string(), in: z.array(z.union([z.string(), z.number()])) })
      .strict()
      .optional(),
    errorStrategy: z
      .object({
        onTargetError: z.enum(['retry', 'skip', 'fail']),
        maxAttempts: z.number().int().min(1).max(10),
      })
      .strict(),
    acceptance: z.array(z.object({ id: z.string(), text: z.string() }).strict()),
    cdmEntities: z.array(z.string()).default([]),
  })
  .strict();
export type BuildPlan = z.infer<typeof BuildPlanSchema>;

export interface Question {
  readonly id: string;
  readonly text: string;
  readonly choices?: readonly string[];
}

/** A structured request (the offline templates' input) and/or free text. */
export const WorkflowRequestSchema = z
  .object({
    text: z.string().max(4000).optional(),
    source: z.string().optional().describe('Source connector slug or app name'),
    entity: z.string().optional().describe('Source entity: order, contact, …'),
    target: z.string().optional().describe('Target connector slug or app name'),
    targetEntity: z.string().optional(),
    trigger: z.enum(TRIGGER_TYPES).optional(),
    every: z.number().int().min(1).optional(),
    unit: z.enum(['minutes', 'hours', 'days']).optional(),
    notify: z.string().optional().describe('A connector to notify as well (chat)'),
    filter: z
      .object({ field: z.string(), in: z.array(z.union([z.string(), z.number()])) })
      .strict()
      .optional(),
    /** The person's changes at the mapping review, by target field. */
    mappings: z.record(z.string(), MappingSchema.omit({ target: true })).optional(),
    allowLive: z.boolean().optional(),
    name: z.string().optional(),
  })
  .strict();
export type WorkflowRequest = z.infer<typeof WorkflowRequestSchema>;

// ---------------------------------------------------------------------------------------------
// What the org has, read through the tools.

export interface CatalogAction {
  readonly slug: string;
  readonly method: string;
  readonly path: string;
  readonly summary: string;
}
export interface CatalogConnector {
  readonly slug: string;
  readonly name: string;
  readonly actions: readonly CatalogAction[];
}

export async function readCatalog(tools: ToolCaller): Promise<CatalogConnector[]> {
  const { data } = await tools.call<{ data: { slug: string; name: string }[] }>(
    'list_connectors',
    {},
  );
  const out: CatalogConnector[] = [];
  for (const c of data) {
    const actions = await tools.call<{
      data: { slug: string; method: string; path: string; name: string; description?: string }[];
    }>('list_actions', { connector: c.slug });
    out.push({
      slug: c.slug,
      name: c.name,
      actions: actions.data.map((a) => ({
        slug: a.slug,
        method: a.method.toUpperCase(),
        path: a.path,
        summary: `${a.name} ${a.description ?? ''}`.trim(),
      })),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Words.

const ENTITIES = [
  'order',
  'deal',
  'contact',
  'customer',
  'invoice',
  'product',
  'ticket',
  'lead',
  'company',
  'payment',
  'message',
  'item',
] as const;

const plural = (word: string) => (word.endsWith('y') ? `${word.slice(0, -1)}ies` : `${word}s`);
const singular = (word: string) =>
  word.endsWith('ies') ? `${word.slice(0, -3)}y` : word.replace(/s$/, '');

function norm(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, ' ');
}

/** The connector a name refers to: its slug or name, whole word, or a prefix of either. */
export function resolveConnector(
  catalog: readonly CatalogConnector[],
  name: string | undefined,
): CatalogConnector | undefined {
  if (name === undefined) return undefined;
  const n = norm(name).trim();
  return (
    catalog.find((c) => c.slug === n || norm(c.name).trim() === n) ??
    catalog.find((c) => n.split(' ').includes(c.slug) || n.includes(norm(c.name).trim())) ??
    catalog.find((c) => c.slug.startsWith(n) || norm(c.name).startsWith(n))
  );
}

function pathMentions(action: CatalogAction, entity: string): boolean {
  const segments = action.path.toLowerCase().split('/');
  return segments.includes(plural(entity)) || segments.includes(entity);
}

/** A connector's action for an entity: a list (GET on the collection) or a create (POST). */
export function findAction(
  connector: CatalogConnector,
  entity: string,
  kind: 'list' | 'create',
): CatalogAction | undefined {
  const method = kind === 'list' ? 'GET' : 'POST';
  return connector.actions.find(
    (a) => a.method === method && pathMentions(a, entity) && !a.path.includes('{'),
  );
}

function webhookRegistration(connector: CatalogConnector): CatalogAction | undefined {
  return connector.actions.find(
    (a) => a.method === 'POST' && /webhook|subscription|hook/i.test(a.path),
  );
}

function entitiesIn(text: string): string[] {
  const words = norm(text).split(' ');
  const found: string[] = [];
  for (const w of words) {
    const s = singular(w);
    if ((ENTITIES as readonly string[]).includes(s) && !found.includes(s)) found.push(s);
  }
  return found;
}

function connectorsIn(text: string, catalog: readonly CatalogConnector[]): CatalogConnector[] {
  const t = ` ${norm(text)} `;
  return catalog
    .map((c) => ({
      c,
      at: Math.min(
        ...[c.slug, norm(c.name).trim()]
          .map((n) => t.indexOf(` ${n} `))
          .map((i) => (i < 0 ? Infinity : i)),
      ),
    }))
    .filter((x) => Number.isFinite(x.at))
    .sort((a, b) => a.at - b.at)
    .map((x) => x.c);
}

function triggerIn(
  text: string,
):
  | { type: BuildPlan['trigger']['type']; every?: number; unit?: 'minutes' | 'hours' | 'days' }
  | undefined {
  const t = norm(text);
  if (/\b(nightly|every night|daily|every day)\b/.test(t))
    return { type: 'schedule', every: 1, unit: 'days' };
  if (/\bhourly|every hour\b/.test(t)) return { type: 'schedule', every: 1, unit: 'hours' };
  const every = /\bevery (\d+) (minute|hour|day)s?\b/.exec(t);
  if (every)
    return { type: 'schedule', every: Number(every[1]), unit: `${every[2]}s` as 'minutes' };
  if (
    /\b(when|whenever|as soon as|on new|new \w+ (comes|come|is|are))\b/.test(t) ||
    /\bwebhook\b/.test(t)
  )
    return { type: 'webhook' };
  if (/\bsync\b/.test(t)) return undefined;
  return undefined;
}

function slugOf(text: string): string {
  const s = norm(text).trim().replace(/ +/g, '-').slice(0, 50).replace(/-+$/, '');
  return /^[a-z]/.test(s) ? s : `wf-${s}`;
}

export type PlanOutcome =
  | { readonly status: 'plan'; readonly plan: BuildPlan }
  | {
      readonly status: 'questions';
      readonly questions: readonly Question[];
      /** Apps the request names that the org has no connector for: the Connector Agent's job. */
      readonly missingConnectors: readonly string[];
    };

/**
 * The offline planner: the structured fields win, free text fills the gaps. Mappings start
 * empty here; `proposeMappings` (mapping.ts) fills them from the target action's input schema
 * and the source's records.
 */
export function planOffline({
  request,
  catalog,
}: {
  request: WorkflowRequest;
  catalog: readonly CatalogConnector[];
}): PlanOutcome {
  const text = request.text ?? '';
  const mentioned = connectorsIn(text, catalog);
  const entities = entitiesIn(text);
  const questions: Question[] = [];
  const missing: string[] = [];

  const sourceEntity = singular(request.entity ?? entities[0] ?? '');
  let source = resolveConnector(catalog, request.source);
  if (source === undefined && request.source !== undefined) missing.push(request.source);
  source ??= mentioned.find((c) => sourceEntity !== '' && findAction(c, sourceEntity, 'list'));
  const targetEntity = singular(
    request.targetEntity ?? entities.find((e) => e !== sourceEntity) ?? sourceEntity,
  );
  let target = resolveConnector(catalog, request.target);
  if (target === undefined && request.target !== undefined) missing.push(request.target);
  target ??= mentioned.find(
    (c) => c.slug !== source?.slug && targetEntity !== '' && findAction(c, targetEntity, 'create'),
  );
  const trigger = request.trigger
    ? { type: request.trigger, every: request.every, unit: request.unit }
    : triggerIn(text);

  if (sourceEntity === '')
    questions.push({
      id: 'entity',
      text: 'Which records should this workflow move (orders, contacts, …)?',
    });
  if (source === undefined)
    questions.push({
      id: 'source',
      text: `Which app do the ${plural(sourceEntity || 'record')} come from?`,
      choices: catalog.map((c) => c.slug),
    });
  if (target === undefined)
    questions.push({
      id: 'target',
      text: `Which app should receive them${targetEntity ? ` (as ${plural(targetEntity)})` : ''}?`,
      choices: catalog.filter((c) => c.slug !== source?.slug).map((c) => c.slug),
    });
  if (trigger === undefined)
    questions.push({
      id: 'trigger',
      text: 'Should it run when the event happens (webhook) or on a schedule?',
      choices: ['webhook', 'schedule', 'manual'],
    });
  if (source === undefined || target === undefined || trigger === undefined || sourceEntity === '')
    return { status: 'questions', questions, missingConnectors: missing };

  const list = findAction(source, sourceEntity, 'list');
  const create = findAction(target, targetEntity, 'create');
  if (create === undefined) {
    return {
      status: 'questions',
      questions: [
        {
          id: 'targetEntity',
          text: `${target.name} has no action that creates ${plural(targetEntity)}; what should it create?`,
          choices: target.actions.filter((a) => a.method === 'POST').map((a) => a.slug),
        },
      ],
      missingConnectors: missing,
    };
  }

  const steps: PlanStep[] = [];
  // An entity that carries a person (an order's customer) is linked to a contact in the target
  // when the target has contacts: found by email, else created.
  const contactCreate =
    targetEntity !== 'contact' ? findAction(target, 'contact', 'create') : undefined;
  const contactList =
    targetEntity !== 'contact' ? findAction(target, 'contact', 'list') : undefined;
  if (contactCreate !== undefined && contactList !== undefined) {
    steps.push({
      id: 'contact',
      kind: 'upsert',
      connector: target.slug,
      action: contactCreate.slug,
      entity: 'contact',
      lookup: { action: contactList.slug, by: 'email', from: 'customer.email' },
      mappings: [],
    });
  }
  steps.push({
    id: targetEntity.replace(/[^a-z0-9_]/g, '_'),
    kind: 'create',
    connector: target.slug,
    action: create.slug,
    entity: targetEntity,
    mappings: [],
  });
  const notify =
    resolveConnector(catalog, request.notify) ??
    (/\b(post|notify|chat|slack|message)\b/.test(norm(text))
      ? mentioned.find((c) => c.slug !== source?.slug && c.slug !== target?.slug)
      : undefined);
  const notifyAction = notify?.actions.find(
    (a) => a.method === 'POST' && /message|post|notif|chat/i.test(`${a.path} ${a.summary}`),
  );
  if (notify !== undefined && notifyAction !== undefined)
    steps.push({
      id: 'notify',
      kind: 'notify',
      connector: notify.slug,
      action: notifyAction.slug,
      mappings: [],
    });

  const shape: BuildPlan['shape'] =
    trigger.type === 'schedule'
      ? 'schedule_sync'
      : steps.some((s) => s.kind === 'notify') && steps.length === 1
        ? 'notify'
        : 'webhook_upsert';
  const register = trigger.type === 'webhook' ? webhookRegistration(source) : undefined;
  const name =
    request.name ??
    `${source.name} ${plural(sourceEntity)} to ${target.name} ${plural(targetEntity)}`;
  const acceptance = [
    {
      id: 'creates',
      text: `A new ${sourceEntity} creates one ${targetEntity} in ${target.name} with every required field filled from it`,
    },
    ...(steps.some((s) => s.id === 'contact')
      ? [
          {
            id: 'links-contact',
            text: `The ${targetEntity} is linked to the ${target.name} contact with the ${sourceEntity}'s email, created when missing`,
          },
        ]
      : []),
    ...(request.filter
      ? [
          {
            id: 'filter',
            text: `A ${sourceEntity} whose ${request.filter.field} is not ${request.filter.in.join(' or ')} creates nothing`,
          },
        ]
      : []),
    {
      id: 'target-error',
      text: `When ${target.name} refuses the write, the run fails (and is retried) instead of reporting success`,
    },
  ];
  return {
    status: 'plan',
    plan: {
      name,
      slug: slugOf(name),
      summary: `${trigger.type === 'schedule' ? `Every ${trigger.every ?? 1} ${trigger.unit ?? 'hours'}` : `On each ${sourceEntity} event from ${source.name}`}: ${steps.map((s) => `${s.kind} ${s.entity ?? s.action} in ${s.connector}`).join(', then ')}.`,
      shape,
      source: {
        connector: source.slug,
        entity: sourceEntity,
        ...(list !== undefined && { listAction: list.slug }),
        recordPath: 'data',
        ...(trigger.type === 'schedule' && { cursorField: 'id' }),
      },
      steps,
      trigger: {
        type: trigger.type,
        ...(trigger.type === 'webhook' && { event: `${sourceEntity}.created` }),
        ...(trigger.every !== undefined && { every: trigger.every }),
        ...(trigger.unit !== undefined && { unit: trigger.unit }),
        ...(register !== undefined && {
          register: { connector: source.slug, action: register.slug },
        }),
      },
      ...(request.filter !== undefined && { filter: request.filter }),
      errorStrategy: { onTargetError: 'retry', maxAttempts: 3 },
      acceptance,
      cdmEntities: [sourceEntity, targetEntity]
        .map((e) => (e === 'customer' ? 'Contact' : e.charAt(0).toUpperCase() + e.slice(1)))
        .filter((e) => ['Contact', 'Order', 'Invoice', 'Product'].includes(e)),
    },
  };
}
