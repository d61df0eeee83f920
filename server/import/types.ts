import type { CdmEntity } from '../domain/cdm.ts';
import type { ConnectorDocument } from '../domain/connector.ts';
import type { Selection } from '../domain/import.ts';

/** Shapes shared by the spec importers (OpenAPI/Swagger here, Postman in postman.ts). */

export type SpecFormat = 'openapi-3.0' | 'openapi-3.1' | 'swagger-2.0' | 'postman-2.1';

export type SpecSource =
  | { kind: 'path'; path: string }
  | { kind: 'url'; url: string }
  | { kind: 'text'; text: string; name?: string };

/** Reads a remote document. The caller passes its SSRF-guarded fetch; the importer has no other. */
export type FetchText = (url: string) => Promise<string>;

export interface ImportWarning {
  /** JSON pointer into the spec (`/paths/~1customers/get`); `''` is the whole document. */
  path: string;
  reason: string;
}

export type CrudKind = 'list' | 'get' | 'create' | 'update' | 'delete';

export interface EntityGuess {
  /** The `components/schemas` (or Swagger 2 `definitions`) key of the resource. */
  schema: string;
  cdmEntity: CdmEntity | null;
  /** 0..1: how sure the CDM guess is (0 when cdmEntity is null). */
  confidence: number;
  /** `"GET /v1/customers"` per CRUD role. */
  operations: Partial<Record<CrudKind, string>>;
}

export interface RankedAction {
  slug: string;
  score: number;
  reasons: string[];
}

export interface ImportStats {
  /** Operations in the spec (paths × methods), imported or not. */
  operations: number;
  actions: number;
  events: number;
  schemas: number;
}

export interface ImportResult {
  document: ConnectorDocument;
  entities: EntityGuess[];
  /** Every action of the document, best first. */
  ranking: RankedAction[];
  warnings: ImportWarning[];
  stats: ImportStats;
}

export interface LoadedSpec {
  format: SpecFormat;
  document: Record<string, unknown>;
  warnings: ImportWarning[];
  /** Where the spec was fetched from, to resolve relative server URLs against. */
  specUrl?: string;
}

/** Which actions to keep: all, those with a tag, a list of slugs, or the N best ranked. */
export type ActionSelection = Selection;

/** Marks where an external document could not be read; extraction treats it as missing. */
export const UNRESOLVED_KEY = 'x-weft-unresolved-ref';

/** A spec can carry thousands of findings; past this many only a count is kept. */
export const MAX_WARNINGS = 1000;

/**
 * Appends a warning unless the list is full; the last slot then says how many were dropped.
 * (Two parameters: shared with the Postman extractor, which calls it in this form.)
 */
export function addWarning(warnings: ImportWarning[], warning: ImportWarning): void {
  if (warnings.length < MAX_WARNINGS) {
    warnings.push(warning);
    return;
  }
  const last = warnings[MAX_WARNINGS];
  const dropped = last === undefined ? 1 : Number(/\d+/.exec(last.reason)?.[0] ?? 0) + 1;
  warnings[MAX_WARNINGS] = { path: '', reason: `${dropped} more warnings not shown` };
}

/** RFC 6901 pointer from path segments. */
export function toPointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}
