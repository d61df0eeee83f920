import type { ConnectorDocument } from '../domain/connector.ts';
export interface ImportWarning {
  path: string /* JSON pointer in the source */;
  reason: string;
}
export type CdmEntityName =
  'Contact' | 'Product' | 'Order' | 'Invoice' | 'InventoryLevel' | 'Fulfillment';
export interface EntityGuess {
  schema: string;
  cdmEntity: CdmEntityName | null;
  confidence: number;
  operations: Partial<Record<'list' | 'get' | 'create' | 'update' | 'delete', string>>;
}
export interface RankedAction {
  slug: string;
  score: number;
  reasons: string[];
}
export interface ImportResult {
  document: ConnectorDocument;
  entities: EntityGuess[];
  ranking: RankedAction[];
  warnings: ImportWarning[];
  stats: { operations: number; actions: number; events: number; schemas: number };
}
