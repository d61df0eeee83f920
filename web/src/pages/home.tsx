// Home: the Setup Assistant chat, from one sentence to a live integration in five steps. The
// sessions are listed on the left; the chat streams the assistant's answers as they come (text,
// tool calls as they start and finish, choices as buttons, credential forms inline, the mapping
// review with a Change per mapping, test cases with MOCK/LIVE badges); beside it the five steps,
// the go-live checklist (the assistant's once it has checked, before that one computed from what
// exists) and the agent activity of the session.
import type { JSX, TargetedEvent } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, useApi } from '../api.ts';
import {
  followSession,
  sendMessage,
  SETUP_STEPS,
  type AssistantMessage,
  type AssistantSession,
  type AssistantSessionDetail,
  type SessionEvent,
  type WireEvent,
} from '../assistant.ts';
import { Link } from '../router.tsx';
import type { Connection, Connector, Execution, List, Workflow } from '../types.ts';
import { Badge, ErrorBox, Field, Loadable, Notice, Page, Time } from '../ui.tsx';

const STEP_LABELS: Record<string, string> = {
  use_cases: 'Use cases',
  connectors: 'Connectors',
  integration: 'Integration',
  embed: 'Embed',
  live: 'Live',
};

const GREETING =
  'What is your product, and what do your customers want connected? For example: "I run an online shop app; my customers want new orders in their CRM".';

type FormField = { name: string; label: string; secret: boolean };
type Mapping = { step: string; target: string; words: string };
type TestCase = {
  name: string;
  mode: string;
  passWhen: string;
  passed: boolean;
  problems: string[];
};
type Check = { id: string; label: string; ok: boolean; fix: string | null };

/** The data-driven checklist: what exists in the org, before the assistant has checked. */
function DataChecklist({ turns }: { turns: number }): JSX.Element {
  const connectors = useApi<List<Connector>>('/connectors');
  const connections = useApi<List<Connection>>('/connections');
  const workflows = useApi<List<Workflow>>('/workflows?limit=100');
  const executions = useApi<List<Execution>>('/executions?limit=1');
  // Each finished turn of the assistant may have added something: look again.
  useEffect(() => {
    if (turns === 0) return;
    for (const s of [connectors, connections, workflows, executions]) s.reload();
  }, [turns]);
  const deployed = workflows.data?.data.some((w) => Object.keys(w.deployments).length > 0);
  const steps = [
    {
      label: 'Add a connector',
      done: (connectors.data?.data.length ?? 0) > 0,
      href: '/connectors',
    },
    {
      label: 'Connect a customer',
      done: (connections.data?.data.length ?? 0) > 0,
      href: '/connections',
    },
    { label: 'Write a workflow', done: (workflows.data?.data.length ?? 0) > 0, href: '/workflows' },
    { label: 'Publish and deploy', done: deployed === true, href: '/workflows' },
    { label: 'See it run', done: (executions.data?.data.length ?? 0) > 0, href: '/executions' },
  ];
  const failed = [connectors, connections, workflows, executions].find((s) => s.error);
  const count = steps.filter((s) => s.done).length;
  return (
    <>
      <p class="muted small">
        {count} of {steps.length} done
      </p>
      <progress max={steps.length} value={count} aria-label="Checklist progress" />
      {failed?.error && <ErrorBox error={failed.error} retry={failed.reload} />}
      <ul class="checklist">
        {steps.map((s) => (
          <li key={s.label} class={s.done ? 'done' : ''}>
            <span class="check" aria-hidden="true">
              {s.done ? '✓' : '○'}
            </span>
            <span>
              <Link href={s.href}>{s.label}</Link>
              <span class="visually-hidden">{s.done ? ' (done)' : ' (to do)'}</span>
            </span>
          </li>
        ))}
      </ul>
    </>
  );
}

function Checklist({ items }: { items: Check[] }): JSX.Element {
  const count = items.filter((i) => i.ok).length;
  return (
    <>
      <p class="muted small">
        {count} of {items.length} done
      </p>
      <progress max={items.length} value={count} aria-label="Checklist progress" />
      <ul class="checklist">
        {items.map((i) => (
          <li key={i.id} class={i.ok ? 'done' : ''}>
            <span class="check" aria-hidden="true">
              {i.ok ? '✓' : '○'}
            </span>
            <span>
              {i.label}
              <span class="visually-hidden">{i.ok ? ' (done)' : ' (to do)'}</span>
              {i.fix && <div class="muted small">{i.fix}</div>}
            </span>
          </li>
        ))}
      </ul>
    </>
  );
}

/**
 * The five steps: done, the current one, or still to come, from the session's step events. A
 * done step can be redone: the assistant goes back to it (and, for the integration, builds the
 * workflow again).
 */
function StepProgress({
  events,
  step,
  onRedo,
}: {
  events: SessionEvent[];
  step: string | null;
  onRedo: ((step: string) => void) | null;
}) {
  // The latest event of each step wins: a step redone is current again until it is done again.
  const done = new Set<string>();
  let active: string | null = step ?? 'use_cases';
  for (const { event } of events) {
    if (event.type !== 'step') continue;
    const name = String(event['step']);
    if (event['status'] === 'done') {
      done.add(name);
      if (active === name) active = null;
    } else {
      active = name;
      done.delete(name);
    }
  }
  const index = SETUP_STEPS.indexOf(active as (typeof SETUP_STEPS)[number]);
  return (
    <ol class="setup-steps" aria-label="Setup steps">
      {SETUP_STEPS.map((s, i) => {
        const state = s === active ? 'active' : done.has(s) || i < index ? 'done' : 'todo';
        return (
          <li key={s} class={state} aria-current={state === 'active' ? 'step' : undefined}>
            <span class="step-mark" aria-hidden="true">
              {state === 'done' ? '✓' : i + 1}
            </span>
            {STEP_LABELS[s]}
            <span class="visually-hidden">
              {state === 'done' ? ' (done)' : state === 'active' ? ' (current)' : ''}
            </span>
            {state === 'done' && onRedo !== null && (
              <button
                type="button"
                class="step-redo"
                aria-label={`Redo ${STEP_LABELS[s] ?? s}`}
                onClick={() => onRedo(s)}
              >
                Redo
              </button>
            )}
          </li>
        );
      })}
    </ol>
  );
}

/** Tool calls of the session, pairing each start with its end. */
function activityOf(events: SessionEvent[]) {
  const calls: { seq: number; tool: string; status: string; summary: string }[] = [];
  for (const { seq, event } of events) {
    if (event.type !== 'tool_activity') continue;
    const tool = String(event['tool']);
    const status = String(event['status']);
    const open =
      status === 'started'
        ? undefined
        : calls.findLast((c) => c.tool === tool && c.status === 'started');
    const summary = typeof event['summary'] === 'string' ? event['summary'] : '';
    if (open) Object.assign(open, { status, summary });
    else calls.push({ seq, tool, status, summary });
  }
  return calls;
}

function ActivityIcon({ status }: { status: string }): JSX.Element {
  const icon = status === 'ok' ? '✓' : status === 'error' ? '✗' : '…';
  return (
    <span class={`act-icon ${status}`} aria-hidden="true">
      {icon}
    </span>
  );
}

function Activity({ events }: { events: SessionEvent[] }): JSX.Element {
  const calls = activityOf(events);
  const list = useRef<HTMLOListElement>(null);
  // The newest call in view, as in the chat.
  useEffect(() => {
    const el = list.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [calls.length]);
  if (calls.length === 0) return <p class="muted small">No tool calls yet.</p>;
  return (
    // Focusable: it scrolls, and a keyboard must be able to scroll it.
    <ol class="activity" aria-label="Tool calls" tabIndex={0} ref={list}>
      {calls.map((c) => (
        <li key={c.seq} title={c.summary}>
          <ActivityIcon status={c.status} /> <code>{c.tool}</code>{' '}
          <span class="visually-hidden">{c.status === 'started' ? 'running' : c.status}</span>
          {c.status === 'error' && c.summary && <div class="bad-text small">{c.summary}</div>}
        </li>
      ))}
    </ol>
  );
}

function ChatForm({
  event,
  disabled,
  onSend,
}: {
  event: WireEvent;
  disabled: boolean;
  onSend: (m: AssistantMessage) => void;
}): JSX.Element {
  const fields = event['fields'] as FormField[];
  const [values, setValues] = useState<Record<string, string>>({});
  const props = (name: string) => ({
    autoComplete: 'off',
    required: true,
    disabled,
    value: values[name] ?? '',
    onInput: (e: TargetedEvent<HTMLInputElement>) => {
      const value = e.currentTarget.value;
      setValues((v) => ({ ...v, [name]: value }));
    },
  });
  return (
    <form
      class="chat-form card"
      aria-label={String(event['title'])}
      onSubmit={(e) => {
        e.preventDefault();
        onSend({ form: String(event['id']), values });
        // A secret leaves the page with the message: the input does not keep it.
        setValues((v) =>
          Object.fromEntries(
            Object.entries(v).filter(([k]) => !fields.find((f) => f.name === k)?.secret),
          ),
        );
      }}
    >
      <strong>{String(event['title'])}</strong>
      {fields.map((f) => (
        <Field
          key={f.name}
          label={f.label}
          hint={f.secret ? 'Sent once to the connection; never kept in the chat.' : undefined}
        >
          {f.secret ? (
            <input type="password" {...props(f.name)} />
          ) : (
            <input type="text" {...props(f.name)} />
          )}
        </Field>
      ))}
      <button type="submit" class="primary" disabled={disabled}>
        Send
      </button>
    </form>
  );
}

function MappingReview({
  items,
  disabled,
  onSend,
}: {
  items: Mapping[];
  disabled: boolean;
  onSend: (m: AssistantMessage) => void;
}): JSX.Element {
  const [editing, setEditing] = useState<string | null>(null);
  const [value, setValue] = useState('');
  return (
    <div class="card mapping-review">
      <strong>Mappings to review</strong>
      <ul>
        {items.map((m) => (
          <li key={m.target}>
            <div class="mapping-line">
              <span>
                <code>{m.target}</code>: {m.words}
              </span>
              <button
                type="button"
                class="small-btn"
                disabled={disabled}
                aria-label={`Change ${m.target}`}
                onClick={() => {
                  setEditing(m.target);
                  setValue('');
                }}
              >
                Change
              </button>
            </div>
            {editing === m.target && (
              <form
                class="row"
                onSubmit={(e) => {
                  e.preventDefault();
                  onSend({ form: 'mapping', values: { [m.target]: value } });
                  setEditing(null);
                }}
              >
                <Field
                  label={`New source for ${m.target}`}
                  hint="A source path (order.number) or a fixed value in quotes ('Web order')."
                >
                  <input value={value} required onInput={(e) => setValue(e.currentTarget.value)} />
                </Field>
                <button type="submit" class="primary" disabled={disabled}>
                  Apply
                </button>
                <button type="button" onClick={() => setEditing(null)}>
                  Cancel
                </button>
              </form>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function TestCases({ cases }: { cases: TestCase[] }): JSX.Element {
  return (
    <div class="card test-cases">
      <strong>Test cases</strong>
      <ul>
        {cases.map((c) => (
          <li key={c.name}>
            <Badge value={c.mode} tone={c.mode === 'LIVE' ? 'warn' : 'run'} />{' '}
            <Badge value={c.passed ? 'passed' : 'failed'} tone={c.passed ? 'ok' : 'bad'} /> {c.name}
            <div class="muted small">Passes when {c.passWhen}</div>
            {c.problems.length > 0 && <div class="bad-text small">{c.problems.join('; ')}</div>}
          </li>
        ))}
      </ul>
    </div>
  );
}

function userText(e: WireEvent): string {
  if (typeof e['text'] === 'string') return e['text'];
  if (typeof e['choice'] === 'string') return e['choice'];
  if (typeof e['redo'] === 'string') return `Redo ${STEP_LABELS[e['redo']] ?? e['redo']}`;
  const values = (e['values'] ?? {}) as Record<string, string>;
  return Object.entries(values)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
}

/** One event of the transcript; `live` marks the last question, the only one still answerable. */
function ChatEvent({
  item,
  live,
  busy,
  onSend,
}: {
  item: SessionEvent;
  live: boolean;
  busy: boolean;
  onSend: (m: AssistantMessage) => void;
}): JSX.Element | null {
  const e = item.event;
  switch (e.type) {
    case 'user':
      return <div class="msg user">{userText(e)}</div>;
    case 'text_delta':
      return <div class="msg assistant">{String(e['text']).trimEnd()}</div>;
    case 'tool_activity':
      return null;
    case 'step':
      return e['status'] === 'active' ? (
        <div class="msg step-divider" role="separator">
          Step {SETUP_STEPS.indexOf(e['step'] as (typeof SETUP_STEPS)[number]) + 1} of 5:{' '}
          {STEP_LABELS[String(e['step'])] ?? String(e['step'])}
        </div>
      ) : null;
    case 'choices':
    case 'handback':
      return (
        <div class="msg choices" role="group" aria-label="Choices">
          {(e['options'] as string[]).map((o) => (
            <button
              key={o}
              type="button"
              class="primary"
              disabled={!live || busy}
              onClick={() => onSend({ choice: o })}
            >
              {o}
            </button>
          ))}
        </div>
      );
    case 'form':
      return <ChatForm event={e} disabled={!live || busy} onSend={onSend} />;
    case 'mapping_review':
      return <MappingReview items={e['items'] as Mapping[]} disabled={busy} onSend={onSend} />;
    case 'test_cases':
      return <TestCases cases={e['cases'] as TestCase[]} />;
    case 'checklist':
      return (
        <div class="card">
          <strong>Go-live checklist</strong>
          <Checklist items={e['items'] as Check[]} />
        </div>
      );
    case 'turn_error':
      return (
        <ErrorBox
          error={typeof e['message'] === 'string' ? e['message'] : 'The turn failed'}
          title="The assistant hit a problem"
        />
      );
    case 'done':
      return e['complete'] === true ? (
        <Notice tone="success">All five steps are done. This session is complete.</Notice>
      ) : null;
    default:
      return null;
  }
}

/**
 * The events to show, with their index: text streamed in pieces (a model's tokens) joins the
 * text before it until a piece ends a line, so an answer is one bubble, not one per token.
 */
function joinText(events: SessionEvent[]): { item: SessionEvent; index: number }[] {
  const out: { item: SessionEvent; index: number }[] = [];
  events.forEach((item, index) => {
    const prev = out.at(-1);
    const text = prev?.item.event['text'];
    if (
      item.event.type === 'text_delta' &&
      prev?.item.event.type === 'text_delta' &&
      typeof text === 'string' &&
      !text.endsWith('\n')
    ) {
      const joined = { ...prev.item.event, text: text + String(item.event['text']) };
      prev.item = { seq: prev.item.seq, event: joined };
      return;
    }
    out.push({ item, index });
  });
  return out;
}

/** Merges events by seq (each once, in order). */
function merge(list: SessionEvent[], more: SessionEvent[]): SessionEvent[] {
  const seen = new Set(list.map((e) => e.seq));
  const added = more.filter((e) => !seen.has(e.seq));
  return added.length === 0 ? list : [...list, ...added].sort((a, b) => a.seq - b.seq);
}

const ASKS = new Set(['choices', 'handback', 'form']);

function Chat({
  sessionId,
  onActivity,
  onChanged,
  redo,
}: {
  sessionId: string | null;
  onActivity: (events: SessionEvent[], step: string | null) => void;
  onChanged: (id: string) => void;
  /** Told what sends a redo of a step in this chat, or null while it cannot (Redo buttons). */
  redo: (send: ((step: string) => void) | null) => void;
}): JSX.Element {
  const [events, setEvents] = useState<SessionEvent[]>([]);
  const [step, setStep] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [text, setText] = useState('');
  const [loading, setLoading] = useState(false);
  const abort = useRef<AbortController | null>(null);
  const current = useRef<string | null>(sessionId);
  /** A session this chat created itself: already showing, not to be reloaded. */
  const adopted = useRef<string | null>(null);
  const log = useRef<HTMLDivElement>(null);

  const receive = (id: string) => (e: SessionEvent) => {
    if (current.current !== id) return;
    setEvents((list) => merge(list, [e]));
    if (e.event.type === 'step' && e.event['status'] === 'active') setStep(String(e.event['step']));
  };

  const run = async (id: string, work: (signal: AbortSignal) => Promise<void>) => {
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setBusy(true);
    setError(null);
    try {
      await work(controller.signal);
    } catch (err) {
      if (!controller.signal.aborted) setError(err as Error);
    } finally {
      if (current.current === id && abort.current === controller) {
        setBusy(false);
        onChanged(id);
      }
    }
  };

  useEffect(() => {
    if (sessionId !== null && sessionId === adopted.current) {
      adopted.current = null;
      return undefined;
    }
    current.current = sessionId;
    abort.current?.abort();
    setEvents([]);
    setStep(null);
    setError(null);
    setBusy(false);
    if (sessionId === null) return undefined;
    let live = true;
    setLoading(true);
    api<AssistantSessionDetail>('GET', `/assistant/sessions/${encodeURIComponent(sessionId)}`).then(
      (detail) => {
        if (!live) return;
        setLoading(false);
        setEvents(detail.events);
        setStep(detail.step);
        // Opened mid-turn (another tab, a reload): follow the turn to its end.
        if (detail.status === 'running')
          void run(sessionId, (signal) =>
            followSession(sessionId, receive(sessionId), { signal, lastSeq: detail.lastSeq }),
          );
      },
      (err: unknown) => {
        if (!live) return;
        setLoading(false);
        setError(err as Error);
      },
    );
    return () => {
      live = false;
    };
  }, [sessionId]);

  useEffect(() => () => abort.current?.abort(), []);
  useEffect(() => onActivity(events, step), [events, step]);
  useEffect(() => {
    const el = log.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [events.length]);

  useEffect(
    () => redo(sessionId === null || busy ? null : (s) => send({ redo: s } as AssistantMessage)),
    [sessionId, busy],
  );
  const send = (message: AssistantMessage) => {
    void (async () => {
      let id = sessionId;
      if (id === null) {
        try {
          id = (await api<{ sessionId: string }>('POST', '/assistant/sessions')).sessionId;
        } catch (err) {
          setError(err as Error);
          return;
        }
        current.current = id;
        adopted.current = id;
        onChanged(id);
      }
      const target = id;
      const lastSeq = events.at(-1)?.seq ?? 0;
      await run(target, (signal) =>
        sendMessage(target, message, receive(target), { signal, lastSeq }),
      );
    })();
  };

  // The tool call in progress, shown in the chat while the turn runs.
  const running = busy ? activityOf(events).findLast((c) => c.status === 'started') : undefined;
  const lastAsk = events.findLastIndex((e) => ASKS.has(e.event.type));
  const lastUser = events.findLastIndex((e) => e.event.type === 'user');
  const complete = events.some((e) => e.event.type === 'done' && e.event['complete'] === true);
  return (
    <section class="card chat" aria-labelledby="chat-title">
      <h2 id="chat-title">Setup Assistant</h2>
      <div
        class="chat-log"
        ref={log}
        role="log"
        aria-live="polite"
        aria-label="Conversation"
        tabIndex={0}
      >
        <div class="msg assistant">{GREETING}</div>
        {loading && (
          <p class="muted loading" role="status">
            Loading…
          </p>
        )}
        {joinText(events).map(({ item, index }) => (
          <ChatEvent
            key={item.seq}
            item={item}
            live={index === lastAsk && lastAsk > lastUser}
            busy={busy}
            onSend={send}
          />
        ))}
        {busy && (
          <p class="muted typing" role="status">
            {running ? (
              <>
                Running <code>{running.tool}</code>…
              </>
            ) : (
              'The assistant is working…'
            )}
          </p>
        )}
      </div>
      {error && <ErrorBox error={error} title="The message did not go through" />}
      <form
        class="row chat-input"
        onSubmit={(e) => {
          e.preventDefault();
          const t = text.trim();
          if (!t) return;
          setText('');
          send({ text: t });
        }}
      >
        <Field label="Message">
          <input
            type="text"
            autoComplete="off"
            placeholder={complete ? 'Ask me to check again' : 'Describe your use case'}
            value={text}
            disabled={busy}
            onInput={(e) => setText(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" class="primary" disabled={busy || !text.trim()}>
          Send
        </button>
      </form>
    </section>
  );
}

function Sessions({
  selected,
  onSelect,
  tick,
}: {
  selected: string | null;
  onSelect: (id: string | null) => void;
  tick: number;
}): JSX.Element {
  const state = useApi<{ data: AssistantSession[] }>('/assistant/sessions?limit=20');
  const { reload } = state;
  useEffect(() => {
    if (tick > 0) reload();
  }, [tick]);
  return (
    <nav class="card sessions" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      <button type="button" class="primary new-session" onClick={() => onSelect(null)}>
        New session
      </button>
      <Loadable state={state} isEmpty={(d) => d.data.length === 0} empty="No sessions yet.">
        {(d) => (
          <ul>
            {d.data.map((s) => (
              <li key={s.id}>
                <button
                  type="button"
                  class={s.id === selected ? 'session current' : 'session'}
                  aria-current={s.id === selected ? 'true' : undefined}
                  onClick={() => onSelect(s.id)}
                >
                  <span>{STEP_LABELS[s.step ?? ''] ?? 'New'}</span>{' '}
                  <Badge
                    value={s.status}
                    tone={s.status === 'complete' ? 'ok' : s.status === 'running' ? 'run' : 'muted'}
                  />
                  <span class="muted small">
                    {' '}
                    <Time iso={s.updatedAt} />
                  </span>
                </button>
              </li>
            ))}
          </ul>
        )}
      </Loadable>
    </nav>
  );
}

const SESSION_ID = /^[0-9a-f-]{36}$/;

/** The open session is in the address (`/?session=<id>`), so a reload or a link reopens it. */
function sessionInUrl(): string | null {
  const id = new URLSearchParams(location.search).get('session');
  return id !== null && SESSION_ID.test(id) ? id : null;
}

export function Home(): JSX.Element {
  const [sessionId, setSession] = useState<string | null>(sessionInUrl);
  const setSessionId = (id: string | null) => {
    setSession(id);
    history.replaceState(null, '', id === null ? '/' : `/?session=${encodeURIComponent(id)}`);
  };
  const [tick, setTick] = useState(0);
  const [view, setView] = useState<{ events: SessionEvent[]; step: string | null }>({
    events: [],
    step: null,
  });
  const [redo, setRedo] = useState<{ send: ((step: string) => void) | null }>({ send: null });
  const checklist = view.events.findLast((e) => e.event.type === 'checklist')?.event['items'] as
    Check[] | undefined;
  return (
    <Page
      title="Home"
      intro="Tell the Setup Assistant what your customers want connected; it builds, tests and ships the integration with you."
    >
      <div class="home">
        <Sessions selected={sessionId} onSelect={setSessionId} tick={tick} />
        <Chat
          sessionId={sessionId}
          onActivity={(events, step) => setView({ events, step })}
          redo={(send) => setRedo({ send })}
          onChanged={(id) => {
            setSessionId(id);
            setTick((n) => n + 1);
          }}
        />
        <aside class="home-side" aria-label="Progress and activity">
          <section class="card" aria-labelledby="steps-title">
            <h2 id="steps-title">Setup progress</h2>
            <StepProgress events={view.events} step={view.step} onRedo={redo.send} />
          </section>
          <section class="card progress" aria-labelledby="progress-title">
            <h2 id="progress-title">Go-live checklist</h2>
            {checklist ? (
              <Checklist items={checklist} />
            ) : (
              <DataChecklist turns={view.events.filter((e) => e.event.type === 'done').length} />
            )}
          </section>
          <section class="card" aria-labelledby="activity-title">
            <h2 id="activity-title">Agent activity</h2>
            <Activity events={view.events} />
          </section>
        </aside>
      </div>
    </Page>
  );
}
