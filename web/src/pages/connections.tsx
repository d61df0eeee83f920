// Integrations → Connections: a connector authorized for one customer (or the org's own test
// connection). Connect with a key form (API key, bearer token, basic, custom fields) or start an
// OAuth 2.0 authorization; test a connection; delete it. Credentials go to the API once and are
// never shown again (the API returns only which fields are stored).
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, query, useApi } from '../api.ts';
import { Link } from '../router.tsx';
import type { AuthMethod, Connection, Connector, Customer, List } from '../types.ts';
import {
  Badge,
  Dialog,
  duration,
  ErrorBox,
  Field,
  Loadable,
  Notice,
  Page,
  Time,
  useAction,
} from '../ui.tsx';
import { TraceView } from './connector.tsx';

function credentialFields(method: AuthMethod | undefined): { name: string; label: string }[] {
  switch (method?.type) {
    case 'api_key':
      return [{ name: 'apiKey', label: 'API key' }];
    case 'bearer':
      return [{ name: 'token', label: 'Token' }];
    case 'basic':
      return [
        { name: 'username', label: 'Username' },
        { name: 'password', label: 'Password' },
      ];
    case 'custom':
      return (method.fields ?? []).map((f) => ({ name: f.name, label: f.label ?? f.name }));
    case 'none':
    case 'oauth2':
    case undefined:
      return [];
  }
}

function Connect({
  customers,
  onClose,
  onDone,
}: {
  customers: Customer[];
  onClose: () => void;
  onDone: () => void;
}): JSX.Element {
  const connectors = useApi<List<Connector>>('/connectors');
  const [connector, setConnector] = useState('');
  const [customerId, setCustomerId] = useState(customers[0]?.id ?? '');
  const [methodKey, setMethodKey] = useState('');
  const [name, setName] = useState('');
  const [values, setValues] = useState<Record<string, string>>({});
  const chosen =
    connectors.data?.data.find((c) => c.slug === connector) ?? connectors.data?.data[0];
  const method = chosen?.authMethods.find((m) => m.key === methodKey) ?? chosen?.authMethods[0];
  const fields = credentialFields(method);
  const submit = useAction(async () => {
    if (!chosen) throw new Error('Create a connector first.');
    if (method?.type === 'oauth2') {
      const started = await api<{ url: string }>(
        'GET',
        `/connections/oauth/start${query({
          connector: chosen.slug,
          customerId: customerId || undefined,
          returnUrl: `${location.origin}/connections`,
        })}`,
      );
      location.assign(started.url);
      return;
    }
    await api('POST', '/connections', {
      connector: chosen.slug,
      customerId: customerId || null,
      ...(name.trim() && { name: name.trim() }),
      ...(method && { authMethod: method.key }),
      credentials: Object.fromEntries(fields.map((f) => [f.name, values[f.name] ?? ''])),
    });
    setValues({});
    onDone();
    onClose();
  });
  return (
    <Dialog title="Connect" onClose={onClose}>
      <Loadable
        state={connectors}
        isEmpty={(d) => d.data.length === 0}
        empty={
          <>
            No connectors yet. <Link href="/connectors">Add one</Link> first.
          </>
        }
      >
        {(d) => (
          <form
            class="form"
            autoComplete="off"
            onSubmit={(e) => {
              e.preventDefault();
              void submit.run();
            }}
          >
            <Field label="Connector">
              <select
                value={chosen?.slug}
                onChange={(e) => {
                  setConnector(e.currentTarget.value);
                  setMethodKey('');
                }}
              >
                {d.data.map((c) => (
                  <option key={c.slug} value={c.slug}>
                    {c.name}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Customer">
              <select value={customerId} onChange={(e) => setCustomerId(e.currentTarget.value)}>
                {customers.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                    {c.externalId ? ` (${c.externalId})` : ''}
                  </option>
                ))}
                <option value="">The organization’s own test connection</option>
              </select>
            </Field>
            <Field label="Connection name (optional)">
              <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
            </Field>
            {(chosen?.authMethods.length ?? 0) > 1 && (
              <Field label="Auth method">
                <select value={method?.key} onChange={(e) => setMethodKey(e.currentTarget.value)}>
                  {chosen?.authMethods.map((m) => (
                    <option key={m.key} value={m.key}>
                      {m.label ?? m.key} ({m.type})
                    </option>
                  ))}
                </select>
              </Field>
            )}
            {fields.map((f) => (
              <Field key={f.name} label={f.label}>
                <input
                  {...(f.name === 'username'
                    ? { type: 'text' as const }
                    : { type: 'password' as const })}
                  required
                  autoComplete="off"
                  value={values[f.name] ?? ''}
                  onInput={(e) => {
                    const v = e.currentTarget.value;
                    setValues((prev) => ({ ...prev, [f.name]: v }));
                  }}
                />
              </Field>
            ))}
            {method?.type === 'oauth2' && (
              <Notice>
                You will be sent to the provider to authorize, then back here. The connector’s OAuth
                app (client id and secret) must be set first (API: PUT
                /connectors/&#123;slug&#125;/oauth-app).
              </Notice>
            )}
            {submit.error && <ErrorBox error={submit.error} title="Could not connect" />}
            <div class="row end">
              <button type="button" onClick={onClose}>
                Cancel
              </button>
              <button type="submit" class="primary" disabled={submit.busy}>
                {method?.type === 'oauth2' ? 'Continue to provider' : 'Connect'}
              </button>
            </div>
          </form>
        )}
      </Loadable>
    </Dialog>
  );
}

interface TestResult {
  ok: boolean;
  status: number | null;
  message: string;
  durationMs: number;
  traceId: string | null;
  nextSteps?: string[];
}

function TestRow({ id, onClose }: { id: string; onClose: () => void }): JSX.Element {
  const [result, setResult] = useState<TestResult | null>(null);
  const test = useAction(async () =>
    setResult(await api<TestResult>('POST', `/connections/${id}/test`)),
  );
  useEffect(() => {
    void test.run();
  }, []);
  return (
    <Dialog title="Test connection" onClose={onClose} wide>
      {test.busy && <p role="status">Testing…</p>}
      {test.error && <ErrorBox error={test.error} retry={() => void test.run()} />}
      {result && (
        <div aria-live="polite">
          <p>
            <Badge value={result.ok ? 'ok' : 'failed'} /> {result.message}{' '}
            <span class="muted">
              {result.status !== null && `HTTP ${result.status} · `}
              {duration(result.durationMs)}
            </span>
          </p>
          {result.nextSteps && (
            <ul>
              {result.nextSteps.map((s) => (
                <li key={s}>{s}</li>
              ))}
            </ul>
          )}
          {result.traceId && <TraceView traceId={result.traceId} />}
        </div>
      )}
    </Dialog>
  );
}

export function ConnectionsPage(): JSX.Element {
  const customers = useApi<List<Customer>>('/customers?limit=100');
  const [customerId, setCustomerId] = useState('');
  const state = useApi<List<Connection>>(
    `/connections${query({ customerId: customerId || undefined })}`,
  );
  const [connecting, setConnecting] = useState(false);
  const [testing, setTesting] = useState<string | null>(null);
  const remove = useAction(async (c: Connection) => {
    if (!confirm(`Delete the connection ${c.name} and its stored credentials?`)) return;
    await api('DELETE', `/connections/${c.id}`);
    state.reload();
  });
  const names = new Map((customers.data?.data ?? []).map((c) => [c.id, c.name]));
  return (
    <Page
      title="Connections"
      intro="Connectors authorized for your customers; credentials are encrypted and never shown."
      actions={
        <button
          type="button"
          class="primary"
          disabled={!customers.data}
          onClick={() => setConnecting(true)}
        >
          Connect
        </button>
      }
    >
      <div class="filters">
        <Field label="Customer">
          <select value={customerId} onChange={(e) => setCustomerId(e.currentTarget.value)}>
            <option value="">All customers</option>
            {(customers.data?.data ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {remove.error && <ErrorBox error={remove.error} />}
      <Loadable
        state={state}
        isEmpty={(d) => d.data.length === 0}
        empty={
          <>
            No connections{customerId ? ' for this customer' : ''}. Add a customer under{' '}
            <Link href="/settings/customers">Settings → Customers</Link>, then Connect.
          </>
        }
      >
        {(d) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Connection</th>
                <th scope="col">Connector</th>
                <th scope="col">Customer</th>
                <th scope="col">Auth</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {d.data.map((c) => (
                <tr key={c.id}>
                  <td>{c.name}</td>
                  <td>
                    <Link href={`/connectors/${c.connector}`}>{c.connector}</Link>
                  </td>
                  <td>{c.customerId ? (names.get(c.customerId) ?? c.customerId) : 'Org (test)'}</td>
                  <td>
                    {c.authMethod}
                    {c.credentialFields.length > 0 && (
                      <div class="muted small">stored: {c.credentialFields.join(', ')}</div>
                    )}
                  </td>
                  <td>
                    <Badge value={c.status} />
                    {c.statusReason && <div class="muted small">{c.statusReason}</div>}
                  </td>
                  <td>
                    <Time iso={c.createdAt} />
                  </td>
                  <td class="row">
                    <button type="button" onClick={() => setTesting(c.id)}>
                      Test
                    </button>
                    <button type="button" class="danger" onClick={() => void remove.run(c)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loadable>
      {connecting && customers.data && (
        <Connect
          customers={customers.data.data}
          onClose={() => setConnecting(false)}
          onDone={state.reload}
        />
      )}
      {testing && <TestRow id={testing} onClose={() => setTesting(null)} />}
    </Page>
  );
}
