/**
 * What every step of reading an operation shares: the draft types, the context of one spec
 * (its format, dialect, resolver, warnings and the slugs taken so far), and `OperationInfo`,
 * which later passes (events, entities, ranking) read. A module of its own so that the steps
 * (parameters, bodies, pagination) and the entry (operations.ts) import it without a cycle.
 */
import type { z } from 'zod';
import type {
  ActionInputSchema,
  HTTP_METHODS,
  PaginationSchema,
  ParameterSchema,
} from '../../domain/connector.ts';
import type { ImportWarning, SpecFormat } from '../types.ts';
import type { Json, Resolver, SchemaDialect } from '../schema.ts';

export type ActionDraft = z.input<typeof ActionInputSchema>;
export type ParameterDraft = z.input<typeof ParameterSchema>;
export type Pagination = z.input<typeof PaginationSchema>;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** What later passes (events, entities, ranking) need to know about an operation. */
export interface OperationInfo {
  slug: string;
  method: HttpMethod;
  path: string;
  /** `"GET /v1/customers"` */
  route: string;
  /** JSON pointer of the operation in the spec. */
  at: string;
  op: Json;
  /** Raw (not inlined) schema of the request body, when JSON or form. */
  requestSchema: unknown;
  /** Raw schema of the first 2xx JSON response. */
  responseSchema: unknown;
  security: unknown;
  action: ActionDraft;
}

/** Inputs per action; a body with more properties than fit is taken as one whole input. */
export const MAX_PARAMETERS = 500;

export interface Context {
  doc: Json;
  format: SpecFormat;
  dialect: SchemaDialect;
  resolver: Resolver;
  warnings: ImportWarning[];
  slugs: Set<string>;
}

export function pointerSegments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
}
