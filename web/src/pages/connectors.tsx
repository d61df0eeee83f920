// Integrations → Connectors: the list, the "New connector" dialog (name, slug, description,
// domain, visibility, icon URL, base URL, auth methods) and the import dialog (a spec by URL or
// from a file). Import first previews (dryRun): what it would create, or on an existing
// connector the diff, which is applied only when asked.
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, useApi } from '../api.ts';
import { Link, navigate } from '../router.tsx';
import type { AuthMethod, Connector, List } from '../types.ts';
import { BuildWithAiDialog } from './build-with-ai.tsx';
import { Dialog, ErrorBox, Field, Loadable, Notice, Page, Time, useAction } from '../ui.tsx';

function slugify(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .replace(/^[^a-z]+/, '')
    .slice(0, 63);
}

type AuthChoice = 'none' | 'api_key' | 'bearer' | 'basic' | 'oauth2';

function CreateConnector({ onClose }: { onClose: () => void }): JSX.Element {
  const [f, setF] = useState({
    name: '',
    slug: '',
    description: '',
    domain: '',
    visibility: 'private',
    iconUrl: '',
    baseUrl: '',
    apiKeyIn: 'header',
    apiKeyName: 'X-Api-Key',
    tokenUrl: '',
    authorizeUrl: '',
    scopes: '',
  });
  const [slugEdited, setSlugEdited] = useState(false);
  const [auth, setAuth] = useState<Set<AuthChoice>>(new Set(['api_key']));
  const set = (k: keyof typeof f) => (e: { currentTarget: { value: string } }) =>
    setF((prev) => ({
      ...prev,
      [k]: e.currentTarget.value,
      ...(k === 'name' && !slugEdited && { slug: slugify(e.currentTarget.value) }),
    }));
  const toggle = (a: AuthChoice) =>
    setAuth((prev) => {
      const next = new Set(prev);
      if (next.has(a)) next.delete(a);
      else next.add(a);
      return next;
    });
  const create = useAction(async () => {
    const authMethods: Record<string, unknown>[] = [...auth].map((type) => {
      if (type === 'api_key') return { key: 'api_key', type, in: f.apiKeyIn, name: f.apiKeyName };
      if (type === 'oauth2')
        return {
          key: 'oauth2',
          type,
          tokenUrl: f.tokenUrl,
          ...(f.authorizeUrl && { authorizeUrl: f.authorizeUrl }),
          scopes: f.scopes.split(/[\s,]+/).filter(Boolean),
        };
      return { key: type, type };
    });
    const optional = (v: string) => (v.trim() ? v.trim() : undefined);
    const created = await api<Connector>('POST', '/connectors', {
      name: f.name.trim(),
      slug: f.slug.trim(),
      description: optional(f.description),
      domain: optional(f.domain),
      visibility: f.visibility,
      iconUrl: optional(f.iconUrl),
      baseUrl: optional(f.baseUrl),
      authMethods,
    });
    navigate(`/connectors/${created.slug}`);
  });
  const choices: { key: AuthChoice; label: string }[] = [
    { key: 'api_key', label: 'API key' },
    { key: 'bearer', label: 'Bearer token' },
    { key: 'basic', label: 'Basic (username and password)' },
    { key: 'oauth2', label: 'OAuth 2.0' },
    { key: 'none', label: 'No auth' },
  ];
  return (
    <Dialog title="New connector" onClose={onClose} wide>
      <form
        class="form grid2"
        onSubmit={(e) => {
          e.preventDefault();
          void create.run();
        }}
      >
        <Field label="Name">
          <input required value={f.name} onInput={set('name')} />
        </Field>
        <Field label="Slug" hint="Lowercase letters, digits, - and _; used in URLs and tools.">
          <input
            required
            pattern="[a-z][a-z0-9_\-]{0,62}"
            value={f.slug}
            onInput={(e) => {
              setSlugEdited(true);
              set('slug')(e);
            }}
          />
        </Field>
        <Field label="Description">
          <input value={f.description} onInput={set('description')} />
        </Field>
        <Field label="Domain" hint="The vendor's domain, e.g. stripe.com">
          <input value={f.domain} onInput={set('domain')} />
        </Field>
        <Field label="Visibility">
          <select value={f.visibility} onChange={set('visibility')}>
            <option value="private">Private (this organization)</option>
            <option value="public">Public</option>
          </select>
        </Field>
        <Field label="Icon URL">
          <input type="url" value={f.iconUrl} onInput={set('iconUrl')} />
        </Field>
        <Field label="Base URL">
          <input
            type="url"
            placeholder="https://api.example.com/v1"
            value={f.baseUrl}
            onInput={set('baseUrl')}
          />
        </Field>
        <fieldset class="span2">
          <legend>Auth methods</legend>
          <div class="checks">
            {choices.map((c) => (
              <label key={c.key} class="check-label">
                <input type="checkbox" checked={auth.has(c.key)} onChange={() => toggle(c.key)} />{' '}
                {c.label}
              </label>
            ))}
          </div>
          {auth.has('api_key') && (
            <div class="grid2">
              <Field label="API key sent in">
                <select value={f.apiKeyIn} onChange={set('apiKeyIn')}>
                  <option value="header">Header</option>
                  <option value="query">Query parameter</option>
                  <option value="cookie">Cookie</option>
                </select>
              </Field>
              <Field label="API key header or parameter name">
                <input required value={f.apiKeyName} onInput={set('apiKeyName')} />
              </Field>
            </div>
          )}
          {auth.has('oauth2') && (
            <div class="grid2">
              <Field label="Token URL">
                <input type="url" required value={f.tokenUrl} onInput={set('tokenUrl')} />
              </Field>
              <Field label="Authorize URL">
                <input type="url" value={f.authorizeUrl} onInput={set('authorizeUrl')} />
              </Field>
              <Field label="Scopes" hint="Separated by spaces or commas">
                <input value={f.scopes} onInput={set('scopes')} />
              </Field>
            </div>
          )}
        </fieldset>
        {create.error && <ErrorBox error={create.error} title="Could not create the connector" />}
        <div class="row span2 end">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" class="primary" disabled={create.busy}>
            {create.busy ? 'Creating…' : 'Create connector'}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

interface Changes {
  added: string[];
  removed: string[];
  changed: { slug?: string; name?: string; key?: string; field?: string; fields?: unknown[] }[];
}
interface ImportOutcome {
  outcome: 'created' | 'updated' | 'unchanged' | 'preview';
  connector: Connector | null;
  slug: string;
  diff: {
    actions?: Changes;
    events?: Changes;
    authMethods?: Changes;
    connector?: unknown[];
  } | null;
  summary: string;
  warnings: { path: string; reason: string }[];
  stats: { operations: number; actions: number; events: number; schemas: number };
}

function DiffList({ title, changes }: { title: string; changes: Changes | undefined }) {
  if (!changes) return null;
  const n = changes.added.length + changes.removed.length + changes.changed.length;
  if (n === 0) return null;
  return (
    <div class="diff">
      <h4>{title}</h4>
      <ul>
        {changes.added.map((a) => (
          <li key={`+${a}`} class="added">
            + {a}
          </li>
        ))}
        {changes.removed.map((r) => (
          <li key={`-${r}`} class="removed">
            − {r}
          </li>
        ))}
        {changes.changed.map((c, i) => (
          <li key={`~${i}`} class="changed">
            ~ {c.slug ?? c.name ?? c.key ?? c.field ?? '?'}
            {Array.isArray(c.fields) && c.fields.length > 0 && (
              <span class="muted">
                {' '}
                (
                {c.fields
                  .map((x) => (typeof x === 'string' ? x : JSON.stringify(x)))
                  .join(', ')
                  .slice(0, 200)}
                )
              </span>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** Import (or re-import) a spec by URL or file: preview first, then create or apply. */
export function ImportSpec({
  onClose,
  slug: fixedSlug,
  onDone,
}: {
  onClose: () => void;
  slug?: string;
  onDone?: () => void;
}): JSX.Element {
  const [by, setBy] = useState<'url' | 'file'>('url');
  const [url, setUrl] = useState('');
  const [file, setFile] = useState<{ name: string; text: string } | null>(null);
  const [slug, setSlug] = useState(fixedSlug ?? '');
  const [removeMissing, setRemoveMissing] = useState(false);
  const [preview, setPreview] = useState<ImportOutcome | null>(null);
  const [done, setDone] = useState<ImportOutcome | null>(null);
  const body = () => ({
    ...(by === 'url' ? { url: url.trim() } : { text: file?.text ?? '' }),
    ...(slug.trim() && { slug: slug.trim() }),
  });
  const check = useAction(async () => {
    setDone(null);
    setPreview(await api<ImportOutcome>('POST', '/connectors/import', { ...body(), dryRun: true }));
  });
  const apply = useAction(async () => {
    const result = await api<ImportOutcome>('POST', '/connectors/import', {
      ...body(),
      apply: true,
      removeMissing,
    });
    setDone(result);
    setPreview(null);
    onDone?.();
  });
  // A preview of an existing connector carries the diff against it; a new one has none.
  const exists = Boolean(preview?.diff);
  return (
    <Dialog title={fixedSlug ? `Re-import ${fixedSlug}` : 'Import a spec'} onClose={onClose} wide>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void check.run();
        }}
      >
        <fieldset>
          <legend>Spec source (OpenAPI 3.x, Swagger 2.0 or Postman v2.1)</legend>
          <label class="check-label">
            <input type="radio" name="by" checked={by === 'url'} onChange={() => setBy('url')} />{' '}
            From a URL
          </label>
          <label class="check-label">
            <input type="radio" name="by" checked={by === 'file'} onChange={() => setBy('file')} />{' '}
            From a file
          </label>
        </fieldset>
        {by === 'url' ? (
          <Field label="Spec URL">
            <input type="url" required value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
          </Field>
        ) : (
          <Field
            label="Spec file"
            hint={file ? `${file.name}, ${file.text.length} characters` : ''}
          >
            <input
              type="file"
              required
              accept=".json,.yaml,.yml"
              onChange={(e) => {
                const picked = e.currentTarget.files?.[0];
                if (picked) void picked.text().then((text) => setFile({ name: picked.name, text }));
              }}
            />
          </Field>
        )}
        {!fixedSlug && (
          <Field label="Slug (optional)" hint="By default derived from the spec's title.">
            <input value={slug} onInput={(e) => setSlug(e.currentTarget.value)} />
          </Field>
        )}
        <div class="row end">
          <button type="submit" disabled={check.busy || (by === 'file' && !file)}>
            {check.busy ? 'Reading the spec…' : 'Preview'}
          </button>
        </div>
      </form>
      {check.error && <ErrorBox error={check.error} title="Could not read the spec" />}
      {preview && (
        <div class="import-preview" aria-live="polite">
          <Notice>
            <strong>{preview.slug}</strong>: {preview.summary} ({preview.stats.actions} actions,{' '}
            {preview.stats.events} events from {preview.stats.operations} operations)
          </Notice>
          {exists && preview.diff && (
            <div class="diffs">
              <h3>Changes against the stored connector</h3>
              <DiffList title="Actions" changes={preview.diff.actions} />
              <DiffList title="Events" changes={preview.diff.events} />
              <DiffList title="Auth methods" changes={preview.diff.authMethods} />
              <label class="check-label">
                <input
                  type="checkbox"
                  checked={removeMissing}
                  onChange={(e) => setRemoveMissing(e.currentTarget.checked)}
                />{' '}
                Also remove actions and events the new spec no longer has
              </label>
            </div>
          )}
          {preview.warnings.length > 0 && (
            <details>
              <summary>{preview.warnings.length} warnings</summary>
              <ul class="small">
                {preview.warnings.slice(0, 50).map((w, i) => (
                  <li key={i}>
                    <code>{w.path}</code>: {w.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
          <div class="row end">
            <button
              type="button"
              class="primary"
              disabled={apply.busy}
              onClick={() => void apply.run()}
            >
              {apply.busy ? 'Importing…' : exists ? 'Apply changes' : 'Import'}
            </button>
          </div>
        </div>
      )}
      {apply.error && <ErrorBox error={apply.error} title="Import failed" />}
      {done && (
        <Notice tone="success">
          {done.outcome === 'created'
            ? 'Imported'
            : done.outcome === 'updated'
              ? 'Updated'
              : 'No changes for'}{' '}
          <Link href={`/connectors/${done.slug}`} onClick={onClose}>
            {done.slug}
          </Link>
          : {done.summary}
        </Notice>
      )}
    </Dialog>
  );
}

export function ConnectorsPage(): JSX.Element {
  const state = useApi<List<Connector>>('/connectors');
  const [dialog, setDialog] = useState<'create' | 'import' | 'ai' | null>(null);
  return (
    <Page
      title="Connectors"
      intro="Third-party APIs Weft can call: their auth, actions and events."
      actions={
        <>
          <button type="button" onClick={() => setDialog('ai')}>
            Build with AI
          </button>
          <button type="button" onClick={() => setDialog('import')}>
            Import spec
          </button>
          <button type="button" class="primary" onClick={() => setDialog('create')}>
            New connector
          </button>
        </>
      }
    >
      <Loadable
        state={state}
        isEmpty={(d) => d.data.length === 0}
        empty={
          <>No connectors yet. Import an OpenAPI spec, create one by hand, or build one with AI.</>
        }
      >
        {(d) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Slug</th>
                <th scope="col">Auth</th>
                <th scope="col">Actions</th>
                <th scope="col">Events</th>
                <th scope="col">Visibility</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {d.data.map((c) => (
                <tr key={c.id}>
                  <td>
                    <span class="with-icon">
                      {c.iconUrl?.startsWith('https://') ? (
                        <img src={c.iconUrl} alt="" width={20} height={20} />
                      ) : (
                        <span class="icon-fallback" aria-hidden="true">
                          {c.name.slice(0, 1).toUpperCase()}
                        </span>
                      )}
                      <Link href={`/connectors/${c.slug}`}>{c.name}</Link>
                    </span>
                    {c.domain && <div class="muted small">{c.domain}</div>}
                  </td>
                  <td>
                    <code>{c.slug}</code>
                  </td>
                  <td>{c.authMethods.map((a: AuthMethod) => a.type).join(', ') || '—'}</td>
                  <td>{c.actionCount}</td>
                  <td>{c.eventCount}</td>
                  <td>{c.visibility}</td>
                  <td>
                    <Time iso={c.updatedAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loadable>
      {dialog === 'create' && <CreateConnector onClose={() => setDialog(null)} />}
      {dialog === 'import' && <ImportSpec onClose={() => setDialog(null)} onDone={state.reload} />}
      {dialog === 'ai' && <BuildWithAiDialog onClose={() => setDialog(null)} />}
    </Page>
  );
}
