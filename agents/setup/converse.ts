// The Setup Assistant with a model: the person's free text goes to the model with the session's
// state and conversation, the model's answer streams to the chat as it is written, and the model
// steers through intent tools — record the use case, build a connector from a spec, change a
// mapping, approve, allow a LIVE case, go on, check again, redo a step — each of which becomes
// a structured input of the same state machine the buttons and forms drive (assistant.ts). Read
// tools (list_connectors, list_actions, get_action) let it look before it acts.
// Decision: credentials never pass through the model. They are asked for in forms whose values
// go straight to create_connection; no intent takes a secret, the prompt says so, and a message
// that looks like it carries a key is not sent to the model at all. A model
// that stops (refusal, budget, provider error) is reported and the text is read offline.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { looksLikeSecret } from '../../server/text.ts';
import {
  createBudget,
  runToolLoop,
  type ChatMessage,
  type ModelProvider,
  type ToolSpec,
} from '../llm/index.ts';
import { MappingSchema } from '../workflow/plan.ts';
import {
  SETUP_STEPS,
  type SetupEvent,
  type SetupState,
  type StepInput,
  type Turn,
} from './types.ts';

const TRANSCRIPT_LIMIT = 20;

const READ_TOOLS = ['list_connectors', 'list_actions', 'get_action'] as const;

const INTENTS = {
  record_use_case: z
    .object({
      product: z.string().describe("The team's product, in a few words"),
      source: z
        .string()
        .regex(/^[a-z][a-z0-9-]{0,39}$/)
        .describe("Short slug of the team's own app the records come from (shop)"),
      entity: z.string().min(1).describe('The record that moves, singular (order)'),
      target: z
        .string()
        .regex(/^[a-z][a-z0-9-]{0,39}$/)
        .describe('Short slug of the app their customers want it in (crm)'),
    })
    .strict(),
  build_connector: z
    .object({
      app: z.string().describe('The app, as named in the use case (source or target)'),
      specUrl: z.string().url().describe("URL of the app's OpenAPI spec"),
    })
    .strict(),
  change_mapping: z
    .object({
      field: z.string().describe('The target field as shown in the review: deal.title'),
      mapping: MappingSchema.omit({ target: true }),
    })
    .strict(),
  approve_mapping: z.object({}).strict(),
  approve_publish: z.object({}).strict(),
  allow_live_tests: z.object({ allow: z.boolean() }).strict(),
  continue_to_live: z.object({}).strict(),
  check_live: z.object({}).strict(),
  redo_step: z.object({ step: z.enum(SETUP_STEPS) }).strict(),
};
type Intents = typeof INTENTS;
type IntentName = keyof Intents;

const DESCRIPTIONS: Record<IntentName, string> = {
  record_use_case:
    'Record the use case once you know the team’s app, the record that moves and the app their customers want; moves on to the connectors.',
  build_connector:
    "Build the connector of an app from its OpenAPI spec URL with the Connector Agent (the person gave the URL). Then the person is asked for the app's test credentials in a form.",
  change_mapping:
    'Change one mapping at the review: from a path of the source record, a template with {path} placeholders, or a fixed value. The plan is made again with it.',
  approve_mapping:
    'The person approved the mappings: the workflow is built and its test cases run.',
  approve_publish:
    'The person approved publishing after the test cases passed: publish, deploy and create the trigger.',
  allow_live_tests:
    'The person allows (or forbids) a LIVE test case against their test connections.',
  continue_to_live: 'The person has seen the embed step; go on to the go-live checklist.',
  check_live: 'Compute the go-live checklist again from the real state.',
  redo_step: 'Go back to a step and do it again.',
};

function systemPrompt(state: SetupState): string {
  const base = readFileSync(
    new URL('../../prompts/agents/setup-assistant.md', import.meta.url),
    'utf8',
  );
  const where = {
    step: state.step,
    useCase: state.useCase,
    connectors: Object.fromEntries(
      Object.entries(state.connectors).map(([app, c]) => [
        app,
        { slug: c.slug, connected: c.connectionId !== null },
      ]),
    ),
    planned: state.workflowSteps['plan'] !== undefined,
    tested: state.workflowSteps['test'] !== undefined,
    allowLive: state.allowLive === true,
    workflow: state.workflow,
    complete: state.complete,
  };
  return `${base}\n\n## Where the setup stands\n\n${JSON.stringify(where, null, 2)}\n`;
}

/** What a step did, in words the model can read back: what the chat now shows. */
function describe(events: readonly SetupEvent[]): string {
  const lines: string[] = [];
  for (const e of events) {
    switch (e.type) {
      case 'text':
        lines.push(`said: ${e.text}`);
        break;
      case 'step':
        if (e.status === 'active') lines.push(`now at step ${e.step}`);
        break;
      case 'form':
        lines.push(
          `the chat shows a form "${e.title}" (${e.fields.map((f) => `${f.label}${f.secret ? ', secret' : ''}`).join('; ')}): the person fills it in there`,
        );
        break;
      case 'choices':
        lines.push(`the chat offers: ${e.options.join(' | ')}`);
        break;
      case 'mapping_review':
        lines.push(`mapping review:\n${e.items.map((i) => `  ${i.words}`).join('\n')}`);
        break;
      case 'test_cases':
        lines.push(
          `test cases:\n${e.cases.map((c) => `  [${c.mode}] ${c.name}: ${c.passed ? 'passed' : `FAILED ${c.problems.join('; ')}`}`).join('\n')}`,
        );
        break;
      case 'checklist':
        lines.push(
          `checklist:\n${e.items.map((i) => `  [${i.ok ? 'x' : ' '}] ${i.label}${i.fix ? ` (fix: ${i.fix})` : ''}`).join('\n')}`,
        );
        break;
      case 'text_delta':
      case 'activity':
        break;
    }
  }
  return lines.join('\n') || 'done';
}

/** The structured input an intent stands for, or why it cannot be done now. */
function inputOf(name: IntentName, args: Record<string, unknown>, state: SetupState, text: string) {
  const a = args as never;
  switch (name) {
    case 'record_use_case': {
      const u = a as z.infer<Intents['record_use_case']>;
      return {
        useCase: { text, source: u.source, entity: u.entity.toLowerCase(), target: u.target },
      };
    }
    case 'build_connector': {
      const b = a as z.infer<Intents['build_connector']>;
      if (state.useCase === null) return 'record the use case first';
      const app = [state.useCase.source, state.useCase.target].find(
        (x) => x === b.app.toLowerCase(),
      );
      if (app === undefined)
        return `the use case names ${state.useCase.source} and ${state.useCase.target}; build one of those`;
      return { form: `spec:${app}`, values: { specUrl: b.specUrl } };
    }
    case 'change_mapping': {
      const c = a as z.infer<Intents['change_mapping']>;
      if (state.step !== 'integration' || state.workflowSteps['plan'] === undefined)
        return 'no mapping review is open; redo the integration step to change a mapping';
      return { mappings: { [c.field]: c.mapping } };
    }
    case 'approve_mapping':
      if (state.step !== 'integration' || state.workflowSteps['plan'] === undefined)
        return 'there is no mapping review to approve';
      return { choice: 'Approve mappings' };
    case 'approve_publish':
      if (state.step !== 'integration' || state.workflowSteps['test'] === undefined)
        return 'the test cases have not run yet: approve the mappings first';
      return { choice: 'Approve and publish' };
    case 'allow_live_tests':
      return { allowLive: (a as { allow: boolean }).allow };
    case 'continue_to_live':
      if (state.step !== 'embed') return `the setup is at ${state.step}, not embed`;
      return { choice: 'Continue' };
    case 'check_live':
      if (state.step !== 'live')
        return `the setup is at ${state.step}; the checklist is the last step`;
      return { text: 'check again' };
    case 'redo_step':
      return { redo: (a as { step: SetupState['step'] }).step };
  }
}

/**
 * One turn of free text with a model. `act` runs a structured input through the state machine
 * (assistant.ts's dispatch, passed in so that this file does not import it).
 */
export async function converse({
  state,
  text,
  model,
  t,
  act,
  maxTokens,
}: {
  state: SetupState;
  text: string;
  model: ModelProvider;
  t: Turn;
  act: (state: SetupState, input: StepInput, t: Turn) => Promise<void>;
  /** What is left of the session's model budget: the turn stops there. */
  maxTokens?: number;
}): Promise<void> {
  if (looksLikeSecret(text)) {
    // A key typed into the chat instead of the form: kept from the model and the conversation.
    t.say(
      'That looks like a key or token, so I did not send it to the model. Enter credentials in the form: they go straight to the connection.',
    );
    return;
  }
  const transcript = (state.transcript ??= []);
  const history: ChatMessage[] = transcript.map((m) =>
    m.role === 'user' ? { role: 'user', content: m.text } : { role: 'assistant', content: m.text },
  );
  const tools: ToolSpec[] = [
    ...Object.entries(INTENTS).map(([name, input]) => ({
      name,
      description: DESCRIPTIONS[name as IntentName],
      input,
    })),
    {
      name: 'list_connectors',
      description: "The org's connectors",
      input: z.object({}).strict(),
    },
    {
      name: 'list_actions',
      description: "A connector's actions",
      input: z.object({ connector: z.string() }).strict(),
    },
    {
      name: 'get_action',
      description: "An action's input and output schemas",
      input: z.object({ connector: z.string(), action: z.string() }).strict(),
    },
  ];
  let streamed = false;
  const loop = await runToolLoop({
    provider: model,
    system: systemPrompt(state),
    messages: [...history, { role: 'user', content: text }],
    tools,
    budget: createBudget({ maxSteps: 12, ...(maxTokens !== undefined && { maxTokens }) }),
    ...(t.context.signal !== undefined && { signal: t.context.signal }),
    onText: (delta) => {
      streamed = true;
      t.emit({ type: 'text_delta', text: delta });
    },
    onTurn: () => {
      // Each streamed message ends its line before what the step shows next.
      if (streamed) t.emit({ type: 'text_delta', text: '\n' });
      streamed = false;
    },
    onToolCall: async ({ name, input }) => {
      const args = (input ?? {}) as Record<string, unknown>;
      try {
        if ((READ_TOOLS as readonly string[]).includes(name))
          return { content: await t.tools.call(name, args) };
        const next = inputOf(name as IntentName, args, state, text);
        if (typeof next === 'string') return { content: `Not done: ${next}.`, isError: true };
        const before = t.events.length;
        await act(state, next, t);
        return { content: describe(t.events.slice(before)) };
      } catch (error) {
        return { content: error instanceof Error ? error.message : String(error), isError: true };
      }
    },
  });
  await t.journal.recordUsage(loop.usage);
  const used = (state.modelUsage ??= { inputTokens: 0, outputTokens: 0, costUsd: 0 });
  used.inputTokens += loop.usage.inputTokens;
  used.outputTokens += loop.usage.outputTokens;
  used.costUsd += loop.usage.costUsd;
  transcript.push({ role: 'user', text });
  if (loop.text !== '') transcript.push({ role: 'assistant', text: loop.text });
  transcript.splice(0, Math.max(0, transcript.length - TRANSCRIPT_LIMIT));
  if (loop.status !== 'done') {
    t.say(
      `(The model stopped: ${loop.error?.message ?? loop.status}. I read your message without it.)`,
    );
    if (loop.calls.every((c) => c.status !== 'ok')) await act(state, { text }, t);
  }
}
