// Integrations → Mappings: the saved mappings (latest version of each connector × canonical entity
// × direction). One mapping: its field → JSONata expressions at any version, the diff between two
// versions, and a side-by-side preview on a record you paste (source, expression, result).
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, query, useApi } from '../api.ts';
import { Link } from '../router.tsx';
import type { List, Mapping } from '../types.ts';
import { Dialog, ErrorBox, Field, Loadable, Page, parseJson, Time, useAction } from '../ui.tsx';

interface MappingDetail extends Mapping {
  versions: number[];
}
interface Diff {
  added: string[];
  removed: string[];
  changed: { field: string; from: string; to: string }[];
}
interface PreviewRow {
  field: string;
  expression: string;
  source?: unknown;
  result: unknown;
  error?: string;
}

function show(v: unknown): string {
  return v === undefined ? '—' : JSON.stringify(v);
}

function MappingView({ m, onClose }: { m: Mapping; onClose: () => void }): JSX.Element {
  const [version, setVersion] = useState(m.version);
  const key = { connector: m.connector, entity: m.entity, direction: m.direction };
  const detail = useApi<MappingDetail>(`/cdm/mappings${query({ ...key, version })}`);
  const [against, setAgainst] = useState<number | null>(null);
  const diff = useApi<Diff>(
    against === null
      ? null
      : `/cdm/mappings/diff${query({ ...key, from: Math.min(against, version), to: Math.max(against, version) })}`,
  );
  const [record, setRecord] = useState('{\n  "id": 1,\n  "name": "Ada Lovelace"\n}');
  const [rows, setRows] = useState<PreviewRow[] | null>(null);
  const preview = useAction(async () => {
    const r = await api<{ data: PreviewRow[] }>('POST', '/cdm/preview', {
      entity: m.entity,
      direction: m.direction,
      fields: detail.data?.fields ?? m.fields,
      record: parseJson(record, 'Record') ?? {},
    });
    setRows(r.data);
  });
  return (
    <Dialog
      title={`${m.connector} → ${m.entity} (${m.direction.replace('_', ' ')})`}
      onClose={onClose}
      wide
    >
      <Loadable state={detail}>
        {(d) => (
          <>
            <div class="filters">
              <Field label="Version">
                <select value={version} onChange={(e) => setVersion(Number(e.currentTarget.value))}>
                  {d.versions.map((v) => (
                    <option key={v} value={v}>
                      v{v}
                    </option>
                  ))}
                </select>
              </Field>
              {d.versions.length > 1 && (
                <Field label="Compare with">
                  <select
                    value={against ?? ''}
                    onChange={(e) =>
                      setAgainst(e.currentTarget.value ? Number(e.currentTarget.value) : null)
                    }
                  >
                    <option value="">—</option>
                    {d.versions
                      .filter((v) => v !== version)
                      .map((v) => (
                        <option key={v} value={v}>
                          v{v}
                        </option>
                      ))}
                  </select>
                </Field>
              )}
            </div>
            {against !== null && (
              <Loadable state={diff}>
                {(x) => (
                  <ul class="diff">
                    {x.added.map((f) => (
                      <li key={f} class="added">
                        + {f}
                      </li>
                    ))}
                    {x.removed.map((f) => (
                      <li key={f} class="removed">
                        − {f}
                      </li>
                    ))}
                    {x.changed.map((c) => (
                      <li key={c.field} class="changed">
                        ~ {c.field}: <code>{c.from}</code> → <code>{c.to}</code>
                      </li>
                    ))}
                    {x.added.length + x.removed.length + x.changed.length === 0 && (
                      <li>No changes.</li>
                    )}
                  </ul>
                )}
              </Loadable>
            )}
            <table>
              <thead>
                <tr>
                  <th scope="col">Field</th>
                  <th scope="col">Expression</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(d.fields).map(([field, expr]) => (
                  <tr key={field}>
                    <td>
                      <code>{field}</code>
                    </td>
                    <td class="break">
                      <code>{expr}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Loadable>
      <h3>Preview on a record</h3>
      <form
        class="form"
        onSubmit={(e) => {
          e.preventDefault();
          void preview.run();
        }}
      >
        <Field label="Source record (JSON)">
          <textarea
            class="code"
            rows={5}
            value={record}
            onInput={(e) => setRecord(e.currentTarget.value)}
          />
        </Field>
        <button type="submit" disabled={preview.busy}>
          Preview
        </button>
      </form>
      {preview.error && <ErrorBox error={preview.error} />}
      {rows && (
        <table>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Source</th>
              <th scope="col">Expression</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.field}>
                <td>
                  <code>{r.field}</code>
                </td>
                <td class="break">{show(r.source)}</td>
                <td class="break">
                  <code>{r.expression}</code>
                </td>
                <td class="break">
                  {r.error ? <span class="bad-text">{r.error}</span> : show(r.result)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Dialog>
  );
}

export function MappingsPage(): JSX.Element {
  const state = useApi<List<Mapping>>('/cdm/mappings/all');
  const [open, setOpen] = useState<Mapping | null>(null);
  return (
    <Page
      title="Mappings"
      intro="How each connector's records map to and from the canonical data model (Contact, Order, …)."
    >
      <Loadable
        state={state}
        isEmpty={(d) => d.data.length === 0}
        empty={
          <>
            No mappings yet. Agents and the API save them (POST /api/v1/cdm/mappings, or the
            save_mapping tool) once a <Link href="/connectors">connector</Link> has actions.
          </>
        }
      >
        {(d) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Connector</th>
                <th scope="col">Entity</th>
                <th scope="col">Direction</th>
                <th scope="col">Version</th>
                <th scope="col">Fields</th>
                <th scope="col">Saved</th>
              </tr>
            </thead>
            <tbody>
              {d.data.map((m) => (
                <tr key={m.id}>
                  <td>
                    <button type="button" class="link" onClick={() => setOpen(m)}>
                      {m.connector}
                    </button>
                  </td>
                  <td>{m.entity}</td>
                  <td>{m.direction.replace('_', ' ')}</td>
                  <td>v{m.version}</td>
                  <td>{Object.keys(m.fields).length}</td>
                  <td>
                    <Time iso={m.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Loadable>
      {open && <MappingView m={open} onClose={() => setOpen(null)} />}
    </Page>
  );
}
