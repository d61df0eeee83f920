// Activity → Executions: every workflow run, newest first, with Time ("17h ago"), Workflow, Tier,
// Version, Status, Duration and Triggered by; tabs by status, filters by workflow, tier,
// environment (custom ones too) and time range; refreshed every few seconds. One execution: input, output or error, logs, recorded steps
// and the spans on a timeline, and Rerun.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, query, useApi } from '../api.ts';
import { Link, navigate } from '../router.tsx';
import { useEnvironments } from './environments.tsx';
import type { Execution, ExecutionDetail, List, RunResult, Workflow } from '../types.ts';
import {
  Badge,
  duration,
  ErrorBox,
  Field,
  Json,
  Loadable,
  Page,
  Tabs,
  Time,
  useAction,
} from '../ui.tsx';

type StatusTab = 'all' | 'running' | 'completed' | 'failed' | 'timeout';
const RANGES: Record<string, number | null> = {
  'Last hour': 3600_000,
  'Last 24 hours': 86_400_000,
  'Last 7 days': 7 * 86_400_000,
  'Any time': null,
};

/** One filter of the list: a labelled select of [value, label] options. */
function FilterSelect({
  label,
  value,
  onChange,
  options,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  options: readonly [string, string][];
}): JSX.Element {
  return (
    <Field label={label}>
      <select value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </Field>
  );
}

export function ExecutionsPage(): JSX.Element {
  const initialWorkflow = new URLSearchParams(location.search).get('workflow') ?? '';
  const [status, setStatus] = useState<StatusTab>('all');
  const [workflowId, setWorkflowId] = useState(initialWorkflow);
  const [tier, setTier] = useState('');
  const [environment, setEnvironment] = useState('');
  const environments = useEnvironments();
  const [range, setRange] = useState('Any time');
  const [pages, setPages] = useState<Execution[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const workflows = useApi<List<Workflow>>('/workflows?limit=100');
  const span = RANGES[range] ?? null;
  // The start of the range is rounded to the minute so the path (and the data) stays put.
  const from = span
    ? new Date(Math.floor((Date.now() - span) / 60_000) * 60_000).toISOString()
    : undefined;
  const base = {
    status: status === 'all' ? undefined : status,
    workflowId: workflowId || undefined,
    tier: tier || undefined,
    environment: environment || undefined,
    from,
    limit: 50,
  };
  const state = useApi<List<Execution>>(`/executions${query(base)}`, { refreshMs: 4000 });
  const more = useAction(async () => {
    const next = await api<List<Execution>>(
      'GET',
      `/executions${query({ ...base, cursor: cursor ?? state.data?.nextCursor })}`,
    );
    setPages((p) => [...p, ...next.data]);
    setCursor(next.nextCursor ?? null);
  });
  const names = new Map((workflows.data?.data ?? []).map((w) => [w.id, w.name]));
  const reset = () => {
    setPages([]);
    setCursor(null);
  };
  /** A filter's change: the new value, and the list read again from its first page. */
  const pick = (set: (value: string) => void) => (value: string) => {
    set(value);
    reset();
  };
  return (
    <Page title="Executions" intro="Every workflow run, newest first.">
      <Tabs
        label="Status"
        value={status}
        onChange={(s) => {
          setStatus(s);
          reset();
        }}
        tabs={[
          { key: 'all', label: 'All' },
          { key: 'running', label: 'Running' },
          { key: 'completed', label: 'Completed' },
          { key: 'failed', label: 'Failed' },
          { key: 'timeout', label: 'Timeout' },
        ]}
      />
      <div class="filters">
        <FilterSelect
          label="Workflow"
          value={workflowId}
          onChange={pick(setWorkflowId)}
          options={[
            ['', 'All workflows'],
            ...(workflows.data?.data ?? []).map((w): [string, string] => [w.id, w.name]),
          ]}
        />
        <FilterSelect
          label="Tier"
          value={tier}
          onChange={pick(setTier)}
          options={[
            ['', 'All tiers'],
            ['instant', 'Instant'],
            ['standard', 'Standard'],
            ['long', 'Long'],
          ]}
        />
        <FilterSelect
          label="Environment"
          value={environment}
          onChange={pick(setEnvironment)}
          options={[
            ['', 'All environments'],
            ...environments.map((name): [string, string] => [name, name]),
          ]}
        />
        <FilterSelect
          label="Time range"
          value={range}
          onChange={pick(setRange)}
          options={Object.keys(RANGES).map((r): [string, string] => [r, r])}
        />
      </div>
      <div role="tabpanel" class="tabpanel">
        <Loadable
          state={state}
          isEmpty={(d) => d.data.length === 0}
          empty="No executions match. Run a workflow from its editor, or let a trigger run it."
        >
          {(d) => (
            <>
              <table class="executions">
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Workflow</th>
                    <th scope="col">Tier</th>
                    <th scope="col">Version</th>
                    <th scope="col">Status</th>
                    <th scope="col">Duration</th>
                    <th scope="col">Triggered by</th>
                  </tr>
                </thead>
                <tbody>
                  {[...d.data, ...pages].map((x) => (
                    <tr
                      key={x.id}
                      class="clickable"
                      onClick={() => navigate(`/executions/${x.id}`)}
                    >
                      <td>
                        <Link href={`/executions/${x.id}`}>
                          <Time iso={x.createdAt} />
                        </Link>
                      </td>
                      <td>{names.get(x.workflowId) ?? x.workflowSlug ?? x.workflowId}</td>
                      <td>{x.tier}</td>
                      <td>v{x.version}</td>
                      <td>
                        <Badge value={x.status} />
                      </td>
                      <td>{duration(x.durationMs)}</td>
                      <td>{x.triggeredBy}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {(cursor ?? (pages.length === 0 ? d.nextCursor : null)) && (
                <button type="button" disabled={more.busy} onClick={() => void more.run()}>
                  Load more
                </button>
              )}
              {more.error && <ErrorBox error={more.error} />}
            </>
          )}
        </Loadable>
      </div>
    </Page>
  );
}

function Timeline({ x }: { x: ExecutionDetail }): JSX.Element {
  const start = new Date(x.startedAt ?? x.createdAt).getTime();
  const end = Math.max(
    start + (x.durationMs ?? 0),
    ...x.spans.map((s) => new Date(s.startedAt).getTime() + s.durationMs),
    start + 1,
  );
  const total = end - start;
  return (
    <ol class="timeline" aria-label="Spans">
      {x.spans.map((s, i) => {
        const offset = ((new Date(s.startedAt).getTime() - start) / total) * 100;
        const width = Math.max((s.durationMs / total) * 100, 0.5);
        return (
          <li key={i}>
            <span class="tl-label">
              <Badge value={s.ok ? 'ok' : 'failed'} /> <code>{s.kind}</code> {s.name}
              {s.status !== undefined && <span class="muted"> · {s.status}</span>}
              {s.error && <span class="bad-text"> · {s.error}</span>}
            </span>
            <span class="tl-track" aria-hidden="true">
              <span
                class={`tl-bar ${s.ok ? 'ok' : 'bad'}`}
                style={{ left: `${Math.min(offset, 99.5)}%`, width: `${Math.min(width, 100)}%` }}
              />
            </span>
            <span class="tl-dur">{duration(s.durationMs)}</span>
          </li>
        );
      })}
    </ol>
  );
}

export function ExecutionPage({ id }: { id: string }): JSX.Element {
  const state = useApi<ExecutionDetail>(`/executions/${encodeURIComponent(id)}`, {
    refreshMs: 3000,
  });
  const rerun = useAction(async () => {
    const r = await api<RunResult>('POST', `/executions/${encodeURIComponent(id)}/rerun`);
    navigate(`/executions/${r.executionId}`);
  });
  return (
    <Page
      title="Execution"
      intro={<Link href="/executions">← Executions</Link>}
      actions={
        <button type="button" disabled={rerun.busy} onClick={() => void rerun.run()}>
          Rerun
        </button>
      }
    >
      {rerun.error && <ErrorBox error={rerun.error} title="Could not rerun" />}
      <Loadable state={state}>
        {(x) => (
          <>
            <dl class="facts">
              <dt>Status</dt>
              <dd>
                <Badge value={x.status} />
              </dd>
              <dt>Workflow</dt>
              <dd>
                <Link href={`/workflows/${x.workflowId}`}>{x.workflowSlug ?? x.workflowId}</Link> v
                {x.version} on {x.environment}
              </dd>
              <dt>Tier</dt>
              <dd>{x.tier}</dd>
              <dt>Triggered by</dt>
              <dd>{x.triggeredBy}</dd>
              <dt>Started</dt>
              <dd>
                <Time iso={x.startedAt ?? x.createdAt} />
              </dd>
              <dt>Duration</dt>
              <dd>{duration(x.durationMs)}</dd>
              <dt>Attempt</dt>
              <dd>
                {x.attempt} of {x.maxAttempts}
              </dd>
              {x.rerunOf && (
                <>
                  <dt>Rerun of</dt>
                  <dd>
                    <Link href={`/executions/${x.rerunOf}`}>{x.rerunOf}</Link>
                  </dd>
                </>
              )}
            </dl>
            {x.error && <ErrorBox error={x.error.message} title={x.error.kind} />}
            <div class="grid2">
              <section class="card">
                <h2>Input</h2>
                <Json value={x.input} label="Input" />
              </section>
              <section class="card">
                <h2>Output</h2>
                <Json value={x.output} label="Output" />
              </section>
            </div>
            <section class="card">
              <h2>Timeline</h2>
              {x.spans.length === 0 ? (
                <p class="muted">No spans: the run made no calls, steps or mappings.</p>
              ) : (
                <Timeline x={x} />
              )}
            </section>
            <div class="grid2">
              <section class="card">
                <h2>Logs</h2>
                {x.logs.length === 0 ? (
                  <p class="muted">No logs.</p>
                ) : (
                  <ol class="logs">
                    {x.logs.map((l, i) => (
                      <li key={i} class={`log ${l.level}`}>
                        <span class="badge muted">{l.level}</span> {l.message}
                      </li>
                    ))}
                  </ol>
                )}
              </section>
              <section class="card">
                <h2>Steps</h2>
                {x.steps.length === 0 ? (
                  <p class="muted">No recorded steps (ctx.step).</p>
                ) : (
                  <ol>
                    {x.steps.map((s) => (
                      <li key={`${s.name}-${s.attempt}`}>
                        {s.name} <span class="muted">attempt {s.attempt}</span>{' '}
                        <Time iso={s.createdAt} />
                      </li>
                    ))}
                  </ol>
                )}
              </section>
            </div>
          </>
        )}
      </Loadable>
    </Page>
  );
}
