// Entity recall and precision: for each CDM entity a mapping was saved for, is the record it
// reads the schema the gold names for that entity? Schemas are compared by what they hold, not
// by name (a list action's envelope, an inlined copy or a `$ref` under another name can carry
// the same resource): the record must have at least 90% of the gold schema's top-level
// properties, and the gold schema at least 75% of the record's (a gold schema the spec does not
// hold is judged by the operation instead: see goldOperations). Recall is over the gold's
// entities, precision over the saved mappings (an entity the gold does not list is a miss).

export interface EntityVerdict {
  entity: string;
  /** In the gold, in the build, or both. */
  gold: boolean;
  built: boolean;
  /** Built on the gold schema. */
  ok: boolean;
  /** Shares of properties in common (record over gold, gold over record). */
  overlap: { ofGold: number; ofRecord: number } | null;
  action: string | null;
}

export interface EntityScore {
  goldEntities: number;
  builtEntities: number;
  hits: number;
  recall: number;
  precision: number;
  verdicts: EntityVerdict[];
}

export const SAME_SCHEMA = { ofGold: 0.9, ofRecord: 0.75 } as const;

export function sameSchema({
  goldProperties,
  recordProperties,
}: {
  goldProperties: readonly string[];
  recordProperties: readonly string[];
}): { ok: boolean; ofGold: number; ofRecord: number } {
  const gold = new Set(goldProperties);
  const record = new Set(recordProperties);
  if (gold.size === 0 || record.size === 0) return { ok: false, ofGold: 0, ofRecord: 0 };
  const common = [...gold].filter((p) => record.has(p)).length;
  const ofGold = common / gold.size;
  const ofRecord = common / record.size;
  return { ok: ofGold >= SAME_SCHEMA.ofGold && ofRecord >= SAME_SCHEMA.ofRecord, ofGold, ofRecord };
}

export function scoreEntities({
  gold,
  built,
  goldOperations = {},
}: {
  /** Gold entity → the top-level property names of its schema (empty when it cannot be read). */
  gold: Readonly<Record<string, readonly string[]>>;
  /** Saved mapping's entity → the top-level property names of the record it reads. */
  built: Readonly<
    Record<string, { properties: readonly string[]; action: string | null; operation?: string }>
  >;
  /**
   * Gold entity → its operations (`PUT /orders/{id}`). Only consulted when the gold's schema
   * cannot be read (it lives in a file the spec does not include): then a mapping built on one
   * of these operations is on the gold's record, as far as anyone can tell.
   */
  goldOperations?: Readonly<Record<string, readonly string[]>>;
}): EntityScore {
  const names = [...new Set([...Object.keys(gold), ...Object.keys(built)])].sort();
  const verdicts = names.map((entity): EntityVerdict => {
    const g = gold[entity];
    const b = built[entity];
    if (g === undefined || b === undefined)
      return {
        entity,
        gold: g !== undefined,
        built: b !== undefined,
        ok: false,
        overlap: null,
        action: b?.action ?? null,
      };
    if (g.length === 0 && b.operation !== undefined)
      return {
        entity,
        gold: true,
        built: true,
        ok: (goldOperations[entity] ?? []).includes(b.operation),
        overlap: null,
        action: b.action,
      };
    const same = sameSchema({ goldProperties: g, recordProperties: b.properties });
    return {
      entity,
      gold: true,
      built: true,
      ok: same.ok,
      overlap: { ofGold: same.ofGold, ofRecord: same.ofRecord },
      action: b.action,
    };
  });
  const goldEntities = Object.keys(gold).length;
  const builtEntities = Object.keys(built).length;
  const hits = verdicts.filter((v) => v.ok).length;
  return {
    goldEntities,
    builtEntities,
    hits,
    recall: goldEntities === 0 ? 1 : hits / goldEntities,
    precision: builtEntities === 0 ? 1 : hits / builtEntities,
    verdicts,
  };
}
