// Settings → People: who is in the organization and with which role; invite someone (the
// one-time link is shown to copy, since no mail is sent), change a role, remove a person, and
// for the owner, hand ownership to someone else.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, useApi } from '../api.ts';
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

interface Person {
  id: string;
  email: string;
  name: string | null;
  role: string;
  owner: boolean;
  canSignIn: boolean;
  joinedAt: string;
}

interface Invitation {
  id: string;
  email: string;
  role: string;
  expiresAt: string;
}

interface Role {
  slug: string;
  name: string;
}

interface Me {
  user: { id: string };
}

export function PeoplePage(): JSX.Element {
  const people = useApi<{ data: Person[] }>('/people');
  const invitations = useApi<{ data: Invitation[] }>('/people/invitations');
  const roles = useApi<{ data: Role[] }>('/roles');
  const me = useApi<Me>('/auth/session');
  const [inviting, setInviting] = useState(false);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState('developer');
  const [link, setLink] = useState<string | null>(null);
  const reload = () => {
    people.reload();
    invitations.reload();
  };
  const invite = useAction(async () => {
    const created = await api<{ link: string }>('POST', '/people/invitations', { email, role });
    setLink(created.link);
    setEmail('');
    reload();
  });
  const change = useAction(async (p: Person, to: string) => {
    await api('PATCH', `/people/${p.id}`, { role: to });
    reload();
  });
  const remove = useAction(async (p: Person) => {
    if (!confirm(`Remove ${p.email}? Their API keys and sessions stop working at once.`)) return;
    await api('DELETE', `/people/${p.id}`);
    reload();
  });
  const transfer = useAction(async (p: Person) => {
    if (!confirm(`Make ${p.email} the owner? You become an admin.`)) return;
    await api('POST', '/people/transfer-ownership', { userId: p.id });
    reload();
  });
  const withdraw = useAction(async (i: Invitation) => {
    await api('DELETE', `/people/invitations/${i.id}`);
    reload();
  });
  const roleOptions = (roles.data?.data ?? []).filter((r) => r.slug !== 'owner');
  const iAmOwner = (people.data?.data ?? []).some((p) => p.owner && p.id === me.data?.user.id);
  const error = change.error ?? remove.error ?? transfer.error ?? withdraw.error;
  return (
    <Page
      title="People"
      intro="Everyone who can sign in to this organization, with their role. There is one owner."
      actions={
        <button type="button" class="primary" onClick={() => setInviting(true)}>
          Invite
        </button>
      }
    >
      {error && <ErrorBox error={error} />}
      <Loadable state={people} isEmpty={(d) => d.data.length === 0}>
        {(d) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">Role</th>
                <th scope="col">Joined</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {d.data.map((p) => (
                <tr key={p.id}>
                  <td>
                    {p.name ? `${p.name} · ` : ''}
                    {p.email}
                    {!p.canSignIn && <Badge value="no password yet" />}
                  </td>
                  <td>
                    {p.owner ? (
                      <Badge value="owner" tone="warn" />
                    ) : (
                      <select
                        aria-label={`Role of ${p.email}`}
                        value={p.role}
                        onChange={(e) => void change.run(p, e.currentTarget.value)}
                      >
                        {roleOptions.map((r) => (
                          <option key={r.slug} value={r.slug}>
                            {r.name}
                          </option>
                        ))}
                      </select>
                    )}
                  </td>
                  <td>
                    <Time iso={p.joinedAt} />
                  </td>
                  <td>
                    {!p.owner && iAmOwner && (
                      <button type="button" onClick={() => void transfer.run(p)}>
                        Make owner
                      </button>
                    )}{' '}
                    {!p.owner && (
                      <button type="button" class="danger" onClick={() => void remove.run(p)}>
                        Remove
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loadable>
      <h2>Open invitations</h2>
      <Loadable
        state={invitations}
        isEmpty={(d) => d.data.length === 0}
        empty="No open invitations."
      >
        {(d) => (
          <ul class="plain">
            {d.data.map((i) => (
              <li key={i.id}>
                {i.email} as {i.role}, until <Time iso={i.expiresAt} />{' '}
                <button type="button" class="link" onClick={() => void withdraw.run(i)}>
                  Withdraw
                </button>
              </li>
            ))}
          </ul>
        )}
      </Loadable>
      {inviting && (
        <Dialog
          title="Invite a person"
          onClose={() => {
            setInviting(false);
            setLink(null);
          }}
        >
          {link ? (
            <OneTimeSecret label="Their one-time invitation link (no mail is sent)" value={link} />
          ) : (
            <form
              class="form"
              onSubmit={(e) => {
                e.preventDefault();
                void invite.run();
              }}
            >
              <Field label="Email">
                <input
                  type="email"
                  required
                  value={email}
                  onInput={(e) => setEmail(e.currentTarget.value)}
                />
              </Field>
              <Field label="Role">
                <select value={role} onChange={(e) => setRole(e.currentTarget.value)}>
                  {roleOptions.map((r) => (
                    <option key={r.slug} value={r.slug}>
                      {r.name}
                    </option>
                  ))}
                </select>
              </Field>
              {invite.error && <ErrorBox error={invite.error} title="Could not invite" />}
              <button type="submit" class="primary" disabled={invite.busy}>
                Create invitation link
              </button>
            </form>
          )}
        </Dialog>
      )}
    </Page>
  );
}
