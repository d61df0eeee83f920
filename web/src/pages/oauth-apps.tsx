// Settings → OAuth Apps: the org's OAuth client per connector that signs in with OAuth 2. Each
// connector with an oauth2 auth method is listed with its client (client id, whether a secret is
// stored, URLs, scopes) or "not set"; Set / Replace opens a form. The client secret is
// write-only: the API never returns it, and the form never shows the stored one.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError, useApi } from '../api.ts';
import { Link } from '../router.tsx';
import type { Connector, List } from '../types.ts';
import { Dialog, ErrorBox, Field, Loadable, Page, Time, useAction } from '../ui.tsx';

interface OAuthApp {
  connectorId: string;
  clientId: string;
  hasClientSecret: boolean;
  authorizeUrl: string | null;
  tokenUrl: string | null;
  scopes: string[];
  updatedAt: string;
}

function OAuthAppRow({
  connector,
  onEdit,
}: {
  connector: Connector;
  onEdit: (c: Connector, app: OAuthApp | null) => void;
}): JSX.Element {
  const state = useApi<OAuthApp>(`/connectors/${encodeURIComponent(connector.slug)}/oauth-app`);
  const unset = state.error instanceof ApiError && state.error.status === 404;
  const app = state.data;
  return (
    <tr>
      <td>
        <Link href={`/connectors/${connector.slug}`}>{connector.name}</Link>
      </td>
      {app ? (
        <>
          <td>
            <code>{app.clientId}</code>
          </td>
          <td>{app.hasClientSecret ? 'stored' : 'none'}</td>
          <td>{app.scopes.length > 0 ? app.scopes.join(' ') : '—'}</td>
          <td>
            <Time iso={app.updatedAt} />
          </td>
        </>
      ) : (
        <td colSpan={4} class="muted">
          {unset
            ? 'Not set: customers cannot connect with OAuth yet.'
            : state.error
              ? state.error.message
              : 'Loading…'}
        </td>
      )}
      <td>
        <button
          type="button"
          aria-label={`${app ? 'Replace' : 'Set'} the OAuth app of ${connector.name}`}
          onClick={() => onEdit(connector, app ?? null)}
        >
          {app ? 'Replace' : 'Set'}
        </button>
      </td>
    </tr>
  );
}

function OAuthAppDialog({
  connector,
  app,
  onClose,
  onSaved,
}: {
  connector: Connector;
  app: OAuthApp | null;
  onClose: () => void;
  onSaved: () => void;
}): JSX.Element {
  const [f, setF] = useState({
    clientId: app?.clientId ?? '',
    clientSecret: '',
    authorizeUrl: app?.authorizeUrl ?? '',
    tokenUrl: app?.tokenUrl ?? '',
    scopes: app?.scopes.join(' ') ?? '',
  });
  const set = (k: keyof typeof f) => (e: { currentTarget: { value: string } }) =>
    setF((p) => ({ ...p, [k]: e.currentTarget.value }));
  const save = useAction(async () => {
    await api('PUT', `/connectors/${encodeURIComponent(connector.slug)}/oauth-app`, {
      clientId: f.clientId.trim(),
      ...(f.clientSecret && { clientSecret: f.clientSecret }),
      ...(f.authorizeUrl.trim() && { authorizeUrl: f.authorizeUrl.trim() }),
      ...(f.tokenUrl.trim() && { tokenUrl: f.tokenUrl.trim() }),
      scopes: f.scopes.split(/[\s,]+/).filter(Boolean),
    });
    onSaved();
    onClose();
  });
  return (
    <Dialog title={`OAuth app for ${connector.name}`} onClose={onClose}>
      <form
        class="form"
        autoComplete="off"
        onSubmit={(e) => {
          e.preventDefault();
          void save.run();
        }}
      >
        <Field label="Client id">
          <input required value={f.clientId} onInput={set('clientId')} />
        </Field>
        <Field
          label="Client secret"
          hint={
            app?.hasClientSecret
              ? 'A secret is stored; leave empty to keep it. It cannot be read back.'
              : 'Stored encrypted; it cannot be read back.'
          }
        >
          <input
            type="password"
            autoComplete="new-password"
            value={f.clientSecret}
            onInput={set('clientSecret')}
          />
        </Field>
        <Field label="Authorize URL (optional)" hint="Defaults to the connector's.">
          <input type="url" value={f.authorizeUrl} onInput={set('authorizeUrl')} />
        </Field>
        <Field label="Token URL (optional)" hint="Defaults to the connector's.">
          <input type="url" value={f.tokenUrl} onInput={set('tokenUrl')} />
        </Field>
        <Field label="Scopes" hint="Separated by spaces.">
          <input value={f.scopes} onInput={set('scopes')} />
        </Field>
        {save.error && <ErrorBox error={save.error} title="Could not save" />}
        <button type="submit" class="primary" disabled={save.busy}>
          Save OAuth app
        </button>
      </form>
    </Dialog>
  );
}

export function OAuthAppsPage(): JSX.Element {
  const state = useApi<List<Connector>>('/connectors');
  const [editing, setEditing] = useState<{ connector: Connector; app: OAuthApp | null } | null>(
    null,
  );
  const [tick, setTick] = useState(0);
  return (
    <Page
      title="OAuth apps"
      intro="Your OAuth client at each provider whose connector signs in with OAuth 2: customers connecting their account see your app's consent screen."
    >
      <Loadable
        state={state}
        isEmpty={(d) => !d.data.some((c) => c.authMethods.some((a) => a.type === 'oauth2'))}
        empty={
          <>
            No connector signs in with OAuth 2. Import one whose spec declares it under{' '}
            <Link href="/connectors">Integrations → Connectors</Link>.
          </>
        }
      >
        {(d) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Connector</th>
                <th scope="col">Client id</th>
                <th scope="col">Secret</th>
                <th scope="col">Scopes</th>
                <th scope="col">Updated</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {d.data
                .filter((c) => c.authMethods.some((a) => a.type === 'oauth2'))
                .map((c) => (
                  <OAuthAppRow
                    // A saved app remounts the rows, which load it again.
                    key={`${c.id}-${tick}`}
                    connector={c}
                    onEdit={(connector, app) => setEditing({ connector, app })}
                  />
                ))}
            </tbody>
          </table>
        )}
      </Loadable>
      {editing && (
        <OAuthAppDialog
          connector={editing.connector}
          app={editing.app}
          onClose={() => setEditing(null)}
          onSaved={() => setTick((n) => n + 1)}
        />
      )}
    </Page>
  );
}
