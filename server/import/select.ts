import type { CrudKind, EntityGuess, ImportResult, ImportWarning } from './types.ts';
import { addWarning, type ActionSelection } from './types.ts';
import { fixSubscriptions } from './validate.ts';

/**
 * Keeps the chosen actions of an import: all, those with one of the tags, a list of slugs, or
 * the N best ranked. Events subscribed through a dropped action fall back to manual
 * subscription; tags or slugs that match nothing are reported as warnings.
 */
export function selectActions({
  result,
  selection,
}: {
  result: ImportResult;
  selection: ActionSelection;
}): ImportResult {
  const warnings: ImportWarning[] = [...result.warnings];
  const actions = result.document.actions;
  let keep: Set<string>;
  switch (selection.mode) {
    case 'all':
      return { ...result, warnings };
    case 'tag': {
      const wanted = new Map(selection.tags.map((t) => [t.toLowerCase(), t]));
      const matched = new Set<string>();
      keep = new Set();
      for (const action of actions)
        for (const tag of action.tags) {
          const lower = tag.toLowerCase();
          if (wanted.has(lower)) {
            keep.add(action.slug);
            matched.add(lower);
          }
        }
      const known = [...new Set(actions.flatMap((a) => a.tags))];
      for (const [lower, tag] of wanted)
        if (!matched.has(lower))
          addWarning(warnings, {
            path: '',
            reason: `no action has the tag '${tag}'${known.length > 0 ? `; tags: ${known.slice(0, 20).join(', ')}` : ''}`,
          });
      break;
    }
    case 'list': {
      const bySlug = new Map(actions.map((a) => [a.slug.toLowerCase(), a.slug]));
      keep = new Set();
      for (const slug of selection.slugs) {
        const found = bySlug.get(slug.toLowerCase());
        if (found === undefined)
          addWarning(warnings, { path: '', reason: `no action '${slug}' in the spec` });
        else keep.add(found);
      }
      break;
    }
    case 'top':
      keep = new Set(result.ranking.slice(0, Math.max(0, selection.n)).map((r) => r.slug));
      break;
  }
  const kept = actions.filter((a) => keep.has(a.slug));
  const slugs = new Set(kept.map((a) => a.slug));
  const events = fixSubscriptions({
    events: result.document.events,
    slugs,
  }) as ImportResult['document']['events'];
  const entities: EntityGuess[] = result.entities.map((entity) => {
    const operations: Partial<Record<CrudKind, string>> = {};
    for (const [kind, route] of Object.entries(entity.operations) as [CrudKind, string][]) {
      const action = actions.find((a) => `${a.method} ${a.path}` === route);
      if (action === undefined || slugs.has(action.slug)) operations[kind] = route;
    }
    return { ...entity, operations };
  });
  return {
    document: { ...result.document, actions: kept, events },
    entities,
    ranking: result.ranking.filter((r) => slugs.has(r.slug)),
    warnings,
    stats: { ...result.stats, actions: kept.length, events: events.length },
  };
}
