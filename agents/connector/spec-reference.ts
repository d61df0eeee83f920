// What the spec itself says about each operation, for the fixer: the spec text the run was given
// is read in process with the import library (locked down: no file or network reference is ever
// followed, a remote `$ref` just becomes a warning) into the connector document an import would
// write, and the spec report lists where the spec is wrong. Reading data the caller handed over is
// not acting: every change still goes through the admin tools.
import type { ActionInput, AuthMethod, ConnectorDocument } from '../../server/domain/connector.ts';
import { importSpec } from '../../server/import/index.ts';
import { loadSpec } from '../../server/import/load.ts';
import { specReport } from '../../server/import/spec-report.ts';

export interface SpecReference {
  readonly document: ConnectorDocument;
  readonly findings: readonly { severity: string; path: string; message: string }[];
  /** The spec's version of a connector action: by slug, then name, then method and path shape. */
  find(action: { slug: string; name?: string; method: string; path: string }): ActionInput | null;
}

const refuse = (url: string): Promise<string> =>
  Promise.reject(new Error(`not followed: ${url} (the agent reads only the spec it was given)`));

function shape(path: string): string {
  return path
    .replace(/\{[^}]+\}/g, '{}')
    .replace(/\/+$/, '')
    .toLowerCase();
}

function segments(path: string): string[] {
  return shape(path).split('/').filter(Boolean);
}

/** Shared trailing segments: `/pets/{}` and `/pet/{}` share 1, `/pet/{}` and `/pet/{}` share 2. */
function similarity(a: string, b: string): number {
  const x = segments(a);
  const y = segments(b);
  let score = 0;
  for (let i = 1; i <= Math.min(x.length, y.length); i++) {
    const p = x[x.length - i] ?? '';
    const q = y[y.length - i] ?? '';
    if (p === q) score += 2;
    else if (p.replace(/s$/, '') === q.replace(/s$/, '')) score += 1;
  }
  return score - Math.abs(x.length - y.length) * 0.5;
}

export async function readSpecReference(text: string): Promise<SpecReference> {
  const imported = await importSpec({
    source: { kind: 'text', text },
    fetchText: refuse,
    selection: { mode: 'all' },
  });
  let findings: SpecReference['findings'] = [];
  try {
    const loaded = await loadSpec({ source: { kind: 'text', text }, fetchText: refuse });
    if (loaded.format !== 'postman-2.1')
      findings = (await specReport(loaded.document)).slice(0, 100);
  } catch {
    // The import above read it; a report that fails says nothing more.
  }
  const actions = imported.document.actions;
  const bySlug = new Map(actions.map((a) => [a.slug.toLowerCase(), a]));
  return {
    document: imported.document,
    findings,
    find(action) {
      const hit = bySlug.get(action.slug.toLowerCase());
      if (hit !== undefined) return hit;
      const named =
        action.name === undefined ? undefined : actions.find((a) => a.name === action.name);
      if (named !== undefined) return named;
      const candidates = actions
        .filter((a) => a.method === action.method)
        .map((a) => ({ a, score: similarity(a.path, action.path) }))
        .sort((p, q) => q.score - p.score);
      const best = candidates[0];
      return best !== undefined && best.score >= 1 ? best.a : null;
    },
  };
}

/** Where the spec puts an API key, as an auth method of the connector's. */
export function specApiKeyMethods(document: ConnectorDocument): AuthMethod[] {
  return document.connector.authMethods.filter((m) => m.type === 'api_key');
}
