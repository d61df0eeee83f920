// What a polled App Event remembers between polls, and the comparison that turns a list of
// records into "what is new or changed since last time".
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { isLater, isObject, updatedValueOf, type CursorParam } from './conventions.ts';

/** Records remembered per trigger; the oldest-seen are forgotten first. */
export const MAX_TRACKED = 2000;
/** Records read per poll; below MAX_TRACKED so that one poll never evicts its own records. */
export const MAX_POLL_ITEMS = 1000;

export const PollStateSchema = z
  .object({
    version: z.literal(1),
    /** [identity, content hash], least recently seen first. */
    seen: z.array(z.tuple([z.string().max(300), z.string().max(64)])).max(MAX_TRACKED),
    cursor: z
      .object({
        param: z.string(),
        kind: z.enum(['since', 'token']),
        value: z.union([z.string().max(2000), z.number()]),
      })
      .strict()
      .nullable(),
  })
  .strict()
  .describe('Kept by the caller between polls of one App Event trigger (JSON)');
export type PollState = z.infer<typeof PollStateSchema>;

/** JSON with sorted keys: the same record always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonical(value)).digest('base64url').slice(0, 22);
}

/** `id`, `_id` or `uuid` when the record has one; otherwise its content hash. */
export function identityOf(record: unknown): string {
  if (isObject(record)) {
    for (const key of ['id', '_id', 'uuid']) {
      const id = record[key];
      if ((typeof id === 'string' && id !== '') || typeof id === 'number')
        return `id:${String(id).slice(0, 290)}`;
    }
  }
  return `h:${contentHash(record)}`;
}

/**
 * Compares a poll's records with what the state remembers. Without a previous state nothing is
 * emitted: the records become the baseline. `complete` says the records are the provider's whole
 * list (no since-filter, not cut at MAX_POLL_ITEMS): then the state is exactly those records, so
 * a deleted one is forgotten; otherwise they are merged into what is remembered.
 */
export function diffRecords({
  previous,
  records,
  cursorParam,
  nextToken,
  complete,
}: {
  previous: PollState | null;
  records: readonly unknown[];
  cursorParam: CursorParam | null;
  /** For a token cursor: the token this answer handed out. */
  nextToken: string | null;
  complete: boolean;
}): { records: unknown[]; state: PollState } {
  const seen = new Map<string, string>(complete ? [] : (previous?.seen ?? []));
  const known = new Map<string, string>(previous?.seen ?? []);
  const emitted: unknown[] = [];
  for (const record of records) {
    const identity = identityOf(record);
    const hash = contentHash(record);
    const before = known.get(identity);
    if (previous !== null && before !== hash) emitted.push(record);
    known.set(identity, hash);
    seen.delete(identity);
    seen.set(identity, hash);
  }
  while (seen.size > MAX_TRACKED) {
    const oldest = seen.keys().next();
    if (oldest.done === true) break;
    seen.delete(oldest.value);
  }
  return {
    records: emitted,
    state: {
      version: 1,
      seen: [...seen],
      cursor: nextCursor({ previous, records, cursorParam, nextToken }),
    },
  };
}

function nextCursor({
  previous,
  records,
  cursorParam,
  nextToken,
}: {
  previous: PollState | null;
  records: readonly unknown[];
  cursorParam: CursorParam | null;
  nextToken: string | null;
}): PollState['cursor'] {
  if (cursorParam === null) return null;
  const kept =
    previous?.cursor?.param === cursorParam.name && previous.cursor.kind === cursorParam.kind
      ? previous.cursor
      : null;
  if (cursorParam.kind === 'token') {
    return nextToken === null
      ? kept
      : { param: cursorParam.name, kind: 'token', value: nextToken.slice(0, 2000) };
  }
  let latest = kept?.value ?? null;
  for (const record of records) {
    const updated = updatedValueOf(record);
    if (updated !== null && (latest === null || isLater(updated, latest))) latest = updated;
  }
  if (latest === null) return null;
  return {
    param: cursorParam.name,
    kind: 'since',
    value: typeof latest === 'string' ? latest.slice(0, 2000) : latest,
  };
}
