import { describe, expect, it } from 'vitest';
import type { Action, Parameter } from '../../domain/connector.ts';
import {
  cursorParamOf,
  itemsOf,
  nextTokenOf,
  subscribeInput,
  subscriptionIdOf,
  unsubscribeInput,
  withoutSecrets,
} from './conventions.ts';
import { diffRecords, identityOf, MAX_TRACKED, type PollState } from './poll-state.ts';

function action(parameters: Partial<Parameter>[], extra: Partial<Action> = {}): Action {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    connectorId: '00000000-0000-4000-8000-000000000002',
    slug: 'act',
    name: 'Act',
    method: 'POST',
    path: '/x',
    bodyType: 'json',
    inputSchema: {},
    tags: [],
    deprecated: false,
    createdAt: '',
    updatedAt: '',
    ...extra,
    parameters: parameters.map((p) => ({ name: 'p', in: 'body', required: false, ...p })),
  };
}

const hook = { hookUrl: 'https://weft.test/h/1', event: 'order.created' };

describe('subscribe input', () => {
  it('fills the URL-like and the event-like parameters', () => {
    expect(
      subscribeInput({
        action: action([{ name: 'target_url' }, { name: 'topic' }, { name: 'name' }]),
        ...hook,
      }),
    ).toEqual({ target_url: hook.hookUrl, topic: 'order.created' });
    expect(
      subscribeInput({
        action: action([
          { name: 'enabled_events', schema: { type: 'array' } },
          { name: 'callbackUrl', in: 'query' },
        ]),
        ...hook,
      }),
    ).toEqual({ callbackUrl: hook.hookUrl, enabled_events: ['order.created'] });
    // A wire name counts; so does format: uri.
    expect(
      subscribeInput({ action: action([{ name: 'dest', wireName: 'url' }]), ...hook }),
    ).toEqual({ dest: hook.hookUrl });
    expect(
      subscribeInput({
        action: action([{ name: 'destination', schema: { type: 'string', format: 'uri' } }]),
        ...hook,
      }),
    ).toEqual({ destination: hook.hookUrl });
  });

  it('builds a whole body from its schema, or { url, event }', () => {
    expect(
      subscribeInput({
        action: action([
          {
            name: 'body',
            whole: true,
            schema: { type: 'object', properties: { address: {}, events: { type: 'array' } } },
          },
        ]),
        ...hook,
      }),
    ).toEqual({ body: { address: hook.hookUrl, events: ['order.created'] } });
    expect(subscribeInput({ action: action([{ name: 'body', whole: true }]), ...hook })).toEqual({
      body: { url: hook.hookUrl, event: 'order.created' },
    });
  });

  it('refuses an action with no place for the URL', () => {
    expect(() => subscribeInput({ action: action([{ name: 'name' }]), ...hook })).toThrow(
      /declares no parameter for the hook URL/,
    );
  });
});

describe('unsubscribe input and subscription ids', () => {
  it('puts the id where the action takes one', () => {
    const id = 'wh_1';
    expect(unsubscribeInput({ action: action([{ name: 'hookId', in: 'path' }]), id })).toEqual({
      hookId: id,
    });
    expect(
      unsubscribeInput({
        action: action([
          { name: 'account', in: 'path' },
          { name: 'id', in: 'path' },
        ]),
        id,
      }),
    ).toEqual({ id });
    expect(unsubscribeInput({ action: action([{ name: 'sid', in: 'path' }]), id })).toEqual({
      sid: id,
    });
    expect(unsubscribeInput({ action: action([{ name: 'webhook_id', in: 'query' }]), id })).toEqual(
      { webhook_id: id },
    );
    expect(unsubscribeInput({ action: action([{ name: 'b', whole: true }]), id })).toEqual({
      b: { id },
    });
    expect(() => unsubscribeInput({ action: action([]), id })).toThrow(/subscription id/);
  });

  it('reads the id of a new subscription', () => {
    expect(subscriptionIdOf({ id: 'a', hook_id: 'b' })).toBe('a');
    expect(subscriptionIdOf({ id: 42 })).toBe('42');
    expect(subscriptionIdOf({ valid: 'x', webhook_id: 'w' })).toBe('w');
    expect(subscriptionIdOf({ subscriptionId: 's' })).toBe('s');
    expect(subscriptionIdOf({ data: { id: 'd' } })).toBe('d');
    expect(subscriptionIdOf({ ok: true })).toBeUndefined();
    expect(subscriptionIdOf('text')).toBeUndefined();
  });

  it('keeps no secrets in the stored details', () => {
    expect(
      withoutSecrets({ id: 'a', secret: 's', data: { signing_key: 'k', url: 'u', apiKey: 'x' } }),
    ).toEqual({ id: 'a', data: { url: 'u' } });
  });
});

describe('poll conventions', () => {
  it('finds a since-parameter, never a pagination one; a token only without pagination', () => {
    const paged = action(
      [
        { name: 'cursor', in: 'query' },
        { name: 'modified_after', in: 'query' },
      ],
      {
        pagination: {
          style: 'cursor',
          cursorParam: 'cursor',
          nextCursorPath: 'next',
          itemsPath: 'data',
        },
      },
    );
    expect(cursorParamOf(paged)).toEqual({
      kind: 'since',
      name: 'modified_after',
      wire: 'modified_after',
    });
    expect(
      cursorParamOf(
        action([{ name: 'cursor', in: 'query' }], {
          pagination: {
            style: 'cursor',
            cursorParam: 'cursor',
            nextCursorPath: 'next',
            itemsPath: 'data',
          },
        }),
      ),
    ).toBeNull();
    const token = cursorParamOf(action([{ name: 'syncToken', in: 'query' }]));
    expect(token).toEqual({ kind: 'token', name: 'syncToken', wire: 'syncToken' });
    expect(nextTokenOf({ body: { items: [], nextSyncToken: 't2' }, param: token! })).toBe('t2');
  });

  it('finds the list in an answer', () => {
    expect(itemsOf({ items: [1], body: null })).toEqual([1]);
    expect(itemsOf({ items: undefined, body: [2] })).toEqual([2]);
    expect(itemsOf({ items: undefined, body: { results: [3], meta: {} } })).toEqual([3]);
    expect(itemsOf({ items: undefined, body: { things: [4] } })).toEqual([4]);
    expect(itemsOf({ items: undefined, body: { a: [], b: [] } })).toBeNull();
  });

  it('emits nothing first, then new and changed records; hashes identify records without ids', () => {
    const base = diffRecords({
      previous: null,
      records: [{ id: 1, v: 'a' }, { name: 'no id' }],
      cursorParam: null,
      nextToken: null,
      complete: true,
    });
    expect(base.records).toEqual([]);
    expect(base.state.seen.map(([k]) => k)).toEqual(['id:1', identityOf({ name: 'no id' })]);
    const next = diffRecords({
      previous: base.state,
      records: [{ v: 'b', id: 1 }, { name: 'no id' }, { id: 2 }],
      cursorParam: null,
      nextToken: null,
      complete: true,
    });
    expect(next.records).toEqual([{ v: 'b', id: 1 }, { id: 2 }]);
    // Key order does not change a record's hash.
    const same = diffRecords({
      previous: next.state,
      records: [{ id: 1, v: 'b' }, { name: 'no id' }, { id: 2 }],
      cursorParam: null,
      nextToken: null,
      complete: true,
    });
    expect(same.records).toEqual([]);
  });

  it('forgets the least recently seen records beyond the bound, and keeps the latest since value', () => {
    const seen: [string, string][] = Array.from({ length: MAX_TRACKED }, (_, i) => [
      `id:${i}`,
      'h',
    ]);
    const previous: PollState = {
      version: 1,
      seen,
      cursor: { param: 'since', kind: 'since', value: '2025-01-01T00:00:00Z' },
    };
    const out = diffRecords({
      previous,
      records: [
        { id: 'new', updated_at: '2025-02-01T00:00:00Z' },
        { id: 'older', updated_at: '2024-12-01T00:00:00Z' },
      ],
      cursorParam: { kind: 'since', name: 'since', wire: 'since' },
      nextToken: null,
      complete: false,
    });
    expect(out.records).toHaveLength(2);
    expect(out.state.seen).toHaveLength(MAX_TRACKED);
    expect(out.state.seen[0]?.[0]).toBe('id:2');
    expect(out.state.seen.at(-1)?.[0]).toBe('id:older');
    expect(out.state.cursor).toEqual({
      param: 'since',
      kind: 'since',
      value: '2025-02-01T00:00:00Z',
    });
  });
});
