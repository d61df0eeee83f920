// The connect widget's page: the customer sees the apps they may connect with their status,
// connects one (a form of credentials, or OAuth in a popup), disconnects, reads recent sync
// status, and may answer a short onboarding chat first. It tells the page that framed it what
// happened (connected, disconnected, error, closed) with postMessage, addressed to that page's
// origin only, and only when the widget allows that origin.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './widget.css';

interface Field {
  name: string;
  label: string;
  secret: boolean;
  required: boolean;
}
interface ConnectorView {
  connector: string;
  name: string;
  iconUrl: string | null;
  authType: 'oauth2' | 'form' | 'none';
  fields: Field[];
  connection: { id: string; status: string; statusReason: string | null } | null;
  activity: { text: string; status: string; at: string }[];
}
interface Session {
  widget: {
    name: string;
    level: 'org' | 'user';
    branding: {
      title: string;
      subtitle: string;
      logoUrl?: string;
      primaryColor: string;
      backgroundColor: string;
      textColor: string;
      fontFamily: string;
    };
    allowedOrigins: string[];
    onboarding: boolean;
  };
  customer: { id: string; name: string };
  connectors: ConnectorView[];
}
interface Reply {
  say: string;
  choices: string[];
  multiple: boolean;
  done: boolean;
}

const params = new URLSearchParams(location.search);
const token = params.get('token') ?? '';
const claimedHost = params.get('host');
// The token stays in memory only: out of the address bar, history and any Referer.
history.replaceState(null, '', location.pathname);

let hostOrigin: string | null = null;

function emit(event: Record<string, unknown>): void {
  if (window.parent === window || hostOrigin === null) return;
  window.parent.postMessage({ source: 'weft-widget', ...event }, hostOrigin);
}

class ApiError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  constructor(status: number, message: string, reason: string | undefined) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`/embed/api${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const parsed = (await res.json().catch(() => null)) as {
    error?: { message?: string; details?: { reason?: string } };
  } | null;
  if (!res.ok) {
    throw new ApiError(
      res.status,
      parsed?.error?.message ?? `the server answered ${res.status}`,
      parsed?.error?.details?.reason,
    );
  }
  return parsed as T;
}

function statusLabel(view: ConnectorView): { text: string; tone: string } {
  const status = view.connection?.status;
  if (!status) return { text: 'Not connected', tone: 'none' };
  if (status === 'active') return { text: 'Connected', tone: 'ok' };
  if (status === 'pending') return { text: 'Waiting for sign-in', tone: 'wait' };
  return { text: 'Needs attention', tone: 'bad' };
}

function CredentialForm({
  view,
  onDone,
  onCancel,
}: {
  view: ConnectorView;
  onDone: () => void;
  onCancel: () => void;
}) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function submit(event: Event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const done = await api<{ connection: ConnectorView }>('POST', '/connections', {
        connector: view.connector,
        credentials: values,
      });
      emit({
        type: 'connected',
        connector: view.connector,
        connectionId: done.connection.connection?.id,
      });
      onDone();
    } catch (failure) {
      const message = failure instanceof Error ? failure.message : String(failure);
      setError(message);
      emit({ type: 'error', connector: view.connector, message });
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="form" onSubmit={(e) => void submit(e)} aria-label={`Connect ${view.name}`}>
      {view.fields.map((f) => (
        <label key={f.name}>
          <span>{f.label}</span>
          {f.secret ? (
            <input
              name={f.name}
              type="password"
              autocomplete="off"
              required={f.required}
              value={values[f.name] ?? ''}
              onInput={(e) => setValues({ ...values, [f.name]: e.currentTarget.value })}
            />
          ) : (
            <input
              name={f.name}
              type="text"
              autocomplete="off"
              required={f.required}
              value={values[f.name] ?? ''}
              onInput={(e) => setValues({ ...values, [f.name]: e.currentTarget.value })}
            />
          )}
        </label>
      ))}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Save and connect'}
        </button>
        <button type="button" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ConnectorCard({ view, reload }: { view: ConnectorView; reload: () => Promise<void> }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const status = statusLabel(view);
  const connected = view.connection?.status === 'active';

  function fail(message: string) {
    setError(message);
    emit({ type: 'error', connector: view.connector, message });
  }

  async function oauth() {
    setError(null);
    // Opened inside the click, before any await, or the browser blocks the popup.
    const popup = window.open('about:blank', 'weft-oauth', 'width=520,height=680');
    setBusy(true);
    try {
      const started = await api<{ url: string; connectionId: string }>('POST', '/oauth/start', {
        connector: view.connector,
      });
      if (!popup) throw new Error('the sign-in window was blocked; allow popups and try again');
      popup.location.href = started.url;
      const outcome = await new Promise<string>((resolve) => {
        const onMessage = (message: MessageEvent) => {
          const data = message.data as { source?: string; status?: string } | null;
          if (message.origin !== location.origin || message.source !== popup) return;
          if (data?.source !== 'weft-oauth') return;
          cleanup();
          resolve(data.status ?? 'unknown');
        };
        const timer = setInterval(() => {
          if (popup.closed) {
            cleanup();
            resolve('closed');
          }
        }, 500);
        const cleanup = () => {
          clearInterval(timer);
          window.removeEventListener('message', onMessage);
        };
        window.addEventListener('message', onMessage);
      });
      if (outcome !== 'connected') {
        await reload();
        throw new Error('the sign-in did not complete; try again');
      }
      const done = await api<{ connection: ConnectorView }>(
        'POST',
        `/connections/${started.connectionId}/complete`,
      );
      emit({
        type: 'connected',
        connector: view.connector,
        connectionId: done.connection.connection?.id,
      });
      await reload();
    } catch (failure) {
      popup?.close();
      fail(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  }

  async function disconnectIt() {
    const id = view.connection?.id;
    if (!id) return;
    setBusy(true);
    setError(null);
    try {
      await api('DELETE', `/connections/${id}`);
      emit({ type: 'disconnected', connector: view.connector, connectionId: id });
      await reload();
    } catch (failure) {
      fail(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li class="card" data-connector={view.connector}>
      <div class="card-head">
        {view.iconUrl ? (
          <img src={view.iconUrl} alt="" width={32} height={32} />
        ) : (
          <span class="icon" aria-hidden="true">
            {view.name.charAt(0)}
          </span>
        )}
        <div class="grow">
          <h2>{view.name}</h2>
          <span class={`badge ${status.tone}`}>{status.text}</span>
        </div>
        {connected ? (
          <button type="button" disabled={busy} onClick={() => void disconnectIt()}>
            Disconnect
          </button>
        ) : view.authType === 'oauth2' ? (
          <button type="button" class="primary" disabled={busy} onClick={() => void oauth()}>
            {busy ? 'Waiting…' : 'Connect'}
          </button>
        ) : (
          !open && (
            <button type="button" class="primary" onClick={() => setOpen(true)}>
              Connect
            </button>
          )
        )}
      </div>
      {view.connection?.statusReason && !connected && (
        <p class="muted">{view.connection.statusReason}</p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {open && !connected && (
        <CredentialForm
          view={view}
          onCancel={() => setOpen(false)}
          onDone={() => {
            setOpen(false);
            void reload();
          }}
        />
      )}
      {connected && view.activity.length > 0 && (
        <ul class="activity" aria-label={`Recent activity for ${view.name}`}>
          {view.activity.map((a) => (
            <li key={a.at} class={a.status}>
              {a.text}
            </li>
          ))}
        </ul>
      )}
      {connected && view.activity.length === 0 && <p class="muted">No syncs yet.</p>}
    </li>
  );
}

function Onboarding({ onDone }: { onDone: () => void }) {
  const [lines, setLines] = useState<{ who: 'us' | 'you'; text: string }[]>([]);
  const [reply, setReply] = useState<Reply | null>(null);
  const [picked, setPicked] = useState<string[]>([]);
  const [text, setText] = useState('');
  async function turn(said: string) {
    if (said) setLines((l) => [...l, { who: 'you', text: said }]);
    const next = await api<Reply>('POST', '/onboarding', { text: said });
    setLines((l) => [...l, { who: 'us', text: next.say }]);
    setReply(next);
    setPicked([]);
    setText('');
  }
  useEffect(() => {
    void turn('');
  }, []);
  return (
    <section class="chat" aria-label="Set up your sync">
      <ol class="lines">
        {lines.map((l, i) => (
          <li key={i} class={l.who}>
            {l.text}
          </li>
        ))}
      </ol>
      {reply && !reply.done && (
        <div class="choices">
          {reply.choices.map((c) =>
            reply.multiple ? (
              <label key={c} class="chip">
                <input
                  type="checkbox"
                  checked={picked.includes(c)}
                  onChange={(e) =>
                    setPicked(
                      e.currentTarget.checked ? [...picked, c] : picked.filter((p) => p !== c),
                    )
                  }
                />
                {c}
              </label>
            ) : (
              <button type="button" key={c} onClick={() => void turn(c)}>
                {c}
              </button>
            ),
          )}
          {reply.multiple && (
            <button type="button" class="primary" onClick={() => void turn(picked.join(', '))}>
              Continue
            </button>
          )}
          <form
            class="row"
            onSubmit={(e) => {
              e.preventDefault();
              if (text.trim()) void turn(text.trim());
            }}
          >
            <input
              aria-label="Your answer"
              value={text}
              placeholder="Or type your answer"
              onInput={(e) => setText(e.currentTarget.value)}
            />
            <button type="submit">Send</button>
          </form>
        </div>
      )}
      <div class="row">
        <button type="button" class={reply?.done ? 'primary' : ''} onClick={onDone}>
          {reply?.done ? 'Continue' : 'Skip'}
        </button>
      </div>
    </section>
  );
}

function Widget() {
  const [session, setSession] = useState<Session | null>(null);
  const [refused, setRefused] = useState<string | null>(null);
  const [onboarding, setOnboarding] = useState(false);

  async function reload() {
    try {
      const next = await api<Session>('GET', '/session');
      setSession(next);
      return next;
    } catch (failure) {
      const message = failure instanceof Error ? failure.message : String(failure);
      setRefused(message);
      emit({
        type: 'error',
        message,
        reason: failure instanceof ApiError ? failure.reason : undefined,
      });
      return null;
    }
  }

  useEffect(() => {
    void (async () => {
      // Until the widget says which origins it allows, only a refusal may go to the claimed one.
      hostOrigin = claimedHost;
      const first = await reload();
      if (!first) return;
      hostOrigin =
        claimedHost !== null && first.widget.allowedOrigins.includes(claimedHost)
          ? claimedHost
          : null;
      const root = document.documentElement.style;
      const b = first.widget.branding;
      root.setProperty('--primary', b.primaryColor);
      root.setProperty('--bg', b.backgroundColor);
      root.setProperty('--text', b.textColor);
      root.setProperty('--font', b.fontFamily);
      setOnboarding(first.widget.onboarding && first.connectors.every((c) => !c.connection));
      emit({ type: 'ready' });
    })();
  }, []);

  if (refused) {
    return (
      <main class="refused">
        <h1>This link does not work</h1>
        <p role="alert">{refused}</p>
      </main>
    );
  }
  if (!session) return <p class="muted">Loading…</p>;
  const b = session.widget.branding;
  return (
    <main>
      <header>
        {b.logoUrl && <img src={b.logoUrl} alt="" class="logo" />}
        <div class="grow">
          <h1>{b.title}</h1>
          {b.subtitle && <p class="muted">{b.subtitle}</p>}
        </div>
        {window.parent !== window && (
          <button type="button" aria-label="Close" onClick={() => emit({ type: 'closed' })}>
            ×
          </button>
        )}
      </header>
      {onboarding ? (
        <Onboarding onDone={() => setOnboarding(false)} />
      ) : (
        <ul class="cards">
          {session.connectors.map((view) => (
            <ConnectorCard
              key={view.connector}
              view={view}
              reload={async () => {
                await reload();
              }}
            />
          ))}
        </ul>
      )}
    </main>
  );
}

const root = document.getElementById('weft-widget');
if (root) {
  const refusedPage = root.querySelector('.refused');
  if (refusedPage) {
    // The server already refused the token: tell the host page, and keep the server's words.
    if (window.parent !== window && claimedHost) {
      window.parent.postMessage(
        {
          source: 'weft-widget',
          type: 'error',
          reason: refusedPage.getAttribute('data-reason') ?? 'refused',
          message: refusedPage.querySelector('p')?.textContent ?? '',
        },
        claimedHost,
      );
    }
  } else {
    render(<Widget />, root);
  }
}
