import type { z } from 'zod';
import { ConnectorDocumentSchema, type ConnectorDocument } from '../domain/connector.ts';
import { AppError } from '../errors.ts';
import { addWarning, type ImportWarning } from './types.ts';

/**
 * The last step of every import: the document must pass ConnectorDocumentSchema. Whatever does
 * not (an action, an event, an auth method, an optional connector field) is dropped with a
 * warning rather than failing the import.
 */

export type DocumentDraft = z.input<typeof ConnectorDocumentSchema>;
type ActionDraft = NonNullable<DocumentDraft['actions']>[number];
type EventDraft = NonNullable<DocumentDraft['events']>[number];

const MAX_ATTEMPTS = 10;
const OPTIONAL_ACTION_FIELDS = new Set([
  'description',
  'pagination',
  'outputSchema',
  'inputSchema',
  'cdmEntity',
  'tags',
]);
const OPTIONAL_EVENT_FIELDS = new Set([
  'description',
  'payloadSchema',
  'subscription',
  'signature',
]);
const OPTIONAL_CONNECTOR_FIELDS = new Set([
  'description',
  'domain',
  'iconUrl',
  'baseUrl',
  'rateLimit',
  'serverVariables',
]);

/** What the connector service refuses on import (checkAction) although the schema allows it. */
function actionProblem(action: ActionDraft): string | undefined {
  const parameters = action.parameters ?? [];
  const names = new Set<string>();
  for (const p of parameters) {
    if (names.has(p.name)) return `parameter ${p.name} appears twice`;
    names.add(p.name);
  }
  for (const match of action.path.matchAll(/\{([^}]+)\}/g)) {
    const name = match[1] ?? '';
    if (!parameters.some((p) => p.in === 'path' && (p.wireName ?? p.name) === name))
      return `the path uses {${name}} but no path parameter is named ${name}`;
  }
  const wholes = parameters.filter((p) => p.in === 'body' && p.whole === true).length;
  if (wholes > 1) return 'only one parameter can be the whole body';
  if (wholes === 1 && parameters.some((p) => p.in === 'body' && p.whole !== true))
    return 'a whole-body input cannot sit beside body fields';
  return undefined;
}

/** Events subscribed through actions that are not in the document fall back to manual. */
export function fixSubscriptions({
  events,
  slugs,
}: {
  events: EventDraft[];
  slugs: ReadonlySet<string>;
}): EventDraft[] {
  return events.map((event) => {
    const s = event.subscription;
    if (s === undefined) return event;
    if (s.mode === 'webhook') {
      if (s.subscribeAction !== undefined && !slugs.has(s.subscribeAction))
        return { ...event, subscription: { mode: 'manual' } };
      if (s.unsubscribeAction !== undefined && !slugs.has(s.unsubscribeAction)) {
        const { unsubscribeAction: _dropped, ...rest } = s;
        return { ...event, subscription: rest };
      }
    }
    if (s.mode === 'poll' && !slugs.has(s.action))
      return { ...event, subscription: { mode: 'manual' } };
    return event;
  });
}

export function validateDocument({
  document,
  warnings,
  pointers,
}: {
  document: DocumentDraft;
  warnings: ImportWarning[];
  /** Spec location of each action slug, for warnings. */
  pointers?: ReadonlyMap<string, string>;
}): ConnectorDocument {
  let actions = (document.actions ?? []).filter((action) => {
    const problem = actionProblem(action);
    if (problem !== undefined)
      addWarning(warnings, {
        path: pointers?.get(action.slug) ?? '',
        reason: `action ${action.slug} dropped: ${problem}`,
      });
    return problem === undefined;
  });
  let events = [...(document.events ?? [])];
  let connector = { ...document.connector };

  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    events = fixSubscriptions({ events, slugs: new Set(actions.map((a) => a.slug)) });
    actions = [...actions];
    const result = ConnectorDocumentSchema.safeParse({ ...document, connector, actions, events });
    if (result.success) return result.data;
    const dropActions = new Map<number, string>();
    const dropEvents = new Map<number, string>();
    const dropAuth = new Map<number, string>();
    for (const issue of result.error.issues) {
      const [top, index, field] = issue.path;
      const where = issue.path.join('.');
      const reason = `${issue.message} (at ${where})`.slice(0, 500);
      if (top === 'actions' && typeof index === 'number') {
        const action = actions[index];
        if (
          action !== undefined &&
          typeof field === 'string' &&
          OPTIONAL_ACTION_FIELDS.has(field)
        ) {
          // Losing pagination or an output schema is better than losing the action.
          const { [field as keyof ActionDraft]: _dropped, ...rest } = action;
          actions[index] = rest as ActionDraft;
          addWarning(warnings, {
            path: pointers?.get(action.slug) ?? '',
            reason: `action ${action.slug}: ${field} dropped: ${reason}`,
          });
        } else dropActions.set(index, reason);
      } else if (top === 'events' && typeof index === 'number') {
        const event = events[index];
        if (event !== undefined && typeof field === 'string' && OPTIONAL_EVENT_FIELDS.has(field)) {
          const { [field as keyof EventDraft]: _dropped, ...rest } = event;
          events[index] = rest as EventDraft;
          addWarning(warnings, {
            path: '',
            reason: `event ${event.name}: ${field} dropped: ${reason}`,
          });
        } else dropEvents.set(index, reason);
      } else if (top === 'connector' && index === 'authMethods' && typeof field === 'number')
        dropAuth.set(field, reason);
      else if (top === 'connector' && index === 'authMethods') {
        // Duplicate keys: number them.
        const seen = new Set<string>();
        connector = {
          ...connector,
          authMethods: (connector.authMethods ?? []).map((m, i) => {
            const key = seen.has(m.key) ? `${m.key.slice(0, 36)}_${i}` : m.key;
            seen.add(key);
            return { ...m, key };
          }),
        };
      } else if (
        top === 'connector' &&
        typeof index === 'string' &&
        OPTIONAL_CONNECTOR_FIELDS.has(index)
      ) {
        const { [index as keyof typeof connector]: _dropped, ...rest } = connector;
        connector = rest as typeof connector;
        addWarning(warnings, { path: '', reason: `connector ${index} dropped: ${reason}` });
      } else if (top === 'connector' && index === 'slug') {
        connector = { ...connector, slug: 'api' };
      } else if (top === 'connector' && index === 'name') {
        connector = { ...connector, name: 'Imported API' };
      } else {
        throw new AppError('validation_failed', `the imported document is not valid: ${reason}`);
      }
    }
    actions = actions.filter((a, i) => {
      const reason = dropActions.get(i);
      if (reason !== undefined)
        addWarning(warnings, {
          path: pointers?.get(a.slug) ?? '',
          reason: `action ${a.slug} dropped: ${reason}`,
        });
      return reason === undefined;
    });
    events = events.filter((e, i) => {
      const reason = dropEvents.get(i);
      if (reason !== undefined)
        addWarning(warnings, { path: '', reason: `event ${e.name} dropped: ${reason}` });
      return reason === undefined;
    });
    if (dropAuth.size > 0) {
      const kept = (connector.authMethods ?? []).filter((m, i) => {
        const reason = dropAuth.get(i);
        if (reason !== undefined)
          addWarning(warnings, { path: '', reason: `auth method ${m.key} dropped: ${reason}` });
        return reason === undefined;
      });
      connector = {
        ...connector,
        authMethods: kept.length > 0 ? kept : [{ key: 'none', type: 'none' }],
      };
    }
  }
  throw new AppError('validation_failed', 'the imported document could not be made valid');
}
