/**
 * The validator's contract: what callers pass and get back, and the limits it works within.
 * Kept at the bottom of the json-schema modules so that every one of them can read the limits
 * without importing the public entry (server/engine/json-schema.ts re-exports all of it).
 */
import { REGEX_LIMITS } from '../regex.ts';

export type SchemaDialect = 'openapi-3.0' | '2020-12' | '2019-09' | '7' | '4';

export interface SchemaIssue {
  /** JSON pointer to the offending value: `/customer/email`; `''` is the whole input. */
  path: string;
  /** Reads after the path: "must be a string", "is required". */
  message: string;
  /** The schema keyword that failed, or `limit` when the input was too big to check. */
  keyword: string;
}

export type ValidationResult = { valid: true } | { valid: false; errors: SchemaIssue[] };

export interface SchemaValidator {
  validate(value: unknown): ValidationResult;
}

export const SCHEMA_LIMITS = {
  /** Nesting of subschemas inside one schema object. */
  maxSchemaDepth: 64,
  /** Subschemas reachable from the root, refs followed. */
  maxSchemaNodes: 100_000,
  /** Nesting of arrays and objects in a validated value. */
  maxDataDepth: 128,
  /** Values in a validated value, and schema-on-value visits in one validation. */
  maxWork: 1_000_000,
  /** Issues reported in full; the rest are counted in a final "…and N more". */
  maxErrors: 50,
  /** Compiled validators kept (least recently used are dropped). */
  cacheEntries: 1_000,
  /** Total size of the cached schemas' JSON, in characters (least recently used are dropped). */
  cacheChars: 8_000_000,
  /** Longest `pattern` compiled, in characters. */
  maxPatternLength: REGEX_LIMITS.maxLength,
  /** Largest compiled pattern (counted repetitions expanded), in matcher instructions. */
  maxPatternProgram: REGEX_LIMITS.maxProgram,
} as const;
