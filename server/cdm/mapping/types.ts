/**
 * The mapping contract: what a mapping is, and what applying one gives back. At the bottom of
 * the mapping modules so that each can use it; server/cdm/mapping.ts re-exports all of it.
 */
import type { CdmEntity, CustomField } from '../entities.ts';

export const MAPPING_DIRECTIONS = ['to_canonical', 'from_canonical'] as const;

export type MappingDirection = (typeof MAPPING_DIRECTIONS)[number];

export interface Mapping {
  entity: CdmEntity;
  direction: MappingDirection;
  /** Target path → JSONata expression over the source record. */
  fields: Record<string, string>;
}

export interface FieldError {
  field: string;
  expression: string;
  message: string;
}

export interface ApplyResult {
  value: Record<string, unknown>;
  errors: FieldError[];
}

export interface CompiledMapping {
  apply(record: unknown): Promise<ApplyResult>;
  applyMany(records: readonly unknown[]): Promise<ApplyResult[]>;
}

export type MappingInput = Mapping | { mapping: Mapping; customFields?: readonly CustomField[] };
