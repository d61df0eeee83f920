// The Workflow Agent: from a request ("when a new order comes in from the shop, create a deal in
// the CRM") to a tested, published workflow with its trigger, through the admin MCP tools only.
// Steps, each resumable from its output: plan (what the org has, the plan, samples, mappings) →
// handback → build (the draft) → handback → test (MOCK cases in the sandbox, bounded fix rounds)
// → handback → publish (only when every case passed) → trigger (route, filter, webhook
// registration at the source). Offline, the planner, templates and fixer are deterministic;
// with a model, the planner explores with an allow-listed tool loop and answers a zod-checked
// plan, and the builder writes code beyond the templates — the same test gate applies.
import { readFileSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { z } from 'zod';
import {
  createBudget,
  generateObject,
  hasModel,
  runToolLoop,
  type Budget,
  type ModelProvider,
  type Provider,
  type ToolSpec,
} from '../llm/index.ts';
import { idempotencyKeyOf, type RunJournal } from '../runs/journal.ts';
import { generateCases, runCases, type CaseResult, type TestCase } from './cases.ts';
import { fixPlan, type PlanChange } from './fix.ts';
import { actionShape, describeMapping, proposeMappings } from './mapping.ts';
import {
  BuildPlanSchema,
  planOffline,
  readCatalog,
  WorkflowRequestSchema,
  type BuildPlan,
  type CatalogConnector,
  type Question,
} from './plan.ts';
import { sampleSource, type SampleReport } from './samples.ts';
import { renderWorkflow } from './templates.ts';
import { toolCaller, type ToolCaller } from './tools.ts';

export const WorkflowAgentInputSchema = z
  .object({
    request: WorkflowRequestSchema,
    /** Connections by connector slug: samples are read through them, LIVE cases run on them. */
    connections: z.record(z.string(), z.string()).default({}),
    /** The customer those connections belong to: LIVE cases run as this customer. */
    customerId: z.string().optional(),
    publish: z.boolean().default(true),
    deployTo: z.array(z.enum(['development', 'staging', 'production'])).default(['production']),
    createTrigger: z.boolean().default(true),
    maxFixRounds: z.number().int().min(0).max(5).default(2),
    /**
     * Whether the run stops at its handbacks for a person: a stored run carries it in its input
     * (as every agent's does); the journal is what pauses, so it is read there, not here.
     */
    interactive: z.boolean().optional(),
  })
  .strict();
export type WorkflowAgentInput = z.input<typeof WorkflowAgentInputSchema>;

export interface WorkflowRound {
  readonly round: number;
  readonly results: readonly CaseResult[];
  readonly changes: readonly PlanChange[];
}

export interface WorkflowReport {
  readonly status: 'published' | 'built' | 'tests_failed' | 'needs_input';
  readonly summary: string;
  readonly questions?: readonly Question[];
  readonly missingConnectors?: readonly string[];
  readonly plan?: BuildPlan;
  readonly mappings?: readonly { step: string; target: string; words: string }[];
  readonly samples?: SampleReport;
  readonly workflow?: { slug: string; version: number | null; deployedTo: string[] };
  readonly cases?: readonly TestCase[];
  readonly rounds?: readonly WorkflowRound[];
  /** Failing cases of the last round, each with why. */
  readonly failures?: readonly { case: string; mode: string; problems: readonly string[] }[];
  readonly trigger?: { id: string; type: string; url: string | null; registered: boolean };
}

const PLAN_TOOLS = ['list_connectors', 'list_actions', 'get_action', 'run_action'] as const;
const BUILD_TOOLS = ['get_workflow', 'create_workflow', 'update_workflow'] as const;
const TEST_TOOLS = [
  'get_workflow',
  'create_workflow',
  'update_workflow',
  'publish_workflow',
  'run_workflow',
  'delete_workflow',
  'get_action',
] as const;
const PUBLISH_TOOLS = ['publish_workflow'] as const;
const TRIGGER_TOOLS = ['list_triggers', 'create_trigger', 'list_events', 'upsert_event'] as const;

function prompt(name: string): string {
  return readFileSync(new URL(`../../prompts/agents/${name}.md`, import.meta.url), 'utf8');
}

function mappingLines(plan: BuildPlan) {
  return plan.steps.flatMap((s) =>
    s.mappings.map((m) => ({
      step: s.id,
      target: m.target,
      words: describeMapping(m, plan.source.entity),
    })),
  );
}

async function step<T>(
  journal: RunJournal,
  name: string,
  run: () => Promise<{ output: T; summary: string }>,
): Promise<T> {
  const done = (await journal.finished(name)) as T | undefined;
  if (done !== undefined) return done;
  await journal.checkCancelled();
  await journal.startStep(name);
  try {
    const { output, summary } = await run();
    await journal.finishStep(name, output, summary);
    return output;
  } catch (error) {
    await journal.failStep(name, error instanceof Error ? error.message : String(error));
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// With a model.

async function toolSpecs(client: Client, allow: readonly string[]): Promise<ToolSpec[]> {
  const { tools } = await client.listTools();
  return tools
    .filter((t) => allow.includes(t.name))
    .map((t) => ({
      name: t.name,
      description: t.description ?? t.name,
      input: t.inputSchema,
    }));
}

async function planWithModel({
  client,
  provider,
  tools,
  journal,
  request,
  catalog,
  budget,
  signal,
}: {
  client: Client;
  provider: ModelProvider;
  tools: ToolCaller;
  journal: RunJournal;
  request: z.infer<typeof WorkflowRequestSchema>;
  catalog: readonly CatalogConnector[];
  budget: Budget;
  signal: AbortSignal | undefined;
}): Promise<BuildPlan> {
  const system = prompt('workflow-planner');
  const ask = `Request: ${JSON.stringify(request)}\n\nThe org's connectors and actions:\n${catalog
    .map(
      (c) =>
        `- ${c.slug} (${c.name}): ${c.actions.map((a) => `${a.slug} ${a.method} ${a.path}`).join('; ')}`,
    )
    .join('\n')}`;
  const explored = await runToolLoop({
    provider,
    system,
    messages: [{ role: 'user', content: ask }],
    tools: await toolSpecs(client, PLAN_TOOLS),
    allow: PLAN_TOOLS,
    budget,
    ...(signal !== undefined && { signal }),
    onToolCall: async ({ name, input }) => {
      try {
        return { content: await tools.call(name, (input ?? {}) as Record<string, unknown>) };
      } catch (error) {
        return { content: error instanceof Error ? error.message : String(error), isError: true };
      }
    },
  });
  await journal.recordUsage(explored.usage);
  for (const call of explored.calls.filter(
    (c) => c.status === 'not_allowed' || c.status === 'unknown_tool',
  ))
    await journal.recordToolCall({
      step: 'plan',
      tool: call.name,
      arguments: call.input,
      ok: false,
      summary: `refused: ${call.name} is not allowed while planning`,
      status: 'not_allowed',
      durationMs: 0,
    });
  const answer = await generateObject({
    provider,
    system,
    messages: [...explored.messages, { role: 'user', content: 'Now answer with the build plan.' }],
    schema: BuildPlanSchema,
    budget,
    ...(signal !== undefined && { signal }),
  });
  await journal.recordUsage(answer.usage);
  if (answer.status !== 'done') throw answer.error;
  return answer.value;
}

async function codeWithModel({
  provider,
  journal,
  plan,
  previous,
  failures,
  budget,
  signal,
}: {
  provider: ModelProvider;
  journal: RunJournal;
  plan: BuildPlan;
  previous: string;
  failures: readonly CaseResult[];
  budget: Budget;
  signal: AbortSignal | undefined;
}): Promise<string> {
  const failed = failures.filter((f) => !f.passed);
  const answer = await generateObject({
    provider,
    system: prompt('workflow-builder'),
    messages: [
      {
        role: 'user',
        content: `Plan:\n${JSON.stringify(plan, null, 2)}\n\nA draft from the template:\n${previous}${
          failed.length > 0
            ? `\n\nThese test cases failed:\n${failed.map((f) => `- ${f.name}: ${f.problems.join('; ')}`).join('\n')}`
            : ''
        }`,
      },
    ],
    schema: z.object({ source: z.string().min(20) }).strict(),
    budget,
    ...(signal !== undefined && { signal }),
  });
  await journal.recordUsage(answer.usage);
  if (answer.status !== 'done') throw answer.error;
  return answer.value.source;
}

// ---------------------------------------------------------------------------------------------

async function saveDraft(
  tools: ToolCaller,
  plan: BuildPlan,
  source: string,
  key: string,
): Promise<void> {
  const existing = await tools.call('get_workflow', { workflow: plan.slug }).catch(() => null);
  const settings = {
    description: plan.summary,
    tier: plan.trigger.type === 'schedule' ? 'standard' : 'instant',
    ...(plan.trigger.type === 'schedule' && {
      retry: {
        enabled: plan.errorStrategy.onTargetError === 'retry',
        maxAttempts: plan.errorStrategy.maxAttempts,
      },
    }),
  };
  if (existing === null)
    await tools.call('create_workflow', {
      name: plan.name,
      slug: plan.slug,
      ...settings,
      source,
      idempotencyKey: key,
    });
  else await tools.call('update_workflow', { workflow: plan.slug, source, ...settings });
}

/** Runs the Workflow Agent to its report (or pauses at a handback through the journal). */
export async function runWorkflowAgent({
  client,
  provider,
  journal,
  input: rawInput,
  budget = createBudget({ maxSteps: 40 }),
  signal,
}: {
  client: Client;
  provider: Provider;
  journal: RunJournal;
  input: unknown;
  budget?: Budget;
  signal?: AbortSignal;
}): Promise<WorkflowReport> {
  const input = WorkflowAgentInputSchema.parse(rawInput);
  const model = hasModel(provider) ? provider : null;
  const tools = (name: string, allow: readonly string[]) =>
    toolCaller({ client, journal, step: name, allow });

  // 1. Plan.
  type Planned =
    | { status: 'questions'; questions: Question[]; missing: string[] }
    | { status: 'plan'; plan: BuildPlan; samples: SampleReport; record: Record<string, unknown> };
  const planned = await step<Planned>(journal, 'plan', async () => {
    const t = tools('plan', [...PLAN_TOOLS]);
    const catalog = await readCatalog(t);
    journal.progress(
      'plan',
      `${catalog.length} connectors: ${catalog.map((c) => c.slug).join(', ')}`,
    );
    let plan: BuildPlan;
    if (model !== null) {
      plan = await planWithModel({
        client,
        provider: model,
        tools: t,
        journal,
        request: input.request,
        catalog,
        budget,
        signal,
      });
    } else {
      const outcome = planOffline({ request: input.request, catalog });
      if (outcome.status === 'questions')
        return {
          output: {
            status: 'questions',
            questions: [...outcome.questions],
            missing: [...outcome.missingConnectors],
          },
          summary: `${outcome.questions.length} question(s) before planning`,
        };
      plan = outcome.plan;
    }
    const samples = await sampleSource({
      tools: t,
      plan,
      connectionId: input.connections[plan.source.connector],
    });
    const record = samples.records[0] ?? { id: 1 };
    plan = await proposeMappings({
      tools: t,
      plan,
      record,
      overrides: input.request.mappings ?? {},
    });
    return {
      output: { status: 'plan', plan, samples, record },
      summary: `${plan.shape}: ${plan.summary}`,
    };
  });
  if (planned.status === 'questions') {
    return {
      status: 'needs_input',
      summary: planned.questions.map((q) => q.text).join(' '),
      questions: planned.questions,
      missingConnectors: planned.missing,
    };
  }
  let plan = planned.plan;
  const decision = await journal.handback(
    'plan',
    `${plan.summary}\nMappings:\n${mappingLines(plan)
      .map((m) => `  ${m.step}: ${m.words}`)
      .join('\n')}\nAcceptance:\n${plan.acceptance.map((a) => `  - ${a.text}`).join('\n')}`,
  );
  if (decision.decision === 'revise')
    journal.progress(
      'plan',
      `revision asked: ${decision.note} (applied through request.mappings on the next run)`,
    );

  // 2. Build.
  const built = await step(journal, 'build', async () => {
    const t = tools('build', [...BUILD_TOOLS]);
    let source = renderWorkflow(plan);
    if (model !== null)
      source = await codeWithModel({
        provider: model,
        journal,
        plan,
        previous: source,
        failures: [],
        budget,
        signal,
      });
    await saveDraft(
      t,
      plan,
      source,
      idempotencyKeyOf({ runId: journal.runId, step: 'build', index: 0 }),
    );
    return {
      output: { slug: plan.slug, source },
      summary: `draft of ${plan.slug} saved (${source.length} chars)`,
    };
  });
  await journal.handback(
    'build',
    `The draft of ${built.slug} is saved; review it before the tests run.`,
  );

  // 3. Test, with bounded fix rounds.
  const tested = await step(journal, 'test', async () => {
    const t = tools('test', [...TEST_TOOLS]);
    const required: Record<string, string[]> = {};
    for (const s of plan.steps)
      required[s.id] = (await actionShape(t, s.connector, s.action)).input.required ?? [];
    // LIVE only when the person allowed it and a test connection exists for every app written to.
    const live =
      input.request.allowLive === true &&
      input.customerId !== undefined &&
      plan.steps.every((s) => input.connections[s.connector] !== undefined);
    let source = built.source;
    const rounds: WorkflowRound[] = [];
    let cases: TestCase[] = [];
    for (let round = 1; round <= input.maxFixRounds + 1; round++) {
      cases = generateCases({ plan, record: planned.record, required, live });
      const results = await runCases({
        tools: t,
        plan,
        source,
        cases,
        ...(live && input.customerId !== undefined && { customerId: input.customerId }),
      });
      const failed = results.filter((r) => !r.passed);
      journal.progress(
        'test',
        `round ${round}: ${results.length - failed.length}/${results.length} cases pass`,
      );
      if (failed.length === 0 || round > input.maxFixRounds) {
        rounds.push({ round, results, changes: [] });
        break;
      }
      // Back to the builder.
      const fixed = fixPlan({ plan, results, record: planned.record });
      rounds.push({ round, results, changes: fixed.changes });
      if (fixed.changes.length === 0 && model === null) break;
      plan = fixed.plan;
      source = renderWorkflow(plan);
      if (model !== null)
        source = await codeWithModel({
          provider: model,
          journal,
          plan,
          previous: source,
          failures: results,
          budget,
          signal,
        });
      await saveDraft(
        t,
        plan,
        source,
        idempotencyKeyOf({ runId: journal.runId, step: 'test', index: round }),
      );
    }
    await t
      .call('delete_workflow', { workflow: `${plan.slug}-tests`.slice(0, 64) })
      .catch(() => undefined);
    const last = rounds.at(-1);
    const passed = last !== undefined && last.results.every((r) => r.passed);
    return {
      output: { plan, source, cases, rounds, passed },
      summary: `${passed ? 'all cases pass' : 'cases fail'} after ${rounds.length} round(s)`,
    };
  });
  plan = tested.plan;
  const last = tested.rounds.at(-1);
  const failures = (last?.results ?? [])
    .filter((r) => !r.passed)
    .map((r) => ({ case: r.name, mode: r.mode, problems: r.problems }));
  const base = {
    plan,
    mappings: mappingLines(plan),
    samples: planned.samples,
    cases: tested.cases,
    rounds: tested.rounds,
  };
  if (!tested.passed) {
    return {
      status: 'tests_failed',
      summary: `not published: ${failures.map((f) => `"${f.case}" failed (${f.problems.join('; ')})`).join('; ')}`,
      ...base,
      failures,
      workflow: { slug: plan.slug, version: null, deployedTo: [] },
    };
  }
  await journal.handback(
    'test',
    `All ${last?.results.length ?? 0} cases pass. Publish ${plan.slug}?`,
  );
  if (!input.publish)
    return {
      status: 'built',
      summary: `${plan.slug} is built and its cases pass; not published (publish: false)`,
      ...base,
      workflow: { slug: plan.slug, version: null, deployedTo: [] },
    };

  // 4. Publish, only now.
  const published = await step(journal, 'publish', async () => {
    const t = tools('publish', [...PUBLISH_TOOLS]);
    const out = await t.call<{ version: { version: number } }>('publish_workflow', {
      workflow: plan.slug,
      note: `Workflow Agent: ${tested.cases.length} cases passed`,
      deployTo: input.deployTo,
    });
    return {
      output: { version: out.version.version },
      summary: `published ${plan.slug} v${out.version.version} to ${input.deployTo.join(', ')}`,
    };
  });

  // 5. Trigger.
  let trigger: WorkflowReport['trigger'];
  if (input.createTrigger && plan.trigger.type !== 'manual') {
    trigger = await step(journal, 'trigger', async () => {
      const t = tools('trigger', [...TRIGGER_TOOLS]);
      const route = {
        workflow: plan.slug,
        environment: input.deployTo.includes('production') ? 'production' : input.deployTo[0],
        ...(plan.trigger.type === 'webhook' &&
          plan.trigger.event !== undefined && { filter: `body.event = "${plan.trigger.event}"` }),
      };
      const key = idempotencyKeyOf({ runId: journal.runId, step: 'trigger', index: 0 });
      const register = plan.trigger.register;
      const connectionId = register ? input.connections[register.connector] : undefined;
      let created: { id: string; type: string; webhook?: { url: string } };
      if (plan.trigger.type === 'schedule') {
        created = await t.call('create_trigger', {
          type: 'scheduler',
          name: plan.name,
          routes: [route],
          scheduler: {
            schedule: {
              preset: 'interval',
              every: plan.trigger.every ?? 1,
              unit: plan.trigger.unit ?? 'hours',
            },
          },
          idempotencyKey: key,
        });
      } else if (register !== undefined && connectionId !== undefined) {
        // An event of the source app through the customer's connection: Weft registers its hook
        // URL with the source's own webhook action and runs the workflow as that customer.
        const event = plan.trigger.event ?? 'created';
        const declared = await t.call<{ data: { name: string }[] }>('list_events', {
          connector: register.connector,
        });
        if (!declared.data.some((e) => e.name === event))
          await t.call('upsert_event', {
            connector: register.connector,
            event: {
              name: event,
              subscription: { mode: 'webhook', subscribeAction: register.action },
            },
          });
        created = await t.call('create_trigger', {
          type: 'app_event',
          name: plan.name,
          routes: [route],
          appEvent: { connectionId, event },
          idempotencyKey: key,
        });
      } else {
        // No way to subscribe for the person: a webhook URL they register at the source.
        created = await t.call('create_trigger', {
          type: 'webhook',
          name: plan.name,
          routes: [route],
          idempotencyKey: key,
        });
      }
      const url = created.webhook?.url ?? null;
      return {
        output: {
          id: created.id,
          type: created.type,
          url,
          registered: created.type === 'app_event',
        },
        summary: `${created.type} trigger ${created.id}${url ? ` at ${url}` : ''}${created.type === 'app_event' ? ', subscribed at the source through the connection' : ''}`,
      };
    });
  }
  return {
    status: 'published',
    summary: `${plan.slug} v${published.version} published to ${input.deployTo.join(', ')} after ${tested.cases.length} cases passed${trigger ? `; ${trigger.type} trigger ${trigger.id}` : ''}`,
    ...base,
    workflow: { slug: plan.slug, version: published.version, deployedTo: input.deployTo },
    ...(trigger !== undefined && { trigger }),
  };
}
