import type { Pagination } from '../domain/connector.ts';
import { getPath, type OutboundResponse } from './types.ts';

export function itemsOf(pagination: Pagination, body: unknown): unknown[] {
  const items = pagination.itemsPath === undefined ? body : getPath(body, pagination.itemsPath);
  return Array.isArray(items) ? items : [];
}

/** The next `rel="next"` target of an RFC 8288 Link header. */
export function nextLink(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (match && /\brel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(match[2] ?? ''))
      return match[1] ?? null;
  }
  return null;
}

export type NextPage = { input: Record<string, unknown> } | { url: string } | null;

/**
 * Given one page, the input (or, for Link headers, the URL) of the next one; null at the end.
 * A page with no items ends the walk too, so a misdeclared style cannot loop forever.
 */
export function nextPage({
  pagination,
  input,
  response,
  body,
}: {
  pagination: Pagination;
  input: Record<string, unknown>;
  response: OutboundResponse;
  body: unknown;
}): NextPage {
  const items = itemsOf(pagination, body);
  switch (pagination.style) {
    case 'cursor': {
      const cursor = getPath(body, pagination.nextCursorPath);
      if (
        cursor === undefined ||
        cursor === null ||
        cursor === '' ||
        cursor === false ||
        items.length === 0
      )
        return null;
      if (input[pagination.cursorParam] === cursor) return null;
      return { input: { ...input, [pagination.cursorParam]: cursor } };
    }
    case 'offset': {
      if (items.length === 0) return null;
      const offset = Number(input[pagination.offsetParam] ?? 0) + items.length;
      const total =
        pagination.totalPath === undefined
          ? undefined
          : Number(getPath(body, pagination.totalPath));
      if (total !== undefined && Number.isFinite(total) && offset >= total) return null;
      const limit = Number(input[pagination.limitParam] ?? Number.NaN);
      if (Number.isFinite(limit) && items.length < limit) return null;
      return { input: { ...input, [pagination.offsetParam]: offset } };
    }
    case 'page': {
      if (items.length === 0) return null;
      if (pagination.hasMorePath !== undefined && getPath(body, pagination.hasMorePath) !== true)
        return null;
      const page = Number(input[pagination.pageParam] ?? pagination.firstPage) + 1;
      return { input: { ...input, [pagination.pageParam]: page } };
    }
    case 'link': {
      const next = nextLink(response.headers['link']);
      return next === null ? null : { url: next };
    }
  }
}
