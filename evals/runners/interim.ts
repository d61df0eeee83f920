// The interim runner: builds a connector with the admin MCP tools an offline agent would call,
// in the same order, with no other knowledge — import_openapi with the spec (or, from a docs
// page, discover_spec and then import_openapi on the best confirmed spec), then per CDM entity
// the import guessed (its most confident schema), suggest_mapping on the single-record read of
// that schema (else its list), and save_mapping of the suggested expressions. It stands in for
// the Connector Agent where that is not wanted (`--runner interim`) and keeps the scorers honest
// against a second builder.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { messageOf } from '../cases.ts';
import { callTool, type BuildOutcome, type CaseRunner } from './types.ts';

interface EntityGuess {
  schema: string;
  cdmEntity: string | null;
  confidence: number;
  operations: Partial<Record<'list' | 'get' | 'create' | 'update' | 'delete', string>>;
}

interface ActionRow {
  slug: string;
  method: string;
  path: string;
}

/** The action for "METHOD /spec/path": exact, else the action whose path ends the same way. */
export function actionForOperation(
  actions: readonly ActionRow[],
  operation: string,
): ActionRow | undefined {
  const [method = '', path = ''] = operation.split(' ');
  const same = actions.filter((a) => a.method.toUpperCase() === method.toUpperCase());
  return (
    same.find((a) => a.path === path) ??
    same.find((a) => path.endsWith(a.path) || a.path.endsWith(path))
  );
}

async function importSpec(
  client: Client,
  args: Record<string, unknown>,
): Promise<{ slug: string; entities: EntityGuess[] }> {
  const outcome = await callTool(client, 'import_openapi', {
    ...args,
    selection: { mode: 'all' },
  });
  return {
    slug: String(outcome['slug']),
    entities: (outcome['entities'] as EntityGuess[] | undefined) ?? [],
  };
}

async function mapEntities({
  client,
  slug,
  entities,
  notes,
}: {
  client: Client;
  slug: string;
  entities: readonly EntityGuess[];
  notes: string[];
}): Promise<Record<string, string>> {
  const exported = await callTool(client, 'export_connector', { connector: slug });
  const actions = (exported['actions'] as ActionRow[] | undefined) ?? [];
  const best = new Map<string, EntityGuess>();
  for (const guess of entities) {
    if (guess.cdmEntity === null) continue;
    const held = best.get(guess.cdmEntity);
    if (held === undefined || guess.confidence > held.confidence) best.set(guess.cdmEntity, guess);
  }
  const mappingActions: Record<string, string> = {};
  for (const [entity, guess] of best) {
    const operation = guess.operations.get ?? guess.operations.list;
    const action = operation === undefined ? undefined : actionForOperation(actions, operation);
    if (action === undefined) continue;
    try {
      const suggestion = await callTool(client, 'suggest_mapping', {
        connector: slug,
        action: action.slug,
        entity,
      });
      const fields = suggestion['mapping'] as Record<string, string> | undefined;
      if (fields === undefined || Object.keys(fields).length === 0) continue;
      await callTool(client, 'save_mapping', {
        connector: slug,
        entity,
        direction: 'to_canonical',
        fields,
        note: `suggested from ${action.slug}`,
      });
      mappingActions[entity] = action.slug;
    } catch (cause) {
      notes.push(`${entity}: ${messageOf(cause)}`);
    }
  }
  return mappingActions;
}

export const interimRunner: CaseRunner = {
  name: 'interim',
  async build({ client, source }): Promise<BuildOutcome> {
    const notes: string[] = [];
    let imported: { slug: string; entities: EntityGuess[] };
    if (source.kind === 'spec') {
      imported = await importSpec(client, { text: source.text });
    } else {
      const found = await callTool(client, 'discover_spec', { docsUrl: source.url });
      const best = (found['candidates'] as { url: string; confirmed: boolean }[]).find(
        (c) => c.confirmed,
      );
      if (best === undefined)
        return {
          connector: null,
          mappingActions: {},
          status: 'failed',
          message: 'no spec found from the docs page (the interim runner has no manual builder)',
          fixes: [],
          usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
        };
      imported = await importSpec(client, { url: best.url });
    }
    const mappingActions = await mapEntities({
      client,
      slug: imported.slug,
      entities: imported.entities,
      notes,
    });
    return {
      connector: imported.slug,
      mappingActions,
      status: 'completed',
      message: notes.length === 0 ? 'done' : notes.join('; '),
      fixes: [],
      usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 },
    };
  },
};
