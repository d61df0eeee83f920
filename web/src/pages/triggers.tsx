// Integrations → Triggers: Webhooks | Schedulers | App Events, each with its routes (which
// workflow, in which environment, behind which filter). New trigger: a webhook (its URL and, for
// HMAC, its signing secret shown once), a schedule (interval or cron, with the next runs
// previewed) or an app event of a connection. Activate, deactivate, delete.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, useApi } from '../api.ts';
import { Link } from '../router.tsx';
import type { Connection, Environment, List, Trigger, Workflow } from '../types.ts';
import { useEnvironments } from './environments.tsx';
import {
  Badge,
  Dialog,
  ErrorBox,
  Field,
  Loadable,
  OneTimeSecret,
  Page,
  Tabs,
  Time,
  useAction,
} from '../ui.tsx';

type Kind = 'webhook' | 'scheduler' | 'app_event';

function NewTrigger({
  kind,
  onClose,
  onDone,
}: {
  kind: Kind;
  onClose: () => void;
  onDone: () => void;
}): JSX.Element {
  const workflows = useApi<List<Workflow>>('/workflows?limit=100');
  const connections = useApi<List<Connection>>('/connections');
  const [f, setF] = useState({
    name: '',
    workflow: '',
    environment: 'development',
    filter: '',
    auth: 'hmac',
    preset: 'interval',
    every: '5',
    unit: 'minutes',
    cron: '0 9 * * 1-5',
    timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    connectionId: '',
    event: '',
  });
  const [created, setCreated] = useState<Trigger | null>(null);
  const [nextRuns, setNextRuns] = useState<string[] | null>(null);
  const set = (k: keyof typeof f) => (e: { currentTarget: { value: string } }) =>
    setF((p) => ({ ...p, [k]: e.currentTarget.value }));
  const schedule = () =>
    f.preset === 'cron'
      ? { preset: 'cron', expression: f.cron }
      : { preset: 'interval', every: Number(f.every), unit: f.unit };
  const preview = useAction(async () => {
    const r = await api<{ nextRuns: string[] }>('POST', '/triggers/schedule-preview', {
      schedule: schedule(),
      timezone: f.timezone,
      count: 3,
    });
    setNextRuns(r.nextRuns);
  });
  const create = useAction(async () => {
    const workflow = f.workflow || workflows.data?.data[0]?.slug;
    const routes = workflow
      ? [
          {
            workflow,
            environment: f.environment,
            ...(f.filter.trim() && { filter: f.filter.trim() }),
          },
        ]
      : [];
    const body =
      kind === 'webhook'
        ? { type: kind, name: f.name, routes, webhook: { auth: { type: f.auth } } }
        : kind === 'scheduler'
          ? {
              type: kind,
              name: f.name,
              routes,
              scheduler: { schedule: schedule(), timezone: f.timezone },
            }
          : {
              type: kind,
              name: f.name,
              routes,
              appEvent: {
                connectionId: f.connectionId || connections.data?.data[0]?.id,
                event: f.event,
              },
            };
    setCreated(await api<Trigger>('POST', '/triggers', body));
    onDone();
  });
  const envs: Environment[] = useEnvironments();
  const title = { webhook: 'New webhook', scheduler: 'New schedule', app_event: 'New app event' }[
    kind
  ];
  if (created) {
    return (
      <Dialog title={`${created.name} created`} onClose={onClose}>
        {created.webhook && (
          <p>
            Send events to <code class="break">{created.webhook.url}</code>
          </p>
        )}
        {created.secret && <OneTimeSecret label="Signing secret" value={created.secret} />}
        {created.scheduler && (
          <p>
            Next run: <Time iso={created.scheduler.nextRunAt} />
          </p>
        )}
        <div class="row end">
          <button type="button" class="primary" onClick={onClose}>
            Done
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog title={title} onClose={onClose} wide>
      <form
        class="form grid2"
        onSubmit={(e) => {
          e.preventDefault();
          void create.run();
        }}
      >
        <Field label="Name">
          <input required value={f.name} onInput={set('name')} />
        </Field>
        {kind === 'webhook' && (
          <Field label="Authentication">
            <select value={f.auth} onChange={set('auth')}>
              <option value="hmac">HMAC signature (Standard Webhooks)</option>
              <option value="api_key">API key header</option>
              <option value="none">None</option>
            </select>
          </Field>
        )}
        {kind === 'scheduler' && (
          <>
            <Field label="Schedule">
              <select value={f.preset} onChange={set('preset')}>
                <option value="interval">Every …</option>
                <option value="cron">Cron expression</option>
              </select>
            </Field>
            {f.preset === 'interval' ? (
              <div class="grid2">
                <Field label="Every">
                  <input type="number" min={1} value={f.every} onInput={set('every')} />
                </Field>
                <Field label="Unit">
                  <select value={f.unit} onChange={set('unit')}>
                    <option>seconds</option>
                    <option>minutes</option>
                    <option>hours</option>
                    <option>days</option>
                  </select>
                </Field>
              </div>
            ) : (
              <Field label="Cron expression">
                <input value={f.cron} onInput={set('cron')} />
              </Field>
            )}
            <Field label="Time zone">
              <input value={f.timezone} onInput={set('timezone')} />
            </Field>
            <div>
              <button type="button" onClick={() => void preview.run()}>
                Preview next runs
              </button>
              {nextRuns && (
                <ul class="small">
                  {nextRuns.map((r) => (
                    <li key={r}>{new Date(r).toLocaleString()}</li>
                  ))}
                </ul>
              )}
              {preview.error && <ErrorBox error={preview.error} />}
            </div>
          </>
        )}
        {kind === 'app_event' && (
          <>
            <Field label="Connection">
              <select
                value={f.connectionId || connections.data?.data[0]?.id}
                onChange={set('connectionId')}
              >
                {(connections.data?.data ?? []).map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name} ({c.connector})
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Event name" hint="As declared on the connector, e.g. order.created">
              <input required value={f.event} onInput={set('event')} />
            </Field>
          </>
        )}
        <fieldset class="span2">
          <legend>Route to a workflow</legend>
          <div class="grid2">
            <Field label="Workflow">
              <select
                value={f.workflow || workflows.data?.data[0]?.slug}
                onChange={set('workflow')}
              >
                {(workflows.data?.data ?? []).map((w) => (
                  <option key={w.id} value={w.slug}>
                    {w.name}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Environment">
              <select value={f.environment} onChange={set('environment')}>
                {envs.map((e) => (
                  <option key={e}>{e}</option>
                ))}
              </select>
            </Field>
            <Field label="Filter (optional)" hint="A JSONata condition on the event">
              <input value={f.filter} onInput={set('filter')} />
            </Field>
          </div>
        </fieldset>
        {create.error && <ErrorBox error={create.error} title="Could not create the trigger" />}
        <div class="row end span2">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={create.busy}>
            Create
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function describeSchedule(s: Record<string, unknown>): string {
  if (s['preset'] === 'interval') return `every ${String(s['every'])} ${String(s['unit'])}`;
  if (s['preset'] === 'cron') return `cron ${String(s['expression'])}`;
  return `${String(s['preset'])} at ${typeof s['time'] === 'string' ? s['time'] : ''}`;
}

export function TriggersPage(): JSX.Element {
  const [kind, setKind] = useState<Kind>('webhook');
  const [creating, setCreating] = useState(false);
  const state = useApi<List<Trigger>>('/triggers?limit=100');
  const toggle = useAction(async (t: Trigger) => {
    await api('PATCH', `/triggers/${t.id}`, {
      status: t.status === 'active' ? 'inactive' : 'active',
    });
    state.reload();
  });
  const remove = useAction(async (t: Trigger) => {
    if (!confirm(`Delete the trigger ${t.name}, its routes and its events?`)) return;
    await api('DELETE', `/triggers/${t.id}`);
    state.reload();
  });
  const label = { webhook: 'webhook', scheduler: 'schedule', app_event: 'app event' }[kind];
  return (
    <Page
      title="Triggers"
      intro="What starts workflows: webhooks, schedules and events from connected apps."
      actions={
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          New {label}
        </button>
      }
    >
      <Tabs
        label="Trigger type"
        value={kind}
        onChange={setKind}
        tabs={[
          { key: 'webhook', label: 'Webhooks' },
          { key: 'scheduler', label: 'Schedulers' },
          { key: 'app_event', label: 'App Events' },
        ]}
      />
      {(toggle.error ?? remove.error) && <ErrorBox error={(toggle.error ?? remove.error)!} />}
      <div role="tabpanel" class="tabpanel">
        <Loadable
          state={state}
          isEmpty={(d) => !d.data.some((t) => t.type === kind)}
          empty={`No ${label} triggers yet.`}
        >
          {(d) => (
            <table>
              <thead>
                <tr>
                  <th scope="col">Trigger</th>
                  <th scope="col">
                    {kind === 'webhook' ? 'URL' : kind === 'scheduler' ? 'Schedule' : 'Event'}
                  </th>
                  <th scope="col">Routes</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.data
                  .filter((t) => t.type === kind)
                  .map((t) => (
                    <tr key={t.id}>
                      <td>
                        {t.name}
                        <div class="muted small">
                          created <Time iso={t.createdAt} /> ·{' '}
                          <Link href={`/events?trigger=${t.id}`}>events</Link>
                        </div>
                      </td>
                      <td class="break">
                        {t.webhook && (
                          <>
                            <code>{t.webhook.url}</code>
                            <div class="muted small">auth: {t.webhook.auth.type}</div>
                          </>
                        )}
                        {t.scheduler && (
                          <>
                            {describeSchedule(t.scheduler.schedule)} ({t.scheduler.timezone})
                            <div class="muted small">
                              next: <Time iso={t.scheduler.nextRunAt} />
                            </div>
                          </>
                        )}
                        {t.appEvent && (
                          <>
                            <code>{t.appEvent.event}</code> on {t.appEvent.connector}
                          </>
                        )}
                      </td>
                      <td>
                        {t.routes.length === 0
                          ? '—'
                          : t.routes.map((r) => (
                              <div key={r.id}>
                                → {r.workflowSlug} ({r.environment})
                                {r.filter && <div class="muted small">if {r.filter}</div>}
                              </div>
                            ))}
                      </td>
                      <td>
                        <Badge value={t.status} />
                      </td>
                      <td class="row">
                        <button type="button" onClick={() => void toggle.run(t)}>
                          {t.status === 'active' ? 'Deactivate' : 'Activate'}
                        </button>
                        <button type="button" class="danger" onClick={() => void remove.run(t)}>
                          Delete
                        </button>
                      </td>
                    </tr>
                  ))}
              </tbody>
            </table>
          )}
        </Loadable>
      </div>
      {creating && (
        <NewTrigger kind={kind} onClose={() => setCreating(false)} onDone={state.reload} />
      )}
    </Page>
  );
}
