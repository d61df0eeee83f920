// Settings → Roles: the permission matrix of the six system roles and the org's custom roles
// (one column per role, one row per permission). A system role is duplicated as a custom role,
// whose permissions are then ticked on and off here; a custom role nobody holds can be deleted.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, useApi } from '../api.ts';
import { Dialog, ErrorBox, Field, Loadable, Page, useAction } from '../ui.tsx';

interface Role {
  slug: string;
  name: string;
  description: string;
  system: boolean;
  permissions: string[];
  people: number;
}

export function RolesPage(): JSX.Element {
  const roles = useApi<{ data: Role[] }>('/roles');
  const [copying, setCopying] = useState<Role | null>(null);
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const duplicate = useAction(async () => {
    if (!copying) return;
    await api('POST', `/roles/${copying.slug}/duplicate`, { slug, name });
    setCopying(null);
    setSlug('');
    setName('');
    roles.reload();
  });
  // A ticked box shows its new state at once, while the change is saved and the roles reload.
  const [ticked, setTicked] = useState<Record<string, boolean>>({});
  useEffect(() => setTicked({}), [roles.data]);
  const toggle = useAction(async (role: Role, permission: string, on: boolean) => {
    const key = `${role.slug} ${permission}`;
    setTicked((t) => ({ ...t, [key]: on }));
    const permissions = on
      ? [...role.permissions, permission]
      : role.permissions.filter((p) => p !== permission);
    try {
      await api('PATCH', `/roles/${role.slug}`, { permissions });
    } catch (error) {
      setTicked((t) => Object.fromEntries(Object.entries(t).filter(([k]) => k !== key)));
      throw error;
    }
    roles.reload();
  });
  const remove = useAction(async (role: Role) => {
    if (!confirm(`Delete the role ${role.name}?`)) return;
    await api('DELETE', `/roles/${role.slug}`);
    roles.reload();
  });
  const error = toggle.error ?? remove.error;
  return (
    <Page
      title="Roles"
      intro="What each role may do. System roles are fixed; duplicate one as a custom role to change it."
    >
      {error && <ErrorBox error={error} />}
      <Loadable state={roles}>
        {(d) => {
          // The permission catalog in the order the owner's (complete) list gives it.
          const all = d.data.find((r) => r.slug === 'owner')?.permissions ?? [];
          return (
            <div class="table-scroll">
              <table class="matrix">
                <thead>
                  <tr>
                    <th scope="col">Permission</th>
                    {d.data.map((r) => (
                      <th scope="col" key={r.slug}>
                        <span title={r.description}>{r.name}</span>
                        <br />
                        <small class="muted">
                          {r.permissions.length} · {r.people} {r.people === 1 ? 'person' : 'people'}
                        </small>
                        <br />
                        <button
                          type="button"
                          class="link"
                          aria-label={`Duplicate ${r.name} as custom`}
                          onClick={() => {
                            setCopying(r);
                            setName(`${r.name} (custom)`);
                            setSlug(`${r.slug.replace(/_/g, '')}_custom`);
                          }}
                        >
                          Duplicate
                        </button>
                        {!r.system && (
                          <button
                            type="button"
                            class="link danger"
                            aria-label={`Delete ${r.name}`}
                            onClick={() => void remove.run(r)}
                          >
                            Delete
                          </button>
                        )}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {all.map((p) => (
                    <tr key={p}>
                      <th scope="row">
                        <code>{p}</code>
                      </th>
                      {d.data.map((r) => {
                        const held = r.permissions.includes(p);
                        return (
                          <td key={r.slug}>
                            {r.system ? (
                              <span aria-label={held ? 'allowed' : 'denied'}>
                                {held ? '✓' : '—'}
                              </span>
                            ) : (
                              <input
                                type="checkbox"
                                aria-label={`${r.name}: ${p}`}
                                checked={ticked[`${r.slug} ${p}`] ?? held}
                                disabled={toggle.busy}
                                onChange={(e) => void toggle.run(r, p, e.currentTarget.checked)}
                              />
                            )}
                          </td>
                        );
                      })}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          );
        }}
      </Loadable>
      {copying && (
        <Dialog
          title={`Duplicate ${copying.name} as a custom role`}
          onClose={() => setCopying(null)}
        >
          <form
            class="form"
            onSubmit={(e) => {
              e.preventDefault();
              void duplicate.run();
            }}
          >
            <Field label="Name">
              <input required value={name} onInput={(e) => setName(e.currentTarget.value)} />
            </Field>
            <Field label="Slug" hint="Lowercase letters, digits and _; how the API names it.">
              <input
                required
                pattern="[a-z][a-z0-9_]{1,39}"
                value={slug}
                onInput={(e) => setSlug(e.currentTarget.value)}
              />
            </Field>
            {duplicate.error && <ErrorBox error={duplicate.error} title="Could not duplicate" />}
            <button type="submit" class="primary" disabled={duplicate.busy}>
              Create custom role
            </button>
          </form>
        </Dialog>
      )}
    </Page>
  );
}
