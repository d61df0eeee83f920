// Integrations → Workflows: the list with a tier filter (All, Instant, Standard, Long; the API
// lists every workflow and the page filters by tier), what each environment runs, and the
// "New workflow" dialog, which saves a draft and opens the editor.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, useApi } from '../api.ts';
import { Link, navigate } from '../router.tsx';
import type { List, Tier, Workflow } from '../types.ts';
import { Badge, Dialog, ErrorBox, Field, Loadable, Page, Tabs, Time, useAction } from '../ui.tsx';

export const STARTER_SOURCE = `// ctx.input: the run's input; ctx.headers: the trigger's headers.
// ctx.actions, ctx.secrets, ctx.state, ctx.step and ctx.log are described in the README.
export default async function (ctx) {
  ctx.log.info('hello', ctx.input);
  return { ok: true, received: ctx.input };
}
`;

function NewWorkflow({ onClose }: { onClose: () => void }): JSX.Element {
  const [name, setName] = useState('');
  const [tier, setTier] = useState<Tier>('instant');
  const [language, setLanguage] = useState('typescript');
  const create = useAction(async () => {
    const created = await api<Workflow>('POST', '/workflows', {
      name: name.trim(),
      tier,
      language,
      source: STARTER_SOURCE,
    });
    navigate(`/workflows/${created.id}`);
  });
  return (
    <Dialog title="New workflow" onClose={onClose}>
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
          label="Tier"
          hint="Instant runs inline and answers with the result; Standard and Long are queued."
        >
          <select value={tier} onChange={(e) => setTier(e.currentTarget.value as Tier)}>
            <option value="instant">Instant (up to 2 min)</option>
            <option value="standard">Standard (up to 15 min)</option>
            <option value="long">Long (up to 6 h)</option>
          </select>
        </Field>
        <Field label="Language">
          <select value={language} onChange={(e) => setLanguage(e.currentTarget.value)}>
            <option value="typescript">TypeScript</option>
            <option value="javascript">JavaScript</option>
          </select>
        </Field>
        {create.error && <ErrorBox error={create.error} title="Could not create the workflow" />}
        <div class="row end">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={create.busy}>
            Create and edit
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function WorkflowsPage(): JSX.Element {
  const state = useApi<List<Workflow>>('/workflows?limit=100');
  const [tier, setTier] = useState<'all' | Tier>('all');
  const [creating, setCreating] = useState(false);
  return (
    <Page
      title="Workflows"
      intro="TypeScript that runs for your customers: draft, publish a version, deploy it."
      actions={
        <button type="button" class="primary" onClick={() => setCreating(true)}>
          New workflow
        </button>
      }
    >
      <Tabs
        label="Tier"
        value={tier}
        onChange={setTier}
        tabs={[
          { key: 'all', label: 'All' },
          { key: 'instant', label: 'Instant' },
          { key: 'standard', label: 'Standard' },
          { key: 'long', label: 'Long' },
        ]}
      />
      <div role="tabpanel" class="tabpanel">
        <Loadable
          state={state}
          isEmpty={(d) => !d.data.some((w) => tier === 'all' || w.tier === tier)}
          empty={tier === 'all' ? 'No workflows yet. Create one.' : `No ${tier} workflows.`}
        >
          {(d) => (
            <table>
              <thead>
                <tr>
                  <th scope="col">Workflow</th>
                  <th scope="col">Tier</th>
                  <th scope="col">Status</th>
                  <th scope="col">Latest version</th>
                  <th scope="col">Deployed</th>
                  <th scope="col">Updated</th>
                </tr>
              </thead>
              <tbody>
                {d.data
                  .filter((w) => tier === 'all' || w.tier === tier)
                  .map((w) => (
                    <tr key={w.id}>
                      <td>
                        <Link href={`/workflows/${w.id}`}>{w.name}</Link>
                        <div class="muted small">
                          <code>{w.slug}</code>
                        </div>
                      </td>
                      <td>{w.tier}</td>
                      <td>
                        <Badge value={w.status} />
                      </td>
                      <td>{w.latestVersion > 0 ? `v${w.latestVersion}` : 'draft only'}</td>
                      <td>
                        {Object.entries(w.deployments)
                          .map(([env, d]) => `${env} v${d.version}`)
                          .join(', ') || '—'}
                      </td>
                      <td>
                        <Time iso={w.updatedAt} />
                      </td>
                    </tr>
                  ))}
              </tbody>
            </table>
          )}
        </Loadable>
      </div>
      {creating && <NewWorkflow onClose={() => setCreating(false)} />}
    </Page>
  );
}
