// Event recall with names exactly as the provider sends them: `store/cart/created` is not
// `store.cart.created`, and `customer.created` is not `created.customer`. No normalisation of any
// kind; a rewritten name is a miss (and an extra, counted in precision).

export interface EventScore {
  expected: number;
  found: number;
  recall: number;
  /** Built events not in the gold, over the built events (1 when none were built). */
  precision: number;
  missing: string[];
}

export function scoreEvents({
  expected,
  built,
}: {
  expected: readonly string[];
  built: readonly string[];
}): EventScore {
  const names = new Set(built);
  const gold = new Set(expected);
  const missing = [...gold].filter((e) => !names.has(e));
  const found = gold.size - missing.length;
  const extra = [...names].filter((e) => !gold.has(e)).length;
  return {
    expected: gold.size,
    found,
    recall: gold.size === 0 ? 1 : found / gold.size,
    precision: names.size === 0 ? 1 : (names.size - extra) / names.size,
    missing: missing.slice(0, 20),
  };
}
