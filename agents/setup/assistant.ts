// The Setup Assistant: a chat that takes a SaaS team through the five steps of a first
// integration — use cases, connectors, integration, embed, live — as a state machine over turns.
// A turn is the person's text or a structured reply (a choice, a filled form); the answer is a
// list of events the chat renders (text, choices as buttons, forms, the mapping review, test
// cases with MOCK/LIVE badges, the go-live checklist, step progress). It acts only through the
// admin MCP tools and calls the Workflow Agent as a sub-agent (its finished steps are kept in the
// session, so each phase resumes the same run instead of redoing it); connectors are built by
// the Connector Agent, as a sub-agent, from the spec the person points at.
// With a model, the person's free text goes to the model (converse.ts), which answers in
// streamed text and steers through intent tools that map onto the same structured replies;
// without one, a guided questionnaire reads the text with patterns.
// Decision: the session is plain JSON (`SetupState`), so any store can keep it and a session
// resumes after a restart from its last state; each step can be redone with `{ redo: step }`.
import { hasModel } from '../llm/index.ts';
import { createMemoryJournal } from '../runs/memory-journal.ts';
import { runWorkflowAgent, type WorkflowReport } from '../workflow/index.ts';
import { describeMapping } from '../workflow/mapping.ts';
import type { BuildPlan } from '../workflow/plan.ts';
import { toolCaller } from '../workflow/tools.ts';
import { converse } from './converse.ts';
import type {
  MappingOverride,
  SetupContext,
  SetupEvent,
  SetupInput,
  SetupState,
  StepInput,
  Turn,
} from './types.ts';

export { SETUP_STEPS } from './types.ts';
export type {
  MappingOverride,
  SetupContext,
  SetupEvent,
  SetupInput,
  SetupState,
  SetupStep,
  StepInput,
  UseCase,
} from './types.ts';

export function initialState(): SetupState {
  return {
    step: 'use_cases',
    useCase: null,
    connectors: {},
    customerId: null,
    workflowSteps: {},
    mappingOverrides: {},
    workflow: null,
    complete: false,
  };
}

export const ALLOW = [
  'list_connectors',
  'list_actions',
  'get_action',
  'get_connector',
  'create_customer',
  'list_customers',
  'create_connection',
  'test_connection',
  'list_connections',
  'get_workflow',
  'list_triggers',
  'list_executions',
  'set_widget',
] as const;

const ENTITY = /\b(orders?|deals?|contacts?|invoices?|tickets?|products?|leads?)\b/i;

/** Reads "I run an online shop app; my customers want new orders in their CRM". */
function readUseCase(text: string): SetupState['useCase'] {
  const entity = ENTITY.exec(text)?.[1]?.toLowerCase().replace(/s$/, '');
  const own = /\b(?:run|build|make|have) an? (?:[\w-]+ )*?([\w-]+) app\b/i.exec(text)?.[1];
  const target = /\b(?:in|into|to) (?:their|our|the|a) ([\w-]+)\b/i.exec(text)?.[1];
  if (entity === undefined || own === undefined || target === undefined) return null;
  return { text, source: own.toLowerCase(), entity, target: target.toLowerCase() };
}

function checkOf(ok: boolean, id: string, label: string, fix: string) {
  return { id, label, ok, fix: ok ? null : fix };
}

/**
 * One turn: the state after it and the events of the answer. Never throws for a tool failure:
 * it answers what failed and leaves the step as it was.
 */
export async function setupTurn({
  state: previous,
  input,
  context,
}: {
  state: SetupState;
  input: SetupInput;
  context: SetupContext;
}): Promise<{ state: SetupState; events: SetupEvent[] }> {
  const state: SetupState = structuredClone(previous);
  const events: SetupEvent[] = [];
  const journal = context.journal ?? createMemoryJournal();
  const emit = (event: SetupEvent) => {
    events.push(event);
    context.onEvent?.(event);
  };
  const t: Turn = {
    say: (text) => emit({ type: 'text', text }),
    enter: (step) => {
      if (state.step !== step) emit({ type: 'step', step: state.step, status: 'done' });
      state.step = step;
      emit({ type: 'step', step, status: 'active' });
    },
    emit,
    events,
    tools: toolCaller({
      client: context.client,
      journal,
      step: `setup:${state.step}`,
      allow: ALLOW,
    }),
    journal,
    context,
  };
  try {
    const spent = (state.modelUsage?.inputTokens ?? 0) + (state.modelUsage?.outputTokens ?? 0);
    const cap = context.maxModelTokens;
    if ('text' in input && input.text.trim() !== '' && hasModel(context.provider)) {
      if (cap !== undefined && spent >= cap) {
        t.say(
          `This chat has used its model budget (${spent} of ${cap} tokens), so I read your message without the model. Start a new session to talk with the model again.`,
        );
        await dispatch(state, input, t);
      } else {
        await converse({
          state,
          text: input.text,
          model: context.provider,
          t,
          act: dispatch,
          ...(cap !== undefined && { maxTokens: cap - spent }),
        });
      }
    } else {
      await dispatch(state, input, t);
    }
  } catch (error) {
    t.say(`That did not work: ${error instanceof Error ? error.message : String(error)}`);
  }
  for (const span of journal === context.journal
    ? []
    : (journal as ReturnType<typeof createMemoryJournal>).spans)
    events.push({ type: 'activity', tool: span.tool, summary: span.summary });
  return { state, events };
}

/** Acts on one input in the current step (the deterministic machine under both paths). */
export async function dispatch(state: SetupState, input: StepInput, t: Turn): Promise<void> {
  if ('redo' in input) {
    t.enter(input.redo);
    if (input.redo === 'integration') state.workflowSteps = {};
    t.say(`Back to ${input.redo.replace('_', ' ')}.`);
  }
  if ('useCase' in input) {
    if (state.step !== 'use_cases') t.enter('use_cases');
    await useCases(state, input, t);
    return;
  }
  if ('allowLive' in input) {
    state.allowLive = input.allowLive;
    // Cases run again (with or without the LIVE one) at the next approval.
    for (const step of Object.keys(state.workflowSteps))
      if (step !== 'plan' && step !== 'build') delete state.workflowSteps[step];
    t.say(
      input.allowLive
        ? 'A LIVE case will run as well, against your test connections, when the tests run.'
        : 'Only MOCK cases will run; nothing is written to your test accounts.',
    );
    if (state.step === 'integration' && state.workflowSteps['plan'] !== undefined)
      t.emit({ type: 'choices', id: 'mapping', options: ['Approve mappings', 'Change a mapping'] });
    return;
  }
  switch (state.step) {
    case 'use_cases':
      await useCases(state, input, t);
      break;
    case 'connectors':
      await connectors(state, input, t);
      break;
    case 'integration':
      await integration(state, input, t);
      break;
    case 'embed':
      await embed(state, input, t);
      break;
    case 'live':
      await live(state, t);
      break;
  }
}

async function useCases(state: SetupState, input: StepInput, t: Turn): Promise<void> {
  if (!('text' in input) && !('redo' in input) && !('useCase' in input)) return;
  const useCase =
    'useCase' in input ? input.useCase : 'text' in input ? readUseCase(input.text) : state.useCase;
  if (useCase === null) {
    t.say(
      'Tell me what your product is and what your customers want connected, e.g. "I run an online shop app; my customers want new orders in their CRM".',
    );
    return;
  }
  state.useCase = useCase;
  t.say(
    `Use case: new ${useCase.entity}s in your ${useCase.source} app go to your customers' ${useCase.target}. Entities that matter: ${useCase.entity}, contact.`,
  );
  t.enter('connectors');
  await connectors(state, { text: '' }, t);
}

async function connectors(state: SetupState, input: StepInput, t: Turn): Promise<void> {
  const useCase = state.useCase;
  if (useCase === null) return;
  if ('form' in input && input.form.startsWith('spec:')) {
    const app = input.form.slice('spec:'.length);
    const url = input.values['specUrl'] ?? '';
    // The Connector Agent builds it as a sub-agent (its own step allow-lists, same MCP client).
    const { runConnectorAgent } = await import('../connector/index.ts');
    const report = await runConnectorAgent({
      client: t.context.client,
      provider: t.context.provider,
      journal: createMemoryJournal(),
      input: { source: url, slug: app },
    });
    if (report.status !== 'completed' || report.connector === null) {
      t.say(`The Connector Agent could not build the ${app} connector: ${report.message}`);
    } else {
      const tested = report.tests.map(
        (s) => `${s.passed} passed, ${s.failed} failed on ${s.target}`,
      );
      t.say(
        `Built the ${report.connector.slug} connector from its spec with the Connector Agent: ${report.actions.length} actions${tested.length > 0 ? `; tests: ${tested.join('; ')}` : ''}.`,
      );
      state.connectors[app] = { slug: report.connector.slug, connectionId: null };
    }
  }
  if ('form' in input && input.form.startsWith('credentials:')) {
    const app = input.form.slice('credentials:'.length);
    const entry = state.connectors[app];
    if (entry !== undefined) {
      if (state.customerId === null) {
        const existing = await t.tools.call<{ data: { id: string }[] }>('list_customers', {});
        state.customerId =
          existing.data[0]?.id ??
          (
            await t.tools.call<{ id: string }>('create_customer', {
              name: 'Test customer',
              externalId: 'weft-test',
            })
          ).id;
      }
      const connection = await t.tools.call<{ id: string }>('create_connection', {
        connector: entry.slug,
        customerId: state.customerId,
        credentials: input.values,
      });
      const tested = await t.tools.call<{ ok: boolean; status?: number }>('test_connection', {
        connectionId: connection.id,
      });
      if (!tested.ok) {
        t.say(
          `The ${entry.slug} credentials were refused (HTTP ${tested.status ?? '?'}); try again.`,
        );
      } else {
        entry.connectionId = connection.id;
        t.say(`Connected ${entry.slug}; the connection test passed.`);
      }
    }
  }
  // What is still missing, one at a time.
  const { data } = await t.tools.call<{
    data: { slug: string; name: string; authMethods: { type: string }[] }[];
  }>('list_connectors', {});
  for (const app of [useCase.source, useCase.target]) {
    const found = data.find((c) => c.slug === app || c.name.toLowerCase() === app);
    if (found === undefined) {
      t.emit({
        type: 'form',
        id: `spec:${app}`,
        title: `Where is the ${app} API described?`,
        fields: [{ name: 'specUrl', label: 'OpenAPI spec URL', secret: false }],
      });
      return;
    }
    const entry = (state.connectors[app] ??= { slug: found.slug, connectionId: null });
    if (entry.connectionId === null) {
      const auth = found.authMethods[0]?.type ?? 'api_key';
      const field = auth === 'bearer' ? 'token' : auth === 'basic' ? 'username' : 'apiKey';
      t.emit({
        type: 'form',
        id: `credentials:${app}`,
        title: `Connect your ${found.name} test account`,
        fields: [
          { name: field, label: auth === 'bearer' ? 'Token' : 'API key', secret: true },
          ...(auth === 'basic' ? [{ name: 'password', label: 'Password', secret: true }] : []),
        ],
      });
      return;
    }
  }
  t.enter('integration');
  await integration(state, { text: '' }, t);
}

async function runAgent(
  state: SetupState,
  t: Turn,
  approvals: number,
  publish: boolean,
): Promise<{ report: WorkflowReport | null; paused: string | null }> {
  const useCase = state.useCase;
  if (useCase === null) return { report: null, paused: null };
  const journal = createMemoryJournal({
    interactive: true,
    decisions: Array.from({ length: approvals }, () => ({ decision: 'approve' as const })),
    finishedSteps: state.workflowSteps,
  });
  const connections = Object.fromEntries(
    Object.values(state.connectors).flatMap((c) =>
      c.connectionId === null ? [] : [[c.slug, c.connectionId]],
    ),
  );
  try {
    const report = await runWorkflowAgent({
      client: t.context.client,
      provider: t.context.provider,
      journal,
      input: {
        request: {
          // A model reads the team's own words as well; the offline planner the plain request.
          text: `When a new ${useCase.entity} comes in from the ${useCase.source}, create a deal in the ${useCase.target}${
            hasModel(t.context.provider) ? `. In the team's words: "${useCase.text}"` : ''
          }`,
          source: state.connectors[useCase.source]?.slug,
          target: state.connectors[useCase.target]?.slug,
          mappings: state.mappingOverrides,
          ...(state.allowLive === true && { allowLive: true }),
        },
        connections,
        ...(state.customerId !== null && { customerId: state.customerId }),
        publish,
      },
    });
    return { report, paused: null };
  } catch (error) {
    if (error instanceof Error && error.name === 'RunPaused')
      return { report: null, paused: (error as Error & { stage: string }).stage };
    throw error;
  } finally {
    for (const s of journal.steps)
      if (s.status === 'completed') state.workflowSteps[s.step] = s.output;
    for (const span of journal.spans)
      t.emit({ type: 'activity', tool: span.tool, summary: span.summary });
  }
}

async function integration(state: SetupState, input: StepInput, t: Turn): Promise<void> {
  let changes: Record<string, MappingOverride> | null = 'mappings' in input ? input.mappings : null;
  if ('form' in input && input.form === 'mapping') {
    // A change at the review: "field = path", "field = 'fixed value'" or "'Order {number}'".
    changes = {};
    for (const [field, value] of Object.entries(input.values)) {
      const quoted = /^'(.*)'$/.exec(value);
      changes[field] =
        quoted === null
          ? { from: value }
          : /\{[^}]+\}/.test(quoted[1] ?? '')
            ? { template: quoted[1] ?? '' }
            : { value: quoted[1] };
    }
  }
  if (changes !== null) {
    Object.assign(state.mappingOverrides, changes);
    state.workflowSteps = {};
  }
  if (
    'text' in input &&
    /\blive\b/i.test(input.text) &&
    !/\b(no|not|don't|never)\b/i.test(input.text)
  ) {
    // Offline, "run a live test too" allows the LIVE case.
    await dispatch(state, { allowLive: true }, t);
    return;
  }
  const planned = state.workflowSteps['plan'] as { status: string; plan?: BuildPlan } | undefined;
  const choice = 'choice' in input ? input.choice : null;
  if (planned === undefined || changes !== null) {
    const { report } = await runAgent(state, t, 0, false);
    const plan = (state.workflowSteps['plan'] as { plan?: BuildPlan } | undefined)?.plan;
    if (plan === undefined) {
      t.say(report?.summary ?? 'I could not plan this integration yet.');
      return;
    }
    t.say(plan.summary);
    t.emit({
      type: 'mapping_review',
      items: plan.steps.flatMap((s) =>
        s.mappings.map((m) => ({
          step: s.id,
          target: `${s.id}.${m.target}`,
          words: describeMapping(m, plan.source.entity),
        })),
      ),
    });
    t.emit({
      type: 'choices',
      id: 'mapping',
      options: ['Approve mappings', 'Change a mapping'],
    });
    return;
  }
  if (choice === 'Change a mapping') {
    t.emit({
      type: 'form',
      id: 'mapping',
      title: 'Change a mapping (field = source path, or a fixed value in quotes)',
      fields: [{ name: 'deal.title', label: 'deal.title', secret: false }],
    });
    return;
  }
  if (choice === 'Approve mappings') {
    const { report } = await runAgent(state, t, 2, true);
    const tested = state.workflowSteps['test'] as
      | {
          rounds?: {
            results: {
              name: string;
              mode: 'MOCK' | 'LIVE';
              passWhen: string;
              passed: boolean;
              problems: string[];
            }[];
          }[];
        }
      | undefined;
    const results = tested?.rounds?.at(-1)?.results ?? report?.rounds?.at(-1)?.results ?? [];
    t.emit({
      type: 'test_cases',
      cases: results.map((r) => ({
        name: r.name,
        mode: r.mode,
        passWhen: r.passWhen,
        passed: r.passed,
        problems: r.problems,
      })),
    });
    if (report?.status === 'tests_failed') {
      t.say(report.summary);
      return;
    }
    t.emit({ type: 'choices', id: 'publish', options: ['Approve and publish'] });
    return;
  }
  if (choice === 'Approve and publish') {
    const { report } = await runAgent(state, t, 3, true);
    if (report?.status !== 'published') {
      t.say(report?.summary ?? 'Not published.');
      return;
    }
    state.workflow = { slug: report.workflow?.slug ?? '', published: true };
    t.say(report.summary);
    t.enter('embed');
    await embed(state, { text: '' }, t);
  }
}

/**
 * Step 4: a connect widget for the app the customers connect (the use case's target), with the
 * workflow built in step 3, and the snippet for the team's page; then the gateway config.
 */
async function embed(state: SetupState, input: StepInput, t: Turn): Promise<void> {
  if ('choice' in input && input.choice === 'Continue') {
    t.enter('live');
    await live(state, t);
    return;
  }
  const target = state.useCase?.target ?? '';
  const connector = state.connectors[target]?.slug ?? Object.values(state.connectors).at(-1)?.slug;
  const workflow = state.workflow?.slug;
  if (connector !== undefined) {
    const name = `${target === '' ? connector : target.toUpperCase()} sync`;
    const configured = await t.tools.call<{ widget: { slug: string }; snippet: string }>(
      'set_widget',
      {
        slug: `${connector}-connect`.replace(/[^a-z0-9_-]/g, '-').slice(0, 64),
        name,
        connectors: [
          {
            connector,
            workflows: workflow === undefined ? [] : [{ workflow, runOnConnect: true }],
          },
        ],
        branding: { title: `Connect your ${target === '' ? connector : target.toUpperCase()}` },
      },
    );
    t.say(
      `Your customers connect their ${target || connector} in the connect widget '${configured.widget.slug}', inside your app. Put this in your page, and serve /weft-token from your backend (it calls POST /api/v1/embed/tokens with { widget: "${configured.widget.slug}", customerId } and returns { token }):\n\n${configured.snippet}\n\nThen allow your app's origin to frame it: set_widget with allowedOrigins (until then, open a token's url directly).`,
    );
  }
  t.say(
    `Your customers' agents reach your workflows through the gateway: ${JSON.stringify({ mcpServers: { weft: { url: `${t.context.publicUrl}/mcp/gateway`, headers: { 'x-fastn-api-key': '<customer key>' } } } })}`,
  );
  t.emit({ type: 'choices', id: 'embed', options: ['Continue'] });
}

async function live(state: SetupState, t: Turn): Promise<void> {
  const connections = Object.values(state.connectors).filter((c) => c.connectionId !== null);
  let tested = connections.length > 0;
  for (const c of connections) {
    const r = await t.tools
      .call<{ ok: boolean }>('test_connection', { connectionId: c.connectionId })
      .catch(() => ({ ok: false }));
    tested &&= r.ok;
  }
  const slug = state.workflow?.slug ?? '';
  const wf =
    slug === ''
      ? null
      : await t.tools
          .call<{ deployments: Record<string, unknown> }>('get_workflow', { workflow: slug })
          .catch(() => null);
  const triggers = await t.tools.call<{
    data: { status: string; routes: { workflowSlug: string }[] }[];
  }>('list_triggers', {});
  const customers = await t.tools.call<{ data: unknown[] }>('list_customers', {});
  const runs =
    slug === ''
      ? { data: [] }
      : await t.tools.call<{ data: unknown[] }>('list_executions', {
          workflow: slug,
          status: 'completed',
          limit: 1,
        });
  const items = [
    checkOf(
      tested,
      'connection',
      'A connection tested OK',
      'test_connection (or fix the credentials in step 2)',
    ),
    checkOf(
      wf?.deployments['production'] !== undefined,
      'deployed',
      'The workflow deployed to production',
      'deploy_workflow { environment: production }',
    ),
    checkOf(
      triggers.data.some(
        (x) => x.status === 'active' && x.routes.some((r) => r.workflowSlug === slug),
      ),
      'trigger',
      'Its trigger active',
      'create_trigger / update_trigger { status: active }',
    ),
    checkOf(customers.data.length > 0, 'customer', 'A test customer', 'create_customer'),
    checkOf(
      runs.data.length > 0,
      'execution',
      'A successful execution',
      'run_workflow, or send a real event from the source app',
    ),
  ];
  t.emit({ type: 'checklist', items });
  if (items.every((i) => i.ok)) {
    state.complete = true;
    t.emit({ type: 'step', step: 'live', status: 'done' });
    t.say('Setup complete: your integration is live.');
  } else {
    t.say(
      `${items.filter((i) => !i.ok).length} item(s) left; ask me to check again when they are done.`,
    );
  }
}
