// Settings: API keys (a new key's secret shown once, revoke), Secrets (names and times only;
// values are write-only), Customers (the tenants of your product) and the Audit log.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, keyMode, query, useApi } from '../api.ts';
import type { Customer, List } from '../types.ts';
import {
  Badge,
  Dialog,
  ErrorBox,
  Field,
  Loadable,
  OneTimeSecret,
  Page,
  Time,
  useAction,
} from '../ui.tsx';

interface ApiKey {
  id: string;
  name: string;
  kind: 'test' | 'live';
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export function ApiKeysPage(): JSX.Element {
  const [showRevoked, setShowRevoked] = useState(false);
  const state = useApi<List<ApiKey>>(
    `/api-keys${query({ includeRevoked: showRevoked || undefined })}`,
  );
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'test' | 'live'>('test');
  const [secret, setSecret] = useState<string | null>(null);
  const create = useAction(async () => {
    const created = await api<ApiKey & { key: string }>('POST', '/api-keys', { name, kind });
    setSecret(created.key);
    setName('');
    state.reload();
  });
  const revoke = useAction(async (k: ApiKey) => {
    if (!confirm(`Revoke ${k.name}? It stops working at once.`)) return;
    await api('POST', `/api-keys/${k.id}/revoke`);
    state.reload();
  });
  return (
    <Page
      title="API keys"
      intro="Keys for the API and MCP. Test keys work on development and staging; live keys everywhere."
      actions={
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          New API key
        </button>
      }
    >
      <label class="check-label">
        <input
          type="checkbox"
          checked={showRevoked}
          onChange={(e) => setShowRevoked(e.currentTarget.checked)}
        />{' '}
        Show revoked keys
      </label>
      {revoke.error && <ErrorBox error={revoke.error} />}
      <Loadable state={state} isEmpty={(d) => d.data.length === 0}>
        {(d) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">Key</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {d.data.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td>
                    <Badge value={k.kind} tone={k.kind === 'live' ? 'warn' : 'run'} />
                  </td>
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>
                    <Time iso={k.createdAt} />
                  </td>
                  <td>
                    <Time iso={k.lastUsedAt} />
                  </td>
                  <td>
                    {k.revokedAt ? (
                      <Badge value="revoked" />
                    ) : (
                      <button type="button" class="danger" onClick={() => void revoke.run(k)}>
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loadable>
      {creating && (
        <Dialog
          title="New API key"
          onClose={() => {
            setCreating(false);
            setSecret(null);
          }}
        >
          {secret ? (
            <OneTimeSecret label="Your new API key" value={secret} />
          ) : (
            <form
              class="form"
              onSubmit={(e) => {
                e.preventDefault();
                void create.run();
              }}
            >
              <Field label="Name">
                <input required value={name} onInput={(e) => setName(e.currentTarget.value)} />
              </Field>
              <Field
                label="Kind"
                hint={keyMode() === 'test' ? 'A test key cannot create live keys.' : undefined}
              >
                <select
                  value={kind}
                  onChange={(e) => setKind(e.currentTarget.value as 'test' | 'live')}
                >
                  <option value="test">Test</option>
                  <option value="live">Live</option>
                </select>
              </Field>
              {create.error && <ErrorBox error={create.error} title="Could not create the key" />}
              <button type="submit" class="primary" disabled={create.busy}>
                Create key
              </button>
            </form>
          )}
        </Dialog>
      )}
    </Page>
  );
}

interface Secret {
  name: string;
  createdAt: string;
  updatedAt: string;
  updatedBy: { type: string; id: string | null };
}

export function SecretsPage(): JSX.Element {
  const state = useApi<List<Secret>>('/secrets');
  const [editing, setEditing] = useState<string | null>(null);
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const save = useAction(async () => {
    await api('PUT', `/secrets/${encodeURIComponent(editing || name)}`, { value });
    setValue('');
    setName('');
    setEditing(null);
    state.reload();
  });
  const remove = useAction(async (s: Secret) => {
    if (!confirm(`Delete the secret ${s.name}? Workflows reading it will fail.`)) return;
    await api('DELETE', `/secrets/${encodeURIComponent(s.name)}`);
    state.reload();
  });
  const open = editing !== null;
  return (
    <Page
      title="Secrets"
      intro="Values your workflows read with ctx.secrets.get(name). Values are write-only: only names are shown."
      actions={
        <button type="button" class="primary" onClick={() => setEditing('')}>
          New secret
        </button>
      }
    >
      {remove.error && <ErrorBox error={remove.error} />}
      <Loadable state={state} isEmpty={(d) => d.data.length === 0} empty="No secrets yet.">
        {(d) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Created</th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {d.data.map((s) => (
                <tr key={s.name}>
                  <td>
                    <code>{s.name}</code>
                  </td>
                  <td>
                    <Time iso={s.createdAt} />
                  </td>
                  <td>
                    <Time iso={s.updatedAt} />{' '}
                    <span class="muted small">by {s.updatedBy.type}</span>
                  </td>
                  <td class="row">
                    <button type="button" onClick={() => setEditing(s.name)}>
                      Replace value
                    </button>
                    <button type="button" class="danger" onClick={() => void remove.run(s)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loadable>
      {open && (
        <Dialog
          title={editing ? `Replace ${editing}` : 'New secret'}
          onClose={() => setEditing(null)}
        >
          <form
            class="form"
            autoComplete="off"
            onSubmit={(e) => {
              e.preventDefault();
              void save.run();
            }}
          >
            {!editing && (
              <Field label="Name" hint="Letters, digits and _; starts with a letter or _.">
                <input
                  required
                  pattern="[A-Za-z_][A-Za-z0-9_]{0,127}"
                  value={name}
                  onInput={(e) => setName(e.currentTarget.value)}
                />
              </Field>
            )}
            <Field label="Value" hint="Stored encrypted; it cannot be read back.">
              <input
                type="password"
                required
                autoComplete="new-password"
                value={value}
                onInput={(e) => setValue(e.currentTarget.value)}
              />
            </Field>
            {save.error && <ErrorBox error={save.error} title="Could not save" />}
            <button type="submit" class="primary" disabled={save.busy}>
              Save secret
            </button>
          </form>
        </Dialog>
      )}
    </Page>
  );
}

export function CustomersPage(): JSX.Element {
  const state = useApi<List<Customer>>('/customers?limit=50');
  const [extra, setExtra] = useState<Customer[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState('');
  const [externalId, setExternalId] = useState('');
  const create = useAction(async () => {
    await api('POST', '/customers', {
      name: name.trim(),
      ...(externalId.trim() && { externalId: externalId.trim() }),
    });
    setName('');
    setExternalId('');
    setCreating(false);
    setExtra([]);
    setCursor(null);
    state.reload();
  });
  const more = useAction(async () => {
    const next = await api<List<Customer>>(
      'GET',
      `/customers${query({ limit: 50, cursor: cursor ?? state.data?.nextCursor })}`,
    );
    setExtra((p) => [...p, ...next.data]);
    setCursor(next.nextCursor ?? null);
  });
  const remove = useAction(async (c: Customer) => {
    if (!confirm(`Delete ${c.name} and everything that belongs to them, connections included?`))
      return;
    await api('DELETE', `/customers/${c.id}`);
    setExtra((p) => p.filter((x) => x.id !== c.id));
    state.reload();
  });
  return (
    <Page
      title="Customers"
      intro="The tenants of your product; each has its own connections and runs."
      actions={
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          New customer
        </button>
      }
    >
      {remove.error && <ErrorBox error={remove.error} />}
      <Loadable state={state} isEmpty={(d) => d.data.length === 0} empty="No customers yet.">
        {(d) => (
          <>
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">External id</th>
                  <th scope="col">Id</th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {[...d.data, ...extra].map((c) => (
                  <tr key={c.id}>
                    <td>{c.name}</td>
                    <td>{c.externalId ?? '—'}</td>
                    <td>
                      <code class="small">{c.id}</code>
                    </td>
                    <td>
                      <Time iso={c.createdAt} />
                    </td>
                    <td>
                      <button type="button" class="danger" onClick={() => void remove.run(c)}>
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {(cursor ?? (extra.length === 0 ? d.nextCursor : null)) && (
              <button type="button" disabled={more.busy} onClick={() => void more.run()}>
                Load more
              </button>
            )}
          </>
        )}
      </Loadable>
      {creating && (
        <Dialog title="New customer" onClose={() => setCreating(false)}>
          <form
            class="form"
            onSubmit={(e) => {
              e.preventDefault();
              void create.run();
            }}
          >
            <Field label="Name">
              <input required value={name} onInput={(e) => setName(e.currentTarget.value)} />
            </Field>
            <Field label="External id (optional)" hint="Your own id for this customer">
              <input value={externalId} onInput={(e) => setExternalId(e.currentTarget.value)} />
            </Field>
            {create.error && (
              <ErrorBox error={create.error} title="Could not create the customer" />
            )}
            <button type="submit" class="primary" disabled={create.busy}>
              Create customer
            </button>
          </form>
        </Dialog>
      )}
    </Page>
  );
}

interface AuditEntry {
  id: string;
  actorType: string;
  actorLabel: string | null;
  action: string;
  resourceType: string;
  resourceId: string | null;
  mode: string | null;
  createdAt: string;
}

export function AuditLogPage(): JSX.Element {
  const state = useApi<List<AuditEntry>>('/audit-log?limit=100');
  return (
    <Page title="Audit log" intro="Every write: who, what, when (the latest 100).">
      <Loadable state={state} isEmpty={(d) => d.data.length === 0}>
        {(d) => (
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Resource</th>
                <th scope="col">Mode</th>
              </tr>
            </thead>
            <tbody>
              {d.data.map((a) => (
                <tr key={a.id}>
                  <td>
                    <Time iso={a.createdAt} />
                  </td>
                  <td>{a.actorLabel ?? a.actorType}</td>
                  <td>
                    <code>{a.action}</code>
                  </td>
                  <td class="break">
                    {a.resourceType}
                    {a.resourceId && <span class="muted small"> {a.resourceId}</span>}
                  </td>
                  <td>{a.mode ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loadable>
    </Page>
  );
}
