// Settings → Your account: change your password (your other sessions end), see where you are
// signed in and sign out one session or all others, and revoke MCP clients you authorized. The
// owner also finds here the one way to delete the organization, by typing its name.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, signOut, useApi } from '../api.ts';
import { Badge, ErrorBox, Field, Loadable, Notice, Page, Time, useAction } from '../ui.tsx';

interface Session {
  id: string;
  createdAt: string;
  expiresAt: string;
  current: boolean;
  userAgent: string | null;
  ip: string | null;
}

const BROWSERS: [RegExp, string][] = [
  [/Edg\//, 'Edge'],
  [/OPR\//, 'Opera'],
  [/Firefox\//, 'Firefox'],
  [/Chrom(e|ium)\//, 'Chrome'],
  [/Safari\//, 'Safari'],
];
const SYSTEMS: [RegExp, string][] = [
  [/Android/, 'Android'],
  [/iPhone|iPad/, 'iOS'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
];

/** "Chrome on Linux" from a User-Agent, or the start of it when it names neither. */
function browserOf(agent: string | null): string {
  if (agent === null) return 'Unknown browser';
  const browser = BROWSERS.find(([pattern]) => pattern.test(agent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(agent))?.[1];
  if (browser === undefined && system === undefined) return agent.slice(0, 40);
  return [browser ?? 'A browser', system].filter((part) => part !== undefined).join(' on ');
}

interface McpClient {
  id: string;
  clientId: string;
  clientName: string | null;
  resource: string;
  createdAt: string;
  lastRefreshedAt: string;
}

interface Me {
  org: { name: string };
  role: string;
}

export function AccountPage(): JSX.Element {
  const me = useApi<Me>('/auth/session');
  const sessions = useApi<{ data: Session[] }>('/auth/sessions');
  const clients = useApi<{ data: McpClient[] }>('/auth/mcp-clients');
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const [changed, setChanged] = useState<string | null>(null);
  const change = useAction(async () => {
    setChanged(null);
    const { endedSessions } = await api<{ endedSessions: number }>('POST', '/auth/password', {
      currentPassword,
      newPassword,
    });
    setCurrent('');
    setNew('');
    setChanged(
      `Password changed. ${endedSessions} other session${endedSessions === 1 ? '' : 's'} ended.`,
    );
    sessions.reload();
  });
  const endOne = useAction(async (s: Session) => {
    await api('DELETE', `/auth/sessions/${s.id}`);
    sessions.reload();
  });
  const endOthers = useAction(async () => {
    await api('DELETE', '/auth/sessions');
    sessions.reload();
  });
  const revoke = useAction(async (c: McpClient) => {
    const name = c.clientName ?? c.clientId;
    if (!confirm(`Revoke ${name}? Its tokens stop working at once.`)) return;
    await api('DELETE', `/auth/mcp-clients/${c.id}`);
    clients.reload();
  });
  const [confirmName, setConfirmName] = useState('');
  const deleteOrg = useAction(async () => {
    await api('DELETE', '/organization', { name: confirmName });
    signOut('The organization was deleted.');
  });
  const error = endOne.error ?? endOthers.error ?? revoke.error;
  return (
    <Page
      title="Your account"
      intro="Your password, where you are signed in, and the MCP clients you allowed."
    >
      {error && <ErrorBox error={error} />}
      <h2>Password</h2>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void change.run();
        }}
      >
        <Field label="Current password">
          <input
            type="password"
            autocomplete="current-password"
            required
            value={currentPassword}
            onInput={(e) => setCurrent(e.currentTarget.value)}
          />
        </Field>
        <Field label="New password" hint="At least 10 characters. Your other sessions end.">
          <input
            type="password"
            autocomplete="new-password"
            required
            minLength={10}
            value={newPassword}
            onInput={(e) => setNew(e.currentTarget.value)}
          />
        </Field>
        {change.error && <ErrorBox error={change.error} title="Could not change the password" />}
        {changed && <Notice tone="success">{changed}</Notice>}
        <button type="submit" class="primary" disabled={change.busy}>
          Change password
        </button>
      </form>

      <h2>Sessions</h2>
      <Loadable state={sessions} isEmpty={(d) => d.data.length === 0} empty="No sessions.">
        {(d) => (
          <>
            <table>
              <thead>
                <tr>
                  <th scope="col">Signed in</th>
                  <th scope="col">Browser</th>
                  <th scope="col">From</th>
                  <th scope="col">Expires</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {d.data.map((s) => (
                  <tr key={s.id}>
                    <td>
                      <Time iso={s.createdAt} /> {s.current && <Badge value="this session" />}
                    </td>
                    <td title={s.userAgent ?? undefined}>{browserOf(s.userAgent)}</td>
                    <td>{s.ip ?? '—'}</td>
                    <td>
                      <Time iso={s.expiresAt} />
                    </td>
                    <td>
                      {!s.current && (
                        <button type="button" onClick={() => void endOne.run(s)}>
                          Sign out
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {d.data.some((s) => !s.current) && (
              <button type="button" class="danger" onClick={() => void endOthers.run()}>
                Sign out everywhere else
              </button>
            )}
          </>
        )}
      </Loadable>

      <h2>MCP clients</h2>
      <Loadable
        state={clients}
        isEmpty={(d) => d.data.length === 0}
        empty="No MCP client holds a grant from you."
      >
        {(d) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Client</th>
                <th scope="col">Endpoint</th>
                <th scope="col">Allowed</th>
                <th scope="col">Last token</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {d.data.map((c) => (
                <tr key={c.id}>
                  <td>{c.clientName ?? c.clientId}</td>
                  <td>
                    <code>{c.resource}</code>
                  </td>
                  <td>
                    <Time iso={c.createdAt} />
                  </td>
                  <td>
                    <Time iso={c.lastRefreshedAt} />
                  </td>
                  <td>
                    <button
                      type="button"
                      class="danger"
                      aria-label={`Revoke ${c.clientName ?? c.clientId}`}
                      onClick={() => void revoke.run(c)}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loadable>

      {me.data?.role === 'owner' && (
        <>
          <h2>Delete the organization</h2>
          <p>
            Deletes {me.data.org.name} and everything in it (connectors, connections, workflows,
            runs, people, keys and the audit log) at once, for everyone. It cannot be undone.
          </p>
          <form
            class="form"
            onSubmit={(e) => {
              e.preventDefault();
              void deleteOrg.run();
            }}
          >
            <Field label="Type the organization's name to confirm">
              <input
                required
                autocomplete="off"
                value={confirmName}
                onInput={(e) => setConfirmName(e.currentTarget.value)}
              />
            </Field>
            {deleteOrg.error && (
              <ErrorBox error={deleteOrg.error} title="Could not delete the organization" />
            )}
            <button
              type="submit"
              class="danger"
              disabled={deleteOrg.busy || confirmName !== me.data.org.name}
            >
              Delete organization
            </button>
          </form>
        </>
      )}
    </Page>
  );
}
