// Test cases of a workflow, generated from the plan's acceptance criteria, and how they run.
// MOCK cases run the draft in the real sandbox with every connector call answered from the
// case's mock answers (made from the specs' examples or sampled records): the draft is wrapped
// in a harness workflow `<slug>-tests` that hands the draft a ctx whose `connectors` answer from
// the case, whose `state` and `step` live in memory and whose `http.fetch` is refused, and the
// harness is published (never deployed) and run with run_workflow { version } — so the cases run
// through the admin tools only, the workflow itself is untouched and published only after they
// pass. LIVE cases pass the calls through to the real connectors (a test connection, and only
// when the person allowed it). Decision: a harness rather than a new server "dry-run" mode, since
// everything it needs (sandbox, type check, run_workflow with a version) exists today.
import { evaluateMapping, getPath } from './mapping.ts';
import type { BuildPlan } from './plan.ts';
import type { ToolCaller } from './tools.ts';

export interface MockAnswer {
  readonly status: number;
  readonly body: unknown;
}

export interface CallExpectation {
  /** connector.action */
  readonly key: string;
  readonly count: number;
  /** Fields of the call's input and the values they must have. */
  readonly with?: Record<string, unknown>;
  /** Fields that must be present and non-empty. */
  readonly required?: readonly string[];
}

export interface TestCase {
  readonly id: string;
  readonly name: string;
  readonly mode: 'MOCK' | 'LIVE';
  /** The acceptance criterion it checks. */
  readonly criterion: string;
  /** In words: what must hold for the case to pass. */
  readonly passWhen: string;
  readonly input: unknown;
  readonly mocks: Record<string, MockAnswer[]>;
  readonly state?: Record<string, unknown>;
  readonly expect: {
    readonly status: 'completed' | 'failed';
    readonly calls: readonly CallExpectation[];
  };
}

export interface CaseResult {
  readonly id: string;
  readonly name: string;
  readonly mode: 'MOCK' | 'LIVE';
  readonly passWhen: string;
  readonly passed: boolean;
  /** Why it failed, one line per broken expectation. */
  readonly problems: readonly string[];
  readonly status: string;
  readonly error?: string;
  readonly calls: readonly { key: string; input: Record<string, unknown> }[];
}

const mockId = (stepId: string) => `mock_${stepId}_1`;

function eventOf(plan: BuildPlan, record: unknown): unknown {
  return plan.trigger.type === 'webhook'
    ? { event: plan.trigger.event ?? 'created', [plan.source.recordPath]: record }
    : {};
}

function listMock(plan: BuildPlan, records: unknown[]): Record<string, MockAnswer[]> {
  if (plan.trigger.type === 'webhook' || plan.source.listAction === undefined) return {};
  return {
    [`${plan.source.connector}.${plan.source.listAction}`]: [
      { status: 200, body: { [plan.source.recordPath]: records } },
    ],
  };
}

function writeMocks(
  plan: BuildPlan,
  record: unknown,
  existing?: unknown,
): Record<string, MockAnswer[]> {
  const mocks: Record<string, MockAnswer[]> = {};
  for (const step of plan.steps) {
    if (step.lookup !== undefined)
      mocks[`${step.connector}.${step.lookup.action}`] = [
        { status: 200, body: { data: existing === undefined ? [] : [existing] } },
      ];
    mocks[`${step.connector}.${step.action}`] = [
      { status: 201, body: { id: mockId(step.id), from: getPath(record, 'id') ?? null } },
    ];
  }
  return mocks;
}

/** What each write step must be called with, given the ids the earlier steps answered. */
function writeExpectations(
  plan: BuildPlan,
  record: unknown,
  ids: Record<string, string>,
  required: Record<string, readonly string[]>,
  skip: ReadonlySet<string> = new Set(),
): CallExpectation[] {
  const stepValues = Object.fromEntries(Object.entries(ids).map(([k, id]) => [k, { id }]));
  return plan.steps.map((step) => {
    const key = `${step.connector}.${step.action}`;
    if (skip.has(step.id)) return { key, count: 0 };
    const expected: Record<string, unknown> = {};
    for (const m of step.mappings) {
      const v = evaluateMapping(m, record, stepValues);
      if (v !== undefined) expected[m.target] = v;
    }
    return { key, count: 1, with: expected, required: required[step.id] ?? [] };
  });
}

/** The cases of a plan: one or more per acceptance criterion. */
export function generateCases({
  plan,
  record,
  required,
  live = false,
}: {
  plan: BuildPlan;
  /** A source record: a sample from the API, or made from the spec. */
  record: Record<string, unknown>;
  /** Required input fields of each step's action (from its input schema). */
  required: Record<string, readonly string[]>;
  /** Add a LIVE case (a test connection exists and the person allowed it). */
  live?: boolean;
}): TestCase[] {
  const cases: TestCase[] = [];
  const ids = Object.fromEntries(plan.steps.map((s) => [s.id, mockId(s.id)]));
  const inFilter = (r: Record<string, unknown>) => {
    if (plan.filter === undefined) return r;
    return { ...r, [plan.filter.field]: plan.filter.in[0] };
  };
  const good = inFilter(record);
  for (const criterion of plan.acceptance) {
    switch (criterion.id) {
      case 'creates':
        cases.push({
          id: 'creates',
          name: `a new ${plan.source.entity} creates the ${plan.steps.map((s) => s.entity ?? s.id).join(' and ')}`,
          mode: 'MOCK',
          criterion: criterion.text,
          passWhen: `the run completes; ${plan.steps.map((s) => `${s.connector}.${s.action} is called once with every mapped field`).join('; ')}; required fields are filled`,
          input: eventOf(plan, good),
          mocks: { ...listMock(plan, [good]), ...writeMocks(plan, good) },
          expect: { status: 'completed', calls: writeExpectations(plan, good, ids, required) },
        });
        break;
      case 'links-contact': {
        const contactStep = plan.steps.find((s) => s.id === 'contact');
        if (contactStep?.lookup === undefined) break;
        const email = getPath(good, contactStep.lookup.from);
        const existing = { id: 'existing_contact', [contactStep.lookup.by]: email };
        cases.push({
          id: 'links-contact',
          name: 'an existing contact is reused, not created again',
          mode: 'MOCK',
          criterion: criterion.text,
          passWhen: `${contactStep.connector}.${contactStep.action} is not called; the later steps carry existing_contact`,
          input: eventOf(plan, good),
          mocks: { ...listMock(plan, [good]), ...writeMocks(plan, good, existing) },
          expect: {
            status: 'completed',
            calls: writeExpectations(
              plan,
              good,
              { ...ids, contact: 'existing_contact' },
              required,
              new Set(['contact']),
            ),
          },
        });
        break;
      }
      case 'filter': {
        if (plan.filter === undefined) break;
        const other = { ...record, [plan.filter.field]: `not-${String(plan.filter.in[0])}` };
        cases.push({
          id: 'filter',
          name: `a ${plan.source.entity} outside the filter is skipped`,
          mode: 'MOCK',
          criterion: criterion.text,
          passWhen: 'the run completes and writes nothing',
          input: eventOf(plan, other),
          mocks: { ...listMock(plan, [other]), ...writeMocks(plan, other) },
          expect: {
            status: 'completed',
            calls: plan.steps.map((s) => ({ key: `${s.connector}.${s.action}`, count: 0 })),
          },
        });
        break;
      }
      case 'target-error': {
        const last = plan.steps.at(-1);
        if (last === undefined) break;
        const mocks = { ...listMock(plan, [good]), ...writeMocks(plan, good) };
        mocks[`${last.connector}.${last.action}`] = [
          { status: 500, body: { error: 'mock: the target is down' } },
        ];
        const skips = plan.errorStrategy.onTargetError === 'skip';
        cases.push({
          id: 'target-error',
          name: `a failing ${last.connector}.${last.action} is not reported as success`,
          mode: 'MOCK',
          criterion: criterion.text,
          passWhen: skips
            ? 'the run completes with ok: false and the error'
            : 'the run fails with the HTTP status in its error (its retry policy applies)',
          input: eventOf(plan, good),
          mocks,
          expect: {
            status: skips ? 'completed' : 'failed',
            calls: [{ key: `${last.connector}.${last.action}`, count: 1 }],
          },
        });
        break;
      }
      default:
        break;
    }
  }
  if (live) {
    cases.push({
      id: 'live',
      name: `one ${plan.source.entity} through the test connections`,
      mode: 'LIVE',
      criterion: 'The workflow works against the real APIs',
      passWhen: `the run completes, every call answers 2xx and ${plan.steps.at(-1)?.connector ?? ''}.${plan.steps.at(-1)?.action ?? ''} is called once`,
      input: eventOf(plan, good),
      mocks: {},
      expect: {
        status: 'completed',
        calls: plan.steps.slice(-1).map((s) => ({ key: `${s.connector}.${s.action}`, count: 1 })),
      },
    });
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// The harness.

/** The draft as a named function (not the default export), with ctx typed. */
export function asCandidate(source: string): string {
  let out = source.replace(
    /export\s+default\s+async\s+function\s*([A-Za-z_$][\w$]*)?\s*\(\s*([A-Za-z_$][\w$]*)\s*\)/,
    (_m, _name: string | undefined, param: string) =>
      `const __candidate = async function (${param}: WorkflowContext)`,
  );
  out = out.replace(
    /export\s+default\s+async\s*\(\s*([A-Za-z_$][\w$]*)\s*\)\s*=>/,
    (_m, param: string) => `const __candidate = async (${param}: WorkflowContext) =>`,
  );
  out = out.replace(/export\s+default\s+/, 'const __candidate = ');
  return out;
}

const HARNESS = `
// ---- test harness (MOCK: connectors answered from the case; LIVE: passed through) ----
export default async function harness(ctx: WorkflowContext) {
  const spec: any = ctx.input ?? {};
  const calls: { key: string; input: any }[] = [];
  const queues: Record<string, any[]> = JSON.parse(JSON.stringify(spec.mocks ?? {}));
  const memory = new Map<string, any>(Object.entries(spec.state ?? {}));
  const done = new Map<string, any>();
  const live = spec.mode === 'LIVE';
  const connectors: any = new Proxy({}, {
    get: (_t: any, connector: string | symbol) => new Proxy({}, {
      get: (_u: any, action: string | symbol) => async (input?: any) => {
        const key = String(connector) + '.' + String(action);
        // JSON as the run's output will be: a NaN (a failed number conversion) reads as null.
        calls.push({ key, input: JSON.parse(JSON.stringify(input ?? {})) });
        if (live) return (ctx.connectors as any)[String(connector)][String(action)](input);
        const queue = queues[key];
        if (!queue || queue.length === 0)
          return { status: 501, ok: false, headers: {}, body: { error: 'no mock answer for ' + key } };
        const answer = queue.length > 1 ? queue.shift() : queue[0];
        return { headers: {}, ...answer, ok: answer.status < 400 };
      },
    }),
  });
  const testCtx: any = {
    input: spec.input ?? null,
    headers: spec.headers ?? {},
    trigger: { type: 'test', case: spec.id ?? null },
    customer: null,
    env: ctx.env,
    executionId: ctx.executionId,
    attempt: 1,
    log: ctx.log,
    secrets: ctx.secrets,
    state: {
      get: async (k: string) => (memory.has(k) ? memory.get(k) : null),
      set: async (k: string, v: any) => { memory.set(k, v); },
      delete: async (k: string) => { memory.delete(k); },
    },
    connectors,
    cdm: ctx.cdm,
    http: { fetch: async () => { throw new Error('test cases make no network calls (ctx.http.fetch)'); } },
    step: async (name: string, fn: () => any) => {
      if (done.has(name)) return done.get(name);
      const value = await fn();
      done.set(name, value);
      return value;
    },
    sleep: async () => undefined,
  };
  try {
    const output = await __candidate(testCtx);
    return { status: 'completed', output: output ?? null, calls, state: Object.fromEntries(memory) };
  } catch (error: any) {
    return { status: 'failed', error: String(error?.message ?? error), calls, state: Object.fromEntries(memory) };
  }
}
`;

export function harnessSource(source: string): string {
  return `${asCandidate(source)}\n${HARNESS}`;
}

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) < 1e-9;
  return JSON.stringify(a) === JSON.stringify(b);
}

function emptyValue(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (typeof v === 'number' && Number.isNaN(v));
}

/** Checks one case's run against its expectations. */
export function judge(
  testCase: TestCase,
  run: {
    status: string;
    error?: string;
    calls?: { key: string; input: Record<string, unknown> }[];
  },
): CaseResult {
  const calls = run.calls ?? [];
  const problems: string[] = [];
  if (run.status !== testCase.expect.status)
    problems.push(
      `expected the run to be ${testCase.expect.status}, it was ${run.status}${run.error ? `: ${run.error}` : ''}`,
    );
  for (const e of testCase.expect.calls) {
    const made = calls.filter((c) => c.key === e.key);
    if (made.length !== e.count) {
      problems.push(`expected ${e.count} call(s) to ${e.key}, got ${made.length}`);
      continue;
    }
    const first = made[0];
    if (first === undefined) continue;
    for (const field of e.required ?? []) {
      if (emptyValue(first.input[field]))
        problems.push(
          `${e.key}: required field ${field} is ${JSON.stringify(first.input[field] ?? null)}`,
        );
    }
    for (const [field, value] of Object.entries(e.with ?? {})) {
      if (!same(first.input[field], value))
        problems.push(
          `${e.key}: ${field} is ${JSON.stringify(first.input[field] ?? null)}, expected ${JSON.stringify(value)}`,
        );
    }
  }
  if (testCase.mode === 'LIVE' && run.status === 'completed' && run.error !== undefined)
    problems.push(run.error);
  return {
    id: testCase.id,
    name: testCase.name,
    mode: testCase.mode,
    passWhen: testCase.passWhen,
    passed: problems.length === 0,
    problems,
    status: run.status,
    ...(run.error !== undefined && { error: run.error }),
    calls,
  };
}

/**
 * Writes the harness around `source`, publishes it (not deployed anywhere) and runs each case
 * through run_workflow with that version. A harness that does not compile or type-check fails
 * every case with the publish error.
 */
export async function runCases({
  tools,
  plan,
  source,
  cases,
  customerId,
}: {
  tools: ToolCaller;
  plan: BuildPlan;
  source: string;
  cases: readonly TestCase[];
  /** Whose test connections a LIVE case uses (MOCK cases never touch a connection). */
  customerId?: string;
}): Promise<CaseResult[]> {
  const slug = `${plan.slug}-tests`.slice(0, 64);
  const harness = harnessSource(source);
  let version: number;
  try {
    const existing = await tools
      .call<{ id: string }>('get_workflow', { workflow: slug })
      .catch(() => null);
    if (existing === null)
      await tools.call('create_workflow', {
        name: `${plan.name} (tests)`,
        slug,
        description: 'Test harness of the Workflow Agent: runs the draft against mock connectors',
        tier: 'instant',
        source: harness,
      });
    else await tools.call('update_workflow', { workflow: slug, source: harness });
    const published = await tools.call<{ version: { version: number } }>('publish_workflow', {
      workflow: slug,
      note: 'test harness',
    });
    version = published.version.version;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return cases.map((c) =>
      judge(c, { status: 'not_run', error: `the draft does not build: ${message}` }),
    );
  }
  const results: CaseResult[] = [];
  for (const testCase of cases) {
    const ran = await tools
      .call<{ status: string; output?: unknown; error?: { message: string } | null }>(
        'run_workflow',
        {
          workflow: slug,
          version,
          ...(testCase.mode === 'LIVE' && customerId !== undefined && { customerId }),
          input: {
            id: testCase.id,
            mode: testCase.mode,
            input: testCase.input,
            mocks: testCase.mocks,
            state: testCase.state ?? {},
          },
        },
      )
      .catch((error: unknown) => ({
        status: 'failed',
        error: { message: error instanceof Error ? error.message : String(error) },
        output: undefined,
      }));
    const inner = ran.output as
      | {
          status: string;
          error?: string;
          calls?: { key: string; input: Record<string, unknown> }[];
        }
      | undefined;
    results.push(
      judge(
        testCase,
        inner ?? { status: ran.status, error: ran.error?.message ?? 'the harness gave no result' },
      ),
    );
  }
  return results;
}
