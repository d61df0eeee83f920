// The web app's root: sign-in (email and password, or an API key; accepting an invitation link),
// the navigation (Home; Integrations; Activity;
// Settings, as in the product reference) and the page for the current path. A banner says when
// the server cannot be reached; pages reload by themselves when it is back.
import { render, type JSX } from 'preact';
import { useState } from 'preact/hooks';
import './styles.css';
import {
  api,
  ApiError,
  keyMode,
  resumeSession,
  signedIn,
  signIn,
  signInAsPerson,
  signOut,
  useAppState,
} from './api.ts';
import { Link, match, usePath } from './router.tsx';
import { ErrorBox, Field } from './ui.tsx';
import { Home } from './pages/home.tsx';
import { ConnectorsPage } from './pages/connectors.tsx';
import { ConnectorPage } from './pages/connector.tsx';
import { ConnectionsPage } from './pages/connections.tsx';
import { WorkflowsPage } from './pages/workflows.tsx';
import { WorkflowPage } from './pages/workflow.tsx';
import { TriggersPage } from './pages/triggers.tsx';
import { MappingsPage } from './pages/mappings.tsx';
import { ExecutionsPage, ExecutionPage } from './pages/executions.tsx';
import { EventsPage } from './pages/events.tsx';
import { AgentRunsPage, AgentRunPage } from './pages/agent-runs.tsx';
import { ApiKeysPage, AuditLogPage, CustomersPage, SecretsPage } from './pages/settings.tsx';
import { OAuthAppsPage } from './pages/oauth-apps.tsx';
import { EnvironmentsPage } from './pages/environments.tsx';
import { AccountPage } from './pages/account.tsx';
import { PeoplePage } from './pages/people.tsx';
import { RolesPage } from './pages/roles.tsx';

const NAV: { group: string; items: { href: string; label: string }[] }[] = [
  { group: '', items: [{ href: '/', label: 'Home' }] },
  {
    group: 'Integrations',
    items: [
      { href: '/connectors', label: 'Connectors' },
      { href: '/connections', label: 'Connections' },
      { href: '/workflows', label: 'Workflows' },
      { href: '/triggers', label: 'Triggers' },
      { href: '/mappings', label: 'Mappings' },
    ],
  },
  {
    group: 'Activity',
    items: [
      { href: '/executions', label: 'Executions' },
      { href: '/events', label: 'Events' },
      { href: '/agent-runs', label: 'Agent runs' },
    ],
  },
  {
    group: 'Settings',
    items: [
      { href: '/settings/people', label: 'People' },
      { href: '/settings/roles', label: 'Roles' },
      { href: '/settings/api-keys', label: 'API keys' },
      { href: '/settings/secrets', label: 'Secrets' },
      { href: '/settings/customers', label: 'Customers' },
      { href: '/settings/oauth-apps', label: 'OAuth apps' },
      { href: '/settings/environments', label: 'Environments' },
      { href: '/settings/audit-log', label: 'Audit log' },
      { href: '/settings/account', label: 'Your account' },
    ],
  },
];

type Route = [string, (p: Record<string, string>) => JSX.Element];
const ROUTES: Route[] = [
  ['/', () => <Home />],
  ['/connectors', () => <ConnectorsPage />],
  ['/connectors/:slug', (p) => <ConnectorPage slug={p['slug'] ?? ''} />],
  ['/connections', () => <ConnectionsPage />],
  ['/workflows', () => <WorkflowsPage />],
  ['/workflows/:id', (p) => <WorkflowPage id={p['id'] ?? ''} />],
  ['/triggers', () => <TriggersPage />],
  ['/mappings', () => <MappingsPage />],
  ['/executions', () => <ExecutionsPage />],
  ['/executions/:id', (p) => <ExecutionPage id={p['id'] ?? ''} />],
  ['/events', () => <EventsPage />],
  ['/agent-runs', () => <AgentRunsPage />],
  ['/agent-runs/:id', (p) => <AgentRunPage id={p['id'] ?? ''} />],
  ['/settings/people', () => <PeoplePage />],
  ['/settings/roles', () => <RolesPage />],
  ['/settings/api-keys', () => <ApiKeysPage />],
  ['/settings/secrets', () => <SecretsPage />],
  ['/settings/customers', () => <CustomersPage />],
  ['/settings/oauth-apps', () => <OAuthAppsPage />],
  ['/settings/environments', () => <EnvironmentsPage />],
  ['/settings/audit-log', () => <AuditLogPage />],
  ['/settings/account', () => <AccountPage />],
];

/** POSTs to a sign-in route; resolves with the CSRF token or the server's message as an error. */
async function startSession(path: string, body: unknown): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`/api/v1/auth/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    throw new Error('Weft did not answer. Is the server running?');
  }
  const json = (await res.json().catch(() => ({}))) as {
    csrfToken?: string;
    error?: { message?: string };
  };
  if (!res.ok || !json.csrfToken) {
    throw new Error(json.error?.message ?? `The server answered ${res.status}.`);
  }
  return json.csrfToken;
}

function PasswordSignIn(): JSX.Element {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      signInAsPerson(await startSession('sign-in', { email, password }));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card" onSubmit={(e) => void submit(e)} aria-label="Sign in with email">
      {error && <ErrorBox error={error} title="Could not sign in" />}
      <Field label="Email">
        <input
          type="email"
          name="email"
          autoComplete="username"
          required
          value={email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
      </Field>
      <Field label="Password">
        <input
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
      </Field>
      <button type="submit" class="primary" disabled={busy || !email || !password}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}

/** `/accept-invite#token=…`: the person chooses a password and is signed in. */
function AcceptInvite(): JSX.Element {
  const token = new URLSearchParams(location.hash.slice(1)).get('token') ?? '';
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const csrf = await startSession('accept-invite', {
        token,
        password,
        ...(name.trim() && { name: name.trim() }),
      });
      // The token leaves the address bar and the history; the app then shows Home.
      history.replaceState(null, '', '/');
      window.dispatchEvent(new PopStateEvent('popstate'));
      signInAsPerson(csrf);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form class="card" onSubmit={(e) => void submit(e)}>
        <h1>Welcome to Weft</h1>
        <p class="muted">Choose a password to finish joining (10 characters or more).</p>
        {!token && <ErrorBox error="This link has no token; ask for a new one." />}
        {error && <ErrorBox error={error} title="Could not join" />}
        <Field label="Your name">
          <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        <Field label="Password">
          <input
            type="password"
            name="new-password"
            autoComplete="new-password"
            minLength={10}
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" class="primary" disabled={busy || !token || password.length < 10}>
          {busy ? 'Joining…' : 'Join and sign in'}
        </button>
      </form>
    </main>
  );
}

function SignIn({ reason }: { reason: string }): JSX.Element {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>('');
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const res = await fetch('/api/v1/customers?limit=1', {
        headers: { 'x-fastn-api-key': key.trim() },
      });
      if (res.ok) signIn(key.trim());
      else {
        const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
        setError(body.error?.message ?? `The server answered ${res.status}.`);
      }
    } catch {
      setError('Weft did not answer. Is the server running?');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <h1>Sign in to Weft</h1>
      {reason && <ErrorBox error={reason} title="Signed out" />}
      <PasswordSignIn />
      <form class="card" onSubmit={(e) => void submit(e)} aria-label="Sign in with an API key">
        <p class="muted">
          Or use an API key: the first <code>npm start</code> prints a test and a live key. The key
          is kept in this tab only (session storage) and sent as the <code>x-fastn-api-key</code>{' '}
          header.
        </p>
        {error && <ErrorBox error={error} title="Could not sign in" />}
        <Field label="API key">
          <input
            type="password"
            name="apiKey"
            autoComplete="off"
            required
            placeholder="wk_test_…"
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" disabled={busy || !key.trim()}>
          {busy ? 'Checking…' : 'Sign in with the key'}
        </button>
      </form>
    </main>
  );
}

function NotFound(): JSX.Element {
  return (
    <section class="page">
      <h1 id="page-title">Page not found</h1>
      <p>
        There is no page here. <Link href="/">Go home</Link>.
      </p>
    </section>
  );
}

function Shell(): JSX.Element {
  const path = usePath();
  const { down } = useAppState();
  let page: JSX.Element | null = null;
  for (const [pattern, view] of ROUTES) {
    const params = match(pattern, path);
    if (params) {
      page = view(params);
      break;
    }
  }
  const mode = keyMode();
  const current = (href: string) =>
    href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <nav class="sidebar" aria-label="Main">
        <div class="brand">
          <span class="logo" aria-hidden="true">
            ◆
          </span>{' '}
          Weft
        </div>
        {NAV.map((g) => (
          <div class="nav-group" key={g.group}>
            {g.group && <div class="nav-title">{g.group}</div>}
            <ul>
              {g.items.map((i) => (
                <li key={i.href}>
                  <Link href={i.href} aria-current={current(i.href) ? 'page' : undefined}>
                    {i.label}
                  </Link>
                </li>
              ))}
            </ul>
          </div>
        ))}
        <div class="nav-foot">
          {mode && <span class={`badge ${mode === 'live' ? 'warn' : 'run'}`}>{mode} key</span>}
          <button type="button" class="link" onClick={() => signOut()}>
            Sign out
          </button>
          <a href="/api/v1/docs">API docs</a>
        </div>
      </nav>
      <main id="main" class="main" tabIndex={-1}>
        {down && (
          <div class="notice error banner" role="alert">
            <strong>Weft is not reachable.</strong> Retrying; this page reloads when the server is
            back.
          </div>
        )}
        {page ?? <NotFound />}
      </main>
    </div>
  );
}

function App(): JSX.Element {
  const { signOutReason } = useAppState();
  const path = usePath();
  if (path === '/accept-invite') return <AcceptInvite />;
  return signedIn() ? <Shell /> : <SignIn reason={signOutReason} />;
}

// A session cookie from an earlier tab signs this one in too.
void resumeSession();

// A stale key from an earlier session is checked once; a 401 signs out with the reason.
if (sessionStorage.getItem('weft.apiKey')) {
  api('GET', '/customers?limit=1').catch((e: unknown) => {
    if (!(e instanceof ApiError)) throw e;
  });
}

const root = document.getElementById('app');
if (root) {
  root.textContent = '';
  render(<App />, root);
}
