// Settings → Environments: where workflows are deployed and run. Every org has development,
// staging and production; an org may add its own (qa, eu-production, …) and delete those, which
// undeploys what was deployed there. How many workflows are deployed to each is shown. A server
// without the environments API shows the three built-in ones and says that is all it has.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, ApiError, keyMode, useApi } from '../api.ts';
import type { List } from '../types.ts';
import { Badge, Dialog, ErrorBox, Field, Loadable, Notice, Page, Time, useAction } from '../ui.tsx';

interface Environment {
  name: string;
  description: string;
  builtIn: boolean;
  deployments: number;
  createdAt: string | null;
}

const BUILT_IN: Environment[] = [
  {
    name: 'development',
    description: 'Where drafts are tried',
    builtIn: true,
    deployments: 0,
    createdAt: null,
  },
  {
    name: 'staging',
    description: 'Before production',
    builtIn: true,
    deployments: 0,
    createdAt: null,
  },
  {
    name: 'production',
    description: 'Live traffic; test keys never reach it',
    builtIn: true,
    deployments: 0,
    createdAt: null,
  },
];

/**
 * The environments this key may deploy to and run in: the built-in ones and the org's own, without
 * production for a test key (the API refuses it with 403).
 */
export function useEnvironments(): string[] {
  const state = useApi<List<Environment>>('/environments');
  const all = (state.data?.data ?? BUILT_IN).map((e) => e.name);
  return keyMode() === 'live' ? all : all.filter((e) => e !== 'production');
}

export function EnvironmentsPage(): JSX.Element {
  const state = useApi<List<Environment>>('/environments');
  const missing = state.error instanceof ApiError && state.error.status === 404;
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [removed, setRemoved] = useState<string | null>(null);
  const create = useAction(async () => {
    await api('POST', '/environments', {
      name: name.trim(),
      ...(description.trim() && { description: description.trim() }),
    });
    setName('');
    setDescription('');
    setCreating(false);
    state.reload();
  });
  const remove = useAction(async (env: Environment) => {
    if (!confirm(`Delete ${env.name}? Workflows deployed there are undeployed.`)) return;
    const out = await api<{ undeployedWorkflows: string[]; triggerRoutes: number }>(
      'DELETE',
      `/environments/${encodeURIComponent(env.name)}`,
    );
    setRemoved(
      `Deleted ${env.name}` +
        (out.undeployedWorkflows.length > 0
          ? `; undeployed ${out.undeployedWorkflows.length} workflow(s)`
          : '') +
        (out.triggerRoutes > 0 ? `; ${out.triggerRoutes} trigger route(s) still name it` : '') +
        '.',
    );
    state.reload();
  });
  const shown = missing ? { ...state, data: { data: BUILT_IN }, error: undefined } : state;
  return (
    <Page
      title="Environments"
      intro="Where workflow versions are deployed and run. Test keys reach every environment but production."
      actions={
        !missing && (
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            New environment
          </button>
        )
      }
    >
      {missing && (
        <Notice tone="info">
          This server has the three built-in environments only (it does not offer{' '}
          <code>/api/v1/environments</code>).
        </Notice>
      )}
      {removed && <Notice tone="success">{removed}</Notice>}
      {remove.error && <ErrorBox error={remove.error} title="Could not delete" />}
      <Loadable state={shown} isEmpty={(d) => d.data.length === 0}>
        {(d) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Description</th>
                <th scope="col">Deployed workflows</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {d.data.map((env) => (
                <tr key={env.name}>
                  <td>
                    <code>{env.name}</code> {env.builtIn && <Badge value="built-in" tone="muted" />}
                  </td>
                  <td>{env.description || '—'}</td>
                  <td>{missing ? '—' : env.deployments}</td>
                  <td>{env.createdAt ? <Time iso={env.createdAt} /> : '—'}</td>
                  <td>
                    {!env.builtIn && (
                      <button
                        type="button"
                        class="danger"
                        aria-label={`Delete ${env.name}`}
                        onClick={() => void remove.run(env)}
                      >
                        Delete
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
        <Dialog title="New environment" onClose={() => setCreating(false)}>
          <form
            class="form"
            onSubmit={(e) => {
              e.preventDefault();
              void create.run();
            }}
          >
            <Field label="Name" hint="Lowercase letters, digits and -, e.g. qa or eu-production.">
              <input
                required
                pattern="[a-z][a-z0-9\-]{0,39}"
                value={name}
                onInput={(e) => setName(e.currentTarget.value)}
              />
            </Field>
            <Field label="Description (optional)">
              <input value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
            </Field>
            {create.error && <ErrorBox error={create.error} title="Could not create" />}
            <button type="submit" class="primary" disabled={create.busy}>
              Create environment
            </button>
          </form>
        </Dialog>
      )}
    </Page>
  );
}
