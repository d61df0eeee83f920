// The Connector Agent's orchestrator: the steps in a fixed order (discover, build, events, test,
// fix, map, report), each with its prompt and tool allow-list; the journal says which a resumed
// run already finished (their outputs rebuild the state); handbacks after the plan, the build and
// test/fix; one budget (model turns, tokens, cost, tool calls) for the whole run. With a model,
// the model chooses the tool calls inside a step (runToolLoop with the step's allow-list) and the
// step's deterministic logic then completes whatever the exit criterion still lacks; offline the
// deterministic logic is the step.
import { readFile } from 'node:fs/promises';
import {
  createBudget,
  hasModel,
  runToolLoop,
  type Budget,
  type ModelProvider,
  type Provider,
} from '../llm/index.ts';
import { RunCancelled, RunPaused, type RunJournal } from '../runs/journal.ts';
import { fix } from './fix.ts';
import { createGateway, ToolBudgetSpent, type Gateway } from './gateway.ts';
import { readSpecReference, type SpecReference } from './spec-reference.ts';
import * as steps from './steps.ts';
import type { RunState, StepContext } from './steps.ts';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type {
  ConnectorAgentBudget,
  ConnectorAgentInput,
  ConnectorReport,
  ConnectorStep,
  Fix,
  RunOutcome,
} from './types.ts';

/** The tools each step may call; anything else is refused and kept as a not_allowed span. */
export const STEP_TOOLS: Record<ConnectorStep, readonly string[]> = {
  discover: ['discover_spec', 'read_docs', 'create_spec'],
  build: [
    'import_openapi',
    'create_connector',
    'update_connector',
    'upsert_action',
    'get_connector',
    'list_actions',
    'get_action',
    'read_docs',
    'probe_endpoint',
  ],
  events: ['list_events', 'upsert_event', 'list_actions', 'read_docs'],
  test: ['test_actions', 'create_connection', 'get_connector', 'list_actions'],
  fix: [
    'get_connector',
    'get_action',
    'upsert_action',
    'update_connector',
    'test_actions',
    'probe_endpoint',
    'read_docs',
  ],
  map: ['suggest_mapping', 'preview_mapping', 'save_mapping', 'list_actions'],
  report: [],
};

const PROMPTS_DIR = new URL('./prompts/', import.meta.url);
const prompts = new Map<string, Promise<string>>();
function promptOf(step: ConnectorStep): Promise<string> {
  let text = prompts.get(step);
  if (text === undefined) {
    text = readFile(new URL(`connector-${step}.md`, PROMPTS_DIR), 'utf8');
    prompts.set(step, text);
  }
  return text;
}

export interface RunConnectorAgentOptions {
  readonly client: Client;
  readonly provider: Provider;
  readonly journal: RunJournal;
  readonly input: ConnectorAgentInput;
  readonly budget?: ConnectorAgentBudget;
  readonly signal?: AbortSignal;
}

class StopRun extends Error {
  readonly outcome: RunOutcome;
  constructor(outcome: RunOutcome, message: string) {
    super(message);
    this.outcome = outcome;
  }
}

/** Runs the Connector Agent to its report (a paused interactive run reports `waiting`). */
export async function runConnectorAgent(
  options: RunConnectorAgentOptions,
): Promise<ConnectorReport> {
  const { client, provider, journal, input, signal } = options;
  const gateway = createGateway({
    client,
    journal,
    ...(options.budget?.maxToolCalls === undefined
      ? {}
      : { maxToolCalls: options.budget.maxToolCalls }),
  });
  const budget = createBudget({
    maxSteps: options.budget?.maxSteps ?? 60,
    ...(options.budget?.maxTokens === undefined ? {} : { maxTokens: options.budget.maxTokens }),
    ...(options.budget?.maxCostUsd === undefined ? {} : { maxCostUsd: options.budget.maxCostUsd }),
  });
  const state: RunState = {
    source: { kind: 'none', ref: input.source ?? null, evidence: [] },
    actions: [],
    events: [],
    tests: [],
    specFindings: [],
    mappings: { saved: [], proposed: [] },
    notes: [],
  };
  const fixes: Fix[] = [];
  const timings: ConnectorReport['steps'][number][] = [];
  const revisions: string[] = [];
  let reference: SpecReference | null = null;
  const referenceOf = async () => {
    if (reference === null && input.specText !== undefined) {
      try {
        reference = await readSpecReference(input.specText);
      } catch (error) {
        state.notes.push(`the spec could not be read as a reference: ${(error as Error).message}`);
      }
    }
    return reference;
  };

  const context = (step: ConnectorStep): StepContext => ({
    gateway,
    input,
    state,
    allow: STEP_TOOLS[step],
    step,
    progress: (message) => journal.progress(step, message),
  });

  const modelTurn = async (step: ConnectorStep, model: ModelProvider, extra: unknown) => {
    const result = await runModelStep({
      step,
      model,
      gateway,
      journal,
      budget,
      state,
      input,
      extra,
      revisions,
      signal,
    });
    if (result.status === 'budget') throw new StopRun('budget', result.message);
    if (result.status === 'aborted') throw new RunCancelled();
    // A refusal, a provider error or a timeout ends the model's part of the step; the step's
    // deterministic logic still meets its exit criterion, and the report says what happened.
    if (result.status !== 'done') {
      const why = `the model stopped in the ${step} step (${result.status}${result.message ? `: ${result.message}` : ''}); the step went on without it`;
      state.notes.push(why);
      journal.progress(step, why);
    }
    return result.text;
  };

  const runStep = async (
    step: ConnectorStep,
    work: (ctx: StepContext) => Promise<Partial<RunState> & { fixes?: Fix[] }>,
    summary: () => string,
  ) => {
    await journal.checkCancelled();
    if (signal?.aborted === true) throw new RunCancelled();
    const done = (await journal.finished(step)) as
      (Partial<RunState> & { fixes?: Fix[] }) | undefined;
    if (done !== undefined) {
      const { fixes: doneFixes, ...rest } = done;
      Object.assign(state, rest);
      if (doneFixes !== undefined) fixes.push(...doneFixes);
      journal.progress(step, 'already done (resumed)');
      return;
    }
    const started = performance.now();
    await journal.startStep(step);
    journal.progress(step, 'started');
    try {
      const output = await work(context(step));
      const { fixes: newFixes, ...rest } = output;
      Object.assign(state, rest);
      if (newFixes !== undefined) fixes.push(...newFixes);
      const line = summary();
      await journal.finishStep(step, output, line);
      timings.push({ step, summary: line, durationMs: Math.round(performance.now() - started) });
      journal.progress(step, line);
    } catch (error) {
      await journal.failStep(step, (error as Error).message);
      throw error;
    }
  };

  const handback = async (stage: string, summary: string) => {
    const decision = await journal.handback(stage, summary);
    if (decision.decision === 'revise') {
      revisions.push(`${stage}: ${decision.note}`);
      state.notes.push(`revision after ${stage}: ${decision.note}`);
    }
  };

  let outcome: RunOutcome = 'completed';
  let message = 'done';
  try {
    await runStep(
      'discover',
      async (ctx) => {
        if (hasModel(provider) && input.specText === undefined && input.connector === undefined) {
          const text = await modelTurn('discover', provider, null);
          const chosen = parseChoice(text);
          if (chosen !== null) {
            return chosen.kind === 'spec'
              ? {
                  source: {
                    kind: 'spec',
                    ref: chosen.url,
                    evidence: ['chosen by the model from discover_spec'],
                  },
                  specUrl: chosen.url,
                }
              : {
                  source: { kind: 'docs', ref: chosen.url, evidence: ['chosen by the model'] },
                  docsUrls: [chosen.url],
                };
          }
        }
        return steps.discover(ctx);
      },
      () => `source: ${state.source.kind} ${state.source.ref ?? ''}`.trim(),
    );
    await handback('plan', `will build from ${state.source.kind} ${state.source.ref ?? ''}`);

    await runStep(
      'build',
      async (ctx) => {
        if (hasModel(provider)) {
          await modelTurn('build', provider, null);
          const made = gateway.log.find(
            (c) =>
              c.step === 'build' && (c.name === 'import_openapi' || c.name === 'create_connector'),
          );
          const slug = made?.data?.['slug'];
          if (typeof slug === 'string' && state.source.kind !== 'existing') {
            const built = await steps.build({
              ...ctx,
              state: { ...state, source: { kind: 'existing', ref: slug, evidence: [] } },
            });
            if ((built.actions ?? []).length > 0) return built;
          }
        }
        return steps.build(ctx);
      },
      () =>
        `connector ${state.connector?.slug ?? '?'}: ${state.actions.length} actions${state.planned === undefined ? '' : ` of ${state.planned} documented endpoints`}`,
    );
    await handback(
      'build',
      `built ${state.connector?.slug ?? '?'} with ${state.actions.length} actions`,
    );

    await runStep(
      'events',
      async (ctx) => {
        if (hasModel(provider)) await modelTurn('events', provider, null);
        return steps.events(ctx);
      },
      () => `${state.events.length} events`,
    );

    await runStep(
      'test',
      async (ctx) => {
        if (hasModel(provider)) await modelTurn('test', provider, null);
        return steps.test(ctx);
      },
      () =>
        state.tests.map((t) => `${t.target}: ${t.passed} passed, ${t.failed} failed`).join('; ') ||
        'nothing tested',
    );

    await runStep(
      'fix',
      async (ctx) => {
        const failing = state.tests.some((t) => t.failed > 0);
        if (!failing) return { fixes: [] };
        if (hasModel(provider)) {
          await modelTurn(
            'fix',
            provider,
            state.tests.flatMap((t) => t.results.filter((r) => r.outcome === 'fail')),
          );
          const retested = await steps.test(ctx);
          Object.assign(state, retested);
        }
        return fix(ctx, await referenceOf(), input.maxFixRounds ?? 3);
      },
      () =>
        `${fixes.length} changes, ${fixes.filter((f) => f.outcome === 'fixed').length} fixed; ${state.tests.map((t) => `${t.target}: ${t.passed} passed, ${t.failed} failed`).join('; ')}`,
    );
    await handback(
      'test',
      state.tests.map((t) => `${t.target}: ${t.passed}/${t.results.length} pass`).join('; '),
    );

    await runStep(
      'map',
      async (ctx) => {
        if (hasModel(provider)) {
          await modelTurn('map', provider, null);
          if (gateway.log.some((c) => c.step === 'map' && c.name === 'save_mapping'))
            return { mappings: state.mappings };
        }
        return steps.map(ctx);
      },
      () =>
        `${state.mappings.saved.length} mappings saved, ${state.mappings.proposed.length} proposed`,
    );
  } catch (error) {
    if (error instanceof RunPaused) {
      outcome = 'waiting';
      message = error.message;
    } else if (error instanceof RunCancelled) {
      outcome = 'cancelled';
      message = error.message;
    } else if (error instanceof StopRun) {
      outcome = error.outcome;
      message = error.message;
    } else if (error instanceof ToolBudgetSpent) {
      outcome = 'budget';
      message = error.message;
    } else if (error instanceof steps.StepFailed) {
      outcome = 'failed';
      message = error.message;
    } else throw error;
  }

  if (state.specFindings.length === 0 && outcome === 'completed') {
    const ref = await referenceOf();
    if (ref !== null) state.specFindings = [...ref.findings];
  }
  const spent = budget.spent();
  const report: ConnectorReport = {
    runId: journal.runId,
    status: outcome,
    message,
    source: state.source,
    connector: state.connector ?? null,
    actions: state.actions.map(({ slug, method, path }) => ({ slug, method, path })),
    events: state.events,
    tests: state.tests,
    fixes,
    specFindings: state.specFindings,
    mappings: state.mappings,
    usage: {
      inputTokens: spent.inputTokens,
      outputTokens: spent.outputTokens,
      costUsd: spent.costUsd,
      toolCalls: gateway.stats.calls,
      refusedCalls: gateway.stats.refused,
    },
    steps: timings,
    notes: state.notes,
  };
  if (outcome === 'completed') {
    let text = '';
    if (hasModel(provider)) {
      try {
        text = await modelTurn('report', provider, report);
      } catch {
        text = '';
      }
    }
    await runStep(
      'report',
      () => Promise.resolve({}),
      () =>
        text.trim().split('\n')[0]?.slice(0, 500) ||
        `${report.actions.length} actions, ${report.fixes.length} fixes`,
    );
    const final = budget.spent();
    return {
      ...report,
      steps: timings,
      usage: {
        ...report.usage,
        inputTokens: final.inputTokens,
        outputTokens: final.outputTokens,
        costUsd: final.costUsd,
      },
      ...(text === '' ? {} : { message: text.trim() }),
    };
  }
  return report;
}

function parseChoice(text: string): { kind: 'spec' | 'docs'; url: string } | null {
  const match = /\{[^{}]*"kind"[^{}]*\}/.exec(text);
  if (match === null) return null;
  try {
    const value = JSON.parse(match[0]) as { kind?: string; url?: string };
    if (
      (value.kind === 'spec' || value.kind === 'docs') &&
      typeof value.url === 'string' &&
      /^https?:\/\//.test(value.url)
    )
      return { kind: value.kind, url: value.url };
  } catch {
    // Not JSON: the deterministic discovery decides.
  }
  return null;
}

/** One step's model loop: its prompt, the run's context as data, only the step's tools. */
async function runModelStep({
  step,
  model,
  gateway,
  journal,
  budget,
  state,
  input,
  extra,
  revisions,
  signal,
}: {
  step: ConnectorStep;
  model: ModelProvider;
  gateway: Gateway;
  journal: RunJournal;
  budget: Budget;
  state: RunState;
  input: ConnectorAgentInput;
  extra: unknown;
  revisions: readonly string[];
  signal: AbortSignal | undefined;
}): Promise<{ status: string; text: string; message: string }> {
  const allow = STEP_TOOLS[step];
  const tools = await gateway.specs(allow);
  const { credentials, specText: _spec, ...visible } = input;
  const contextMessage = JSON.stringify({
    input: { ...visible, credentials: credentials === undefined ? [] : Object.keys(credentials) },
    specId: state.specId,
    specUrl: state.specUrl,
    source: state.source,
    connector: state.connector,
    actions: state.actions.slice(0, 100),
    connectionId: state.connectionId,
    revisions,
    ...(extra === null ? {} : { details: extra }),
  });
  const result = await runToolLoop({
    provider: model,
    system: await promptOf(step),
    messages: [{ role: 'user', content: `Run context (data):\n${contextMessage}` }],
    tools,
    allow,
    budget,
    ...(signal === undefined ? {} : { signal }),
    onToolCall: async ({ name, input: args }) => {
      const answer = await gateway.call(step, allow, name, (args ?? {}) as Record<string, unknown>);
      return { content: answer.data ?? answer.text, isError: !answer.ok };
    },
    onTurn: (turn) => {
      void journal.recordUsage({
        inputTokens: turn.usage.inputTokens,
        outputTokens: turn.usage.outputTokens,
        costUsd: turn.costUsd,
      });
    },
  });
  // Calls refused by the loop never reached the gateway: kept as spans all the same.
  for (const call of result.calls) {
    if (
      call.status === 'not_allowed' ||
      (call.status === 'unknown_tool' && (await gateway.exists(call.name)))
    )
      await gateway.refused(
        step,
        call.name,
        call.input,
        `refused: ${call.name} is not allowed in the ${step} step`,
      );
  }
  return { status: result.status, text: result.text, message: result.error?.message ?? '' };
}
