import { isUuid } from '../db/database.ts';
import { AppError } from '../errors.ts';

/** Where a page ends in a newest-first listing: the last item's time and id. */
export interface CursorKey {
  createdAt: string;
  id: string;
}

/** The opaque cursor clients pass back for the next page. */
export function encodeCursor({ createdAt, id }: CursorKey): string {
  return Buffer.from(`${createdAt}|${id}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): CursorKey {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!createdAt || !id || Number.isNaN(Date.parse(createdAt)) || !isUuid(id)) {
    throw new AppError(
      'bad_request',
      'cursor is not one this API returned; start again without it',
    );
  }
  return { createdAt, id };
}

/** A page of at most `limit` items; a full page carries the cursor of its last item. */
export function pageOfItems<T>({
  items,
  limit,
  keyOf,
}: {
  items: T[];
  limit: number;
  keyOf: (item: T) => CursorKey;
}): { data: T[]; nextCursor: string | null } {
  const last = items.length === limit ? items[items.length - 1] : undefined;
  return { data: items, nextCursor: last === undefined ? null : encodeCursor(keyOf(last)) };
}
