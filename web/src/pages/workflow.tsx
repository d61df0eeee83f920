// The workflow editor: configuration (name, description, tier, timeout, retries, status), the
// draft code (CodeMirror with TypeScript highlighting, web/src/code-editor.tsx), publishing the draft as the next version
// (optionally deployed at once), the versions with a deploy per environment, and a test panel
// that runs a version with an input and shows the outcome and its execution. The run API runs
// published versions only and takes no headers: ctx.headers comes from triggers (said in the UI).
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, useApi } from '../api.ts';
import { CodeEditor } from '../code-editor.tsx';
import { useEnvironments } from './environments.tsx';
import { Link, navigate } from '../router.tsx';
import type { Environment, List, RunResult, Tier, Workflow, WorkflowVersion } from '../types.ts';
import {
  Badge,
  duration,
  ErrorBox,
  Field,
  Json,
  Loadable,
  Notice,
  Page,
  parseJson,
  Time,
  useAction,
} from '../ui.tsx';

function Settings({ wf, onSaved }: { wf: Workflow; onSaved: (w: Workflow) => void }) {
  const [f, setF] = useState({
    name: wf.name,
    description: wf.description,
    tier: wf.tier,
    timeoutMs: String(wf.timeoutMs),
    maxAttempts: String(wf.retry.maxAttempts),
    status: wf.status,
  });
  const save = useAction(async () => {
    onSaved(
      await api<Workflow>('PATCH', `/workflows/${wf.id}`, {
        name: f.name,
        description: f.description,
        tier: f.tier,
        timeoutMs: Number(f.timeoutMs),
        status: f.status,
        retry: { maxAttempts: Number(f.maxAttempts) },
      }),
    );
  });
  const set = (k: keyof typeof f) => (e: { currentTarget: { value: string } }) =>
    setF((p) => ({ ...p, [k]: e.currentTarget.value }));
  return (
    <form
      class="card form"
      aria-labelledby="config-title"
      onSubmit={(e) => {
        e.preventDefault();
        void save.run();
      }}
    >
      <h2 id="config-title">Configuration</h2>
      <Field label="Name">
        <input required value={f.name} onInput={set('name')} />
      </Field>
      <Field label="Description">
        <input value={f.description} onInput={set('description')} />
      </Field>
      <div class="grid2">
        <Field label="Tier">
          <select value={f.tier} onChange={set('tier')}>
            <option value="instant">Instant</option>
            <option value="standard">Standard</option>
            <option value="long">Long</option>
          </select>
        </Field>
        <Field label="Timeout (ms)">
          <input type="number" min={1000} value={f.timeoutMs} onInput={set('timeoutMs')} />
        </Field>
        <Field label="Max attempts">
          <input
            type="number"
            min={1}
            max={10}
            value={f.maxAttempts}
            onInput={set('maxAttempts')}
          />
        </Field>
        <Field label="Status">
          <select value={f.status} onChange={set('status')}>
            <option value="active">Active</option>
            <option value="inactive">Inactive</option>
          </select>
        </Field>
      </div>
      {save.error && <ErrorBox error={save.error} title="Could not save" />}
      <button type="submit" disabled={save.busy}>
        {save.busy ? 'Saving…' : 'Save configuration'}
      </button>
    </form>
  );
}

const BUILT_IN_ORDER = ['development', 'staging', 'production'];

/** The built-in environments in their order, then the org's own by name. */
function byEnvironment(a: string, b: string): number {
  const rank = (e: string) => {
    const i = BUILT_IN_ORDER.indexOf(e);
    return i < 0 ? BUILT_IN_ORDER.length : i;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
}

function Versions({
  wf,
  versions,
  onChange,
}: {
  wf: Workflow;
  versions: WorkflowVersion[];
  onChange: (w: Workflow) => void;
}) {
  const environments = useEnvironments();
  const deploy = useAction(async (environment: Environment, version: number) => {
    onChange(await api<Workflow>('POST', `/workflows/${wf.id}/deploy`, { environment, version }));
  });
  return (
    <>
      {deploy.error && <ErrorBox error={deploy.error} title="Could not deploy" />}
      <table>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Note</th>
            <th scope="col">Published</th>
            <th scope="col">Deployed to</th>
            <th scope="col">Deploy</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.id}>
              <td>v{v.version}</td>
              <td>{v.note ?? ''}</td>
              <td>
                <Time iso={v.createdAt} />
              </td>
              <td>
                {Object.keys(wf.deployments)
                  .filter((e) => wf.deployments[e]?.version === v.version)
                  .sort(byEnvironment)
                  .join(', ') || '—'}
              </td>
              <td class="row">
                {environments.map((env) => (
                  <button
                    key={env}
                    type="button"
                    class="small-btn"
                    disabled={deploy.busy || wf.deployments[env]?.version === v.version}
                    aria-label={`Deploy v${v.version} to ${env}`}
                    onClick={() => void deploy.run(env, v.version)}
                  >
                    {env}
                  </button>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function TestPanel({ wf }: { wf: Workflow }): JSX.Element {
  const envs = useEnvironments();
  const [input, setInput] = useState('{\n  "id": 42\n}');
  const [headers, setHeaders] = useState('{}');
  const [target, setTarget] = useState<string>(
    wf.deployments.development !== undefined ? 'env:development' : `v:${wf.latestVersion}`,
  );
  const [result, setResult] = useState<RunResult | null>(null);
  const run = useAction(async () => {
    setResult(null);
    const parsedHeaders = parseJson(headers, 'Headers') as Record<string, unknown> | undefined;
    if (parsedHeaders && Object.keys(parsedHeaders).length > 0) {
      throw new Error(
        'The run API takes no headers yet; ctx.headers is filled by webhook triggers. Clear the headers to run.',
      );
    }
    const [kind, value] = target.split(':') as [string, string];
    setResult(
      await api<RunResult>('POST', `/workflows/${wf.id}/run`, {
        input: parseJson(input, 'Input') ?? {},
        ...(kind === 'env'
          ? { environment: value }
          : { version: Number(value), environment: envs[0] }),
      }),
    );
  });
  if (wf.latestVersion === 0) {
    return <Notice>Publish the draft first: runs use a published version.</Notice>;
  }
  return (
    <form
      class="form"
      onSubmit={(e) => {
        e.preventDefault();
        void run.run();
      }}
    >
      <Field label="Run">
        <select value={target} onChange={(e) => setTarget(e.currentTarget.value)}>
          {envs
            .filter((e) => wf.deployments[e] !== undefined)
            .map((e) => (
              <option key={e} value={`env:${e}`}>
                What {e} runs (v{wf.deployments[e]?.version})
              </option>
            ))}
          {Array.from({ length: wf.latestVersion }, (_, i) => wf.latestVersion - i).map((v) => (
            <option key={v} value={`v:${v}`}>
              Version v{v}
            </option>
          ))}
        </select>
      </Field>
      <Field label="ctx.input (JSON)">
        <textarea
          class="code"
          rows={5}
          spellcheck={false}
          value={input}
          onInput={(e) => setInput(e.currentTarget.value)}
        />
      </Field>
      <Field
        label="ctx.headers (JSON)"
        hint="Not sent yet: the run API has no headers field; webhook triggers set ctx.headers."
      >
        <textarea
          class="code"
          rows={2}
          spellcheck={false}
          value={headers}
          onInput={(e) => setHeaders(e.currentTarget.value)}
        />
      </Field>
      <button type="submit" class="primary" disabled={run.busy}>
        {run.busy ? 'Running…' : 'Run'}
      </button>
      {run.error && <ErrorBox error={run.error} title="Could not run" />}
      {result && (
        <div class="result" aria-live="polite">
          <p>
            <Badge value={result.status} /> v{result.version} on {result.environment}
            {result.durationMs !== undefined && ` in ${duration(result.durationMs)}`} ·{' '}
            <Link href={`/executions/${result.executionId}`}>Open the execution</Link>
          </p>
          {result.error && <ErrorBox error={result.error.message} title={result.error.kind} />}
          {result.output !== undefined && <Json value={result.output} label="Output" />}
        </div>
      )}
    </form>
  );
}

export function WorkflowPage({ id }: { id: string }): JSX.Element {
  const state = useApi<Workflow>(`/workflows/${encodeURIComponent(id)}`);
  const versions = useApi<List<WorkflowVersion>>(`/workflows/${encodeURIComponent(id)}/versions`);
  const [wf, setWf] = useState<Workflow | null>(null);
  const [source, setSource] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const [deployTo, setDeployTo] = useState<Set<Environment>>(new Set(['development']));
  const [published, setPublished] = useState<number | null>(null);
  const environments = useEnvironments();
  useEffect(() => {
    if (state.data) {
      setWf(state.data);
      setSource((s) => s ?? state.data?.draftSource ?? '');
    }
  }, [state.data]);
  const current = wf ?? state.data;
  const dirty = current !== undefined && source !== null && source !== current.draftSource;
  const saveDraft = useAction(async () => {
    if (!current || source === null) return;
    setWf(await api<Workflow>('PATCH', `/workflows/${current.id}`, { source }));
  });
  const publish = useAction(async () => {
    if (!current) return;
    if (dirty) await saveDraft.run();
    const done = await api<{ version: { version: number }; workflow: Workflow }>(
      'POST',
      `/workflows/${current.id}/publish`,
      {
        ...(note.trim() && { note: note.trim() }),
        ...(deployTo.size > 0 && { deployTo: [...deployTo] }),
      },
    );
    setWf(done.workflow);
    setPublished(done.version.version);
    setNote('');
    versions.reload();
  });
  const remove = useAction(async () => {
    if (!current || !confirm(`Delete ${current.name} with its versions and executions?`)) return;
    await api('DELETE', `/workflows/${current.id}`);
    navigate('/workflows');
  });
  return (
    <Page
      title={current?.name ?? 'Workflow'}
      intro={
        <>
          <Link href="/workflows">← Workflows</Link>
          {current && (
            <>
              {' '}
              · <code>{current.slug}</code> · {current.tier} ·{' '}
              <Link href={`/executions?workflow=${current.id}`}>Executions</Link>
            </>
          )}
        </>
      }
      actions={
        <button type="button" class="danger" onClick={() => void remove.run()}>
          Delete
        </button>
      }
    >
      {remove.error && <ErrorBox error={remove.error} />}
      <Loadable state={state}>
        {() =>
          current && (
            <div class="editor-layout">
              <div class="editor-main">
                <section class="card" aria-labelledby="code-title">
                  <h2 id="code-title">Code {dirty && <span class="badge warn">unsaved</span>}</h2>
                  <CodeEditor
                    label="Code (draft)"
                    hint="TypeScript. Tab indents; press Escape, then Tab, to move on. Export default async function (ctx)."
                    value={source ?? ''}
                    onChange={setSource}
                  />
                  <div class="row">
                    <button
                      type="button"
                      disabled={!dirty || saveDraft.busy}
                      onClick={() => void saveDraft.run()}
                    >
                      {saveDraft.busy ? 'Saving…' : 'Save draft'}
                    </button>
                  </div>
                  {saveDraft.error && <ErrorBox error={saveDraft.error} title="Could not save" />}
                </section>
                <section class="card" aria-labelledby="publish-title">
                  <h2 id="publish-title">Publish</h2>
                  <p class="muted small">
                    Compiles the draft into version v{current.latestVersion + 1}; a compile error
                    names the line.
                  </p>
                  <Field label="Note (optional)">
                    <input value={note} onInput={(e) => setNote(e.currentTarget.value)} />
                  </Field>
                  <fieldset>
                    <legend>Deploy it at once to</legend>
                    {environments.map((env) => (
                      <label key={env} class="check-label">
                        <input
                          type="checkbox"
                          checked={deployTo.has(env)}
                          onChange={() =>
                            setDeployTo((prev) => {
                              const next = new Set(prev);
                              if (next.has(env)) next.delete(env);
                              else next.add(env);
                              return next;
                            })
                          }
                        />{' '}
                        {env}
                      </label>
                    ))}
                  </fieldset>
                  <button
                    type="button"
                    class="primary"
                    disabled={publish.busy}
                    onClick={() => void publish.run()}
                  >
                    {publish.busy ? 'Publishing…' : 'Publish'}
                  </button>
                  {publish.error && <ErrorBox error={publish.error} title="Could not publish" />}
                  {published !== null && <Notice tone="success">Published v{published}.</Notice>}
                </section>
                <section class="card" aria-labelledby="versions-title">
                  <h2 id="versions-title">Versions</h2>
                  <Loadable
                    state={versions}
                    isEmpty={(d) => d.data.length === 0}
                    empty="No published versions yet."
                  >
                    {(d) => <Versions wf={current} versions={d.data} onChange={setWf} />}
                  </Loadable>
                </section>
              </div>
              <div class="editor-side">
                <Settings key={current.id} wf={current} onSaved={setWf} />
                <section class="card" aria-labelledby="test-title">
                  <h2 id="test-title">Test</h2>
                  <TestPanel key={`${current.id}-${current.latestVersion}`} wf={current} />
                </section>
              </div>
            </div>
          )
        }
      </Loadable>
    </Page>
  );
}

export type { Tier };
