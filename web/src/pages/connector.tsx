// One connector: its settings, its actions and events (tabs), re-import with the diff, and running
// an action with a connection's credentials — the answer, then the trace of the outbound calls
// (method, URL, status, duration, attempts, request headers with secrets masked by the server).
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, query, useApi } from '../api.ts';
import { Link, navigate } from '../router.tsx';
import type {
  Action,
  ActionResult,
  Connection,
  Connector,
  ConnectorEvent,
  List,
  Span,
} from '../types.ts';
import {
  Badge,
  ClampedText,
  Dialog,
  duration,
  ErrorBox,
  Field,
  Json,
  Loadable,
  Page,
  parseJson,
  Tabs,
  Time,
  useAction,
} from '../ui.tsx';
import { ImportSpec } from './connectors.tsx';

export function TraceView({ traceId }: { traceId: string }): JSX.Element {
  const state = useApi<List<Span>>(`/traces/${encodeURIComponent(traceId)}`);
  return (
    <div class="trace">
      <h3>
        Trace <code class="small">{traceId}</code>
      </h3>
      <Loadable state={state} isEmpty={(d) => d.data.length === 0} empty="No outbound calls.">
        {(d) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Request</th>
                <th scope="col">Status</th>
                <th scope="col">Duration</th>
                <th scope="col">Attempts</th>
                <th scope="col">Headers sent</th>
              </tr>
            </thead>
            <tbody>
              {d.data.map((s, i) => (
                <tr key={i}>
                  <td class="break">
                    <code>{s.method}</code> {s.url}
                    {s.error && <div class="bad-text small">{s.error}</div>}
                  </td>
                  <td>{s.status ?? '—'}</td>
                  <td>{duration(s.durationMs)}</td>
                  <td>{s.attempts}</td>
                  <td class="small break">
                    {Object.entries(s.requestHeaders ?? {})
                      .map(([k, v]) => `${k}: ${v}`)
                      .join('\n') || '—'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loadable>
    </div>
  );
}

function exampleInput(action: Action): string {
  const example: Record<string, unknown> = {};
  for (const p of action.parameters) if (p.required) example[p.name] = '';
  return JSON.stringify(example, null, 2);
}

function RunAction({
  connector,
  action,
  onClose,
}: {
  connector: string;
  action: Action;
  onClose: () => void;
}): JSX.Element {
  const connections = useApi<List<Connection>>(`/connections${query({ connector })}`);
  const [connectionId, setConnectionId] = useState('');
  const [input, setInput] = useState(exampleInput(action));
  const [result, setResult] = useState<ActionResult | null>(null);
  const run = useAction(async () => {
    setResult(null);
    const chosen = connectionId || connections.data?.data[0]?.id;
    if (!chosen) throw new Error('Choose a connection first.');
    setResult(
      await api<ActionResult>(
        'POST',
        `/connections/${chosen}/actions/${encodeURIComponent(action.slug)}`,
        { input: parseJson(input, 'Input') ?? {} },
      ),
    );
  });
  return (
    <Dialog title={`Run ${action.name}`} onClose={onClose} wide>
      <p>
        <code>{action.method}</code> <code>{action.path}</code>
      </p>
      <Loadable
        state={connections}
        isEmpty={(d) => d.data.length === 0}
        empty={
          <>
            No connection to this connector yet.{' '}
            <Link href="/connections" onClick={onClose}>
              Connect one
            </Link>{' '}
            first.
          </>
        }
      >
        {(d) => (
          <form
            class="form"
            onSubmit={(e) => {
              e.preventDefault();
              void run.run();
            }}
          >
            <Field label="Connection">
              {/* Until one is chosen, the first connection is the one that runs: show it. */}
              <select
                value={connectionId || d.data[0]?.id}
                onChange={(e) => setConnectionId(e.currentTarget.value)}
              >
                {d.data.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name} ({c.customerId ? 'customer' : 'org test connection'}, {c.status})
                  </option>
                ))}
              </select>
            </Field>
            <Field
              label="Input (JSON)"
              hint={`Parameters: ${action.parameters.map((p) => `${p.name} (${p.in}${p.required ? ', required' : ''})`).join(', ') || 'none'}`}
            >
              <textarea
                class="code"
                rows={6}
                spellcheck={false}
                value={input}
                onInput={(e) => setInput(e.currentTarget.value)}
              />
            </Field>
            <div class="row end">
              <button type="submit" class="primary" disabled={run.busy}>
                {run.busy ? 'Running…' : 'Run action'}
              </button>
            </div>
          </form>
        )}
      </Loadable>
      {run.error && <ErrorBox error={run.error} title="The action failed" />}
      {result && (
        <div class="result" aria-live="polite">
          <p>
            <Badge value={result.ok ? 'ok' : 'failed'} /> HTTP {result.status} in{' '}
            {duration(result.durationMs)}, {result.attempts} attempt(s)
          </p>
          <Json value={result.body} label="Response body" />
          <TraceView traceId={result.traceId} />
        </div>
      )}
    </Dialog>
  );
}

export function ConnectorPage({ slug }: { slug: string }): JSX.Element {
  const path = `/connectors/${encodeURIComponent(slug)}`;
  const connector = useApi<Connector>(path);
  const actions = useApi<List<Action>>(`${path}/actions`);
  const events = useApi<List<ConnectorEvent>>(`${path}/events`);
  const [tab, setTab] = useState<'actions' | 'events' | 'settings'>('actions');
  const [running, setRunning] = useState<Action | null>(null);
  const [reimport, setReimport] = useState(false);
  const [filter, setFilter] = useState('');
  const remove = useAction(async () => {
    if (!confirm(`Delete ${slug} with its actions, events and every connection to it?`)) return;
    await api('DELETE', path);
    navigate('/connectors');
  });
  const c = connector.data;
  return (
    <Page
      title={c?.name ?? slug}
      intro={
        <>
          <Link href="/connectors">← Connectors</Link>
          {c?.description && <ClampedText text={c.description} />}
        </>
      }
      actions={
        <>
          <button type="button" onClick={() => setReimport(true)}>
            Re-import spec
          </button>
          <button type="button" class="danger" onClick={() => void remove.run()}>
            Delete
          </button>
        </>
      }
    >
      {remove.error && <ErrorBox error={remove.error} />}
      <Loadable state={connector}>
        {(c) => (
          <dl class="facts">
            <dt>Slug</dt>
            <dd>
              <code>{c.slug}</code>
            </dd>
            <dt>Base URL</dt>
            <dd class="break">{c.baseUrl ?? '—'}</dd>
            <dt>Auth</dt>
            <dd>{c.authMethods.map((a) => `${a.label ?? a.key} (${a.type})`).join(', ') || '—'}</dd>
            <dt>Visibility</dt>
            <dd>{c.visibility}</dd>
            <dt>Updated</dt>
            <dd>
              <Time iso={c.updatedAt} />
            </dd>
          </dl>
        )}
      </Loadable>
      <Tabs
        label="Connector sections"
        value={tab}
        onChange={setTab}
        tabs={[
          { key: 'actions', label: `Actions (${actions.data?.data.length ?? '…'})` },
          { key: 'events', label: `Events (${events.data?.data.length ?? '…'})` },
          { key: 'settings', label: 'Definition' },
        ]}
      />
      <div role="tabpanel" class="tabpanel">
        {tab === 'actions' && (
          <>
            <Field label="Filter actions">
              <input
                type="search"
                value={filter}
                onInput={(e) => setFilter(e.currentTarget.value)}
              />
            </Field>
            <Loadable
              state={actions}
              isEmpty={(d) => d.data.length === 0}
              empty="No actions yet. Re-import a spec to add them."
            >
              {(d) => (
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Action</th>
                      <th scope="col">Request</th>
                      <th scope="col">Tags</th>
                      <th scope="col">
                        <span class="visually-hidden">Run</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.data
                      .filter((a) =>
                        `${a.slug} ${a.name} ${a.path}`
                          .toLowerCase()
                          .includes(filter.toLowerCase()),
                      )
                      .map((a) => (
                        <tr key={a.id}>
                          <td>
                            <strong>{a.name}</strong>
                            <div class="muted small">
                              <code>{a.slug}</code>
                              {a.deprecated && ' · deprecated'}
                            </div>
                          </td>
                          <td class="break">
                            <code class={`method ${a.method.toLowerCase()}`}>{a.method}</code>{' '}
                            {a.path}
                          </td>
                          <td>{a.tags.join(', ')}</td>
                          <td>
                            <button
                              type="button"
                              aria-label={`Run ${a.slug}`}
                              onClick={() => setRunning(a)}
                            >
                              Run
                            </button>
                          </td>
                        </tr>
                      ))}
                  </tbody>
                </table>
              )}
            </Loadable>
          </>
        )}
        {tab === 'events' && (
          <Loadable
            state={events}
            isEmpty={(d) => d.data.length === 0}
            empty="No events declared. A spec's webhooks become events on import."
          >
            {(d) => (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Event</th>
                    <th scope="col">Subscription</th>
                    <th scope="col">Signature</th>
                    <th scope="col">Description</th>
                  </tr>
                </thead>
                <tbody>
                  {d.data.map((e) => (
                    <tr key={e.id}>
                      <td>
                        <code>{e.name}</code>
                      </td>
                      <td>{e.subscription?.mode ?? '—'}</td>
                      <td>{e.signature?.scheme ?? '—'}</td>
                      <td>{e.description ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Loadable>
        )}
        {tab === 'settings' && (
          <Loadable state={connector}>{(c) => <Json value={c} label="Connector" />}</Loadable>
        )}
      </div>
      {running && <RunAction connector={slug} action={running} onClose={() => setRunning(null)} />}
      {reimport && (
        <ImportSpec
          slug={slug}
          onClose={() => setReimport(false)}
          onDone={() => {
            connector.reload();
            actions.reload();
            events.reload();
          }}
        />
      )}
    </Page>
  );
}
