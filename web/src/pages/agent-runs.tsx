// Agent runs: the list (Activity → Agent runs) and one run as it happens — its steps, each tool
// call with its outcome, tokens, the pending handback with Approve and Revise, and the report.
// The run is polled every second until it finishes. The agent-runs API is newer than this page;
// when the server does not have it (404), the page says so instead of showing an empty list.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, query, useApi } from '../api.ts';
import { Link } from '../router.tsx';
import type { AgentRun, List } from '../types.ts';
import {
  Badge,
  duration,
  ErrorBox,
  Field,
  Json,
  Loadable,
  Notice,
  Page,
  Time,
  useAction,
} from '../ui.tsx';

const FINAL = new Set(['completed', 'failed', 'budget', 'cancelled']);

/** The source a Connector Agent run was given, when it is text. */
export function runSource(run: AgentRun): string | undefined {
  const source = (run.input as { source?: unknown } | null)?.source;
  return typeof source === 'string' ? source : undefined;
}

export function NoAgentRunsApi(): JSX.Element {
  return (
    <Notice tone="warn">
      This server does not offer agent runs yet (<code>/api/v1/agent-runs</code> answered 404), so
      the Connector Agent cannot be started from here. Meanwhile, import a spec under{' '}
      <Link href="/connectors">Integrations → Connectors</Link>.
    </Notice>
  );
}

/** One run, live: steps and tool activity as they happen; approve or revise while it waits. */
export function RunView({ runId }: { runId: string }): JSX.Element {
  const [done, setDone] = useState(false);
  const state = useApi<AgentRun>(`/agent-runs/${encodeURIComponent(runId)}`, {
    ...(!done && { refreshMs: 1000 }),
  });
  const run = state.data;
  useEffect(() => {
    if (run && FINAL.has(run.status)) setDone(true);
  }, [run?.status]);
  const [note, setNote] = useState('');
  const decide = useAction(async (decision: 'approve' | 'revise') => {
    await api(
      'POST',
      `/agent-runs/${encodeURIComponent(runId)}/${decision}`,
      decision === 'revise' ? { note } : {},
    );
    setNote('');
    state.reload();
  });
  if (state.error?.status === 404 && !run) return <NoAgentRunsApi />;
  return (
    <Loadable state={state}>
      {(r) => (
        <div class="run" aria-live="polite">
          <p>
            <Badge value={r.status} /> <span class="muted">{r.kind} agent</span> · started{' '}
            <Time iso={r.createdAt} /> · {r.usage.tokensIn + r.usage.tokensOut} tokens
            {r.usage.costUsd > 0 && ` · $${r.usage.costUsd.toFixed(4)}`}
          </p>
          <ol class="steps" aria-label="Steps">
            {(r.steps ?? []).map((s) => (
              <li key={s.name} class={`step ${s.status}`}>
                <Badge value={s.status} /> <strong>{s.name}</strong>
                {s.summary && <span> — {s.summary}</span>}
                {s.error && <span class="bad-text"> — {s.error}</span>}
                <ul class="spans" aria-label={`Tool calls of ${s.name}`}>
                  {(r.spans ?? [])
                    .filter((sp) => sp.step === s.name)
                    .map((sp, i) => (
                      <li key={i}>
                        <code>{sp.tool}</code> <Badge value={sp.status} /> {sp.summary}{' '}
                        <span class="muted">{duration(sp.durationMs)}</span>
                      </li>
                    ))}
                </ul>
              </li>
            ))}
          </ol>
          {r.status === 'queued' && <p class="muted">Queued; a worker picks it up shortly…</p>}
          {r.pending && r.status === 'waiting' && (
            <div class="handback">
              <p>
                <strong>Waiting for you after “{r.pending.stage}”:</strong> {r.pending.summary}
              </p>
              <Field label="What should change (for Revise)">
                <textarea rows={2} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
              </Field>
              <div class="row">
                <button
                  type="button"
                  class="primary"
                  disabled={decide.busy}
                  onClick={() => void decide.run('approve')}
                >
                  Approve
                </button>
                <button
                  type="button"
                  disabled={decide.busy || !note.trim()}
                  onClick={() => void decide.run('revise')}
                >
                  Revise
                </button>
              </div>
              {decide.error && <ErrorBox error={decide.error} />}
            </div>
          )}
          {r.error && <ErrorBox error={r.error} title="The run stopped" />}
          {r.report !== null && r.report !== undefined && (
            <details open>
              <summary>Report</summary>
              <Json value={r.report} label="Run report" />
            </details>
          )}
        </div>
      )}
    </Loadable>
  );
}

export function AgentRunsPage(): JSX.Element {
  const state = useApi<List<AgentRun>>(`/agent-runs${query({ limit: 50 })}`, { refreshMs: 5000 });
  return (
    <Page title="Agent runs" intro="Runs of the agents: what each did, its tool calls and report.">
      {state.error?.status === 404 ? (
        <NoAgentRunsApi />
      ) : (
        <Loadable
          state={state}
          isEmpty={(d) => d.data.length === 0}
          empty={
            <>
              No agent runs yet. Start one with <Link href="/">Build with AI</Link> on Home.
            </>
          }
        >
          {(d) => (
            <table>
              <thead>
                <tr>
                  <th scope="col">Started</th>
                  <th scope="col">Agent</th>
                  <th scope="col">Source</th>
                  <th scope="col">Status</th>
                  <th scope="col">Tokens</th>
                </tr>
              </thead>
              <tbody>
                {d.data.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <Link href={`/agent-runs/${r.id}`}>
                        <Time iso={r.createdAt} />
                      </Link>
                    </td>
                    <td>{r.kind}</td>
                    <td class="truncate">{runSource(r) ?? '—'}</td>
                    <td>
                      <Badge value={r.status} />
                    </td>
                    <td>{r.usage.tokensIn + r.usage.tokensOut}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Loadable>
      )}
    </Page>
  );
}

export function AgentRunPage({ id }: { id: string }): JSX.Element {
  return (
    <Page title="Agent run" intro={<Link href="/agent-runs">← All agent runs</Link>}>
      <RunView runId={id} />
    </Page>
  );
}
