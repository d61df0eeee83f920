// Activity → Events: what triggers received (webhooks, schedule ticks, app events), newest first,
// with the verdict (routed, filtered out, duplicate, rejected, failed, pending), the executions
// each started, the dead letters, and Replay.
import { Fragment, type JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, query, useApi } from '../api.ts';
import { Link } from '../router.tsx';
import type { List, Trigger, TriggerEvent } from '../types.ts';
import { Badge, ErrorBox, Field, Json, Loadable, Notice, Page, Time, useAction } from '../ui.tsx';

const VERDICTS = ['pending', 'routed', 'filtered_out', 'duplicate', 'rejected', 'failed'];

export function EventsPage(): JSX.Element {
  const [verdict, setVerdict] = useState('');
  const [triggerId, setTriggerId] = useState(
    new URLSearchParams(location.search).get('trigger') ?? '',
  );
  const [deadLetter, setDeadLetter] = useState(false);
  const triggers = useApi<List<Trigger>>('/triggers?limit=100');
  const state = useApi<List<TriggerEvent>>(
    `/events${query({
      verdict: verdict || undefined,
      triggerId: triggerId || undefined,
      deadLetter: deadLetter || undefined,
      limit: 50,
    })}`,
    { refreshMs: 5000 },
  );
  const [open, setOpen] = useState<string | null>(null);
  const [replayed, setReplayed] = useState<TriggerEvent | null>(null);
  const replay = useAction(async (id: string) => {
    setReplayed(await api<TriggerEvent>('POST', `/events/${id}/replay`));
    state.reload();
  });
  const names = new Map((triggers.data?.data ?? []).map((t) => [t.id, t.name]));
  return (
    <Page title="Events" intro="Events received by triggers and what became of each.">
      <div class="filters">
        <Field label="Trigger">
          <select value={triggerId} onChange={(e) => setTriggerId(e.currentTarget.value)}>
            <option value="">All triggers</option>
            {(triggers.data?.data ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Verdict">
          <select value={verdict} onChange={(e) => setVerdict(e.currentTarget.value)}>
            <option value="">Any verdict</option>
            {VERDICTS.map((v) => (
              <option key={v} value={v}>
                {v.replace('_', ' ')}
              </option>
            ))}
          </select>
        </Field>
        <label class="check-label">
          <input
            type="checkbox"
            checked={deadLetter}
            onChange={(e) => setDeadLetter(e.currentTarget.checked)}
          />{' '}
          Dead letters only
        </label>
      </div>
      {replay.error && <ErrorBox error={replay.error} title="Could not replay" />}
      {replayed && (
        <Notice tone="success">
          Replayed: now <Badge value={replayed.verdict} />, {replayed.executions.length}{' '}
          execution(s).
        </Notice>
      )}
      <Loadable
        state={state}
        isEmpty={(d) => d.data.length === 0}
        empty={
          <>
            No events{deadLetter ? ' in the dead letters' : ''}. Triggers are set up under{' '}
            <Link href="/triggers">Integrations → Triggers</Link>.
          </>
        }
      >
        {(d) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">Trigger</th>
                <th scope="col">Source</th>
                <th scope="col">Verdict</th>
                <th scope="col">Executions</th>
                <th scope="col">Attempts</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {d.data.map((ev) => (
                <Fragment key={ev.id}>
                  <tr>
                    <td>
                      <Time iso={ev.receivedAt} />
                    </td>
                    <td>{names.get(ev.triggerId) ?? ev.triggerId}</td>
                    <td>{ev.source}</td>
                    <td>
                      <Badge value={ev.verdict} />
                      {ev.deadLetter && <span class="badge bad">dead letter</span>}
                      {ev.error && <div class="bad-text small">{ev.error}</div>}
                    </td>
                    <td>
                      {ev.executions.length === 0
                        ? '—'
                        : ev.executions.map((x) => (
                            <div key={x.executionId}>
                              <Link href={`/executions/${x.executionId}`}>{x.status}</Link>
                            </div>
                          ))}
                    </td>
                    <td>{ev.attempts}</td>
                    <td class="row">
                      <button
                        type="button"
                        aria-expanded={open === ev.id}
                        onClick={() => setOpen(open === ev.id ? null : ev.id)}
                      >
                        Payload
                      </button>
                      <button
                        type="button"
                        disabled={replay.busy}
                        onClick={() => void replay.run(ev.id)}
                      >
                        Replay
                      </button>
                    </td>
                  </tr>
                  {open === ev.id && (
                    <tr>
                      <td colSpan={7}>
                        <Json value={ev.payload} label="Payload" />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        )}
      </Loadable>
    </Page>
  );
}
