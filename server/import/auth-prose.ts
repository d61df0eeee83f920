/**
 * What a security scheme's description says about placement, read from prose because specs
 * often declare `apiKey in: header name: Authorization` and leave the scheme word ("Token",
 * "Bearer") to a sentence like "send `Authorization: Token <key>`". Only patterns that name a
 * placeholder (<key>, {token}, YOUR_KEY…) are trusted; anything vaguer yields no hint, and the
 * caller warns that it cannot tell.
 */

export interface ProseHint {
  /** Where the credential goes, as the prose states it. */
  in: 'header' | 'query';
  name: string;
  /** What comes before the credential, with its trailing space ("Token "), or "" for none. */
  prefix: string;
}

const PLACEHOLDER = String.raw`(?:<[^>\n]{1,40}>|\{\{?[^}\n]{1,40}\}?\}|\[[^\]\n]{1,40}\]|[A-Z][A-Z0-9_]{2,40}\b|\.\.\.|xxx+)`;

// "Authorization: Token <token>", "X-Api-Key: {key}", "`Authorization: Bearer YOUR_TOKEN`"
const HEADER_LINE = new RegExp(
  String.raw`([A-Za-z][A-Za-z0-9-]{1,60})\s*:\s*(?:["'\`]?)((?:[A-Za-z][A-Za-z0-9_.-]{0,30}[ ]+)?)${PLACEHOLDER}`,
);
// "pass it as X-Api-Key", "in the X-Api-Key header", "header named X-Api-Key"
const HEADER_NAMED =
  /(?:pass(?:ed)?|send|sent|put|provide[ds]?)\s+(?:it|the (?:key|token))\s+(?:as|in)\s+(?:the\s+)?[`"']?([A-Za-z][A-Za-z0-9-]{1,60})[`"']?(?:\s+header)?|(?:in|via)\s+the\s+[`"']?([A-Za-z][A-Za-z0-9-]{1,60})[`"']?\s+header|header\s+(?:named|called)\s+[`"']?([A-Za-z][A-Za-z0-9-]{1,60})/i;
// "?api_key=<key>", "query parameter api_key"
const QUERY_NAMED =
  /[?&]([A-Za-z][A-Za-z0-9_.-]{0,60})=|query (?:parameter|param|string parameter)\s+(?:named\s+)?[`"']?([A-Za-z][A-Za-z0-9_.-]{0,60})/i;

const NOT_HEADERS = new Set([
  'http',
  'https',
  'example',
  'note',
  'e.g',
  'eg',
  'format',
  'value',
  'query',
  'header',
]);

export function placementFromProse(description: unknown): ProseHint | null {
  if (typeof description !== 'string' || description.trim() === '') return null;
  const text = description.slice(0, 4000);
  const query = QUERY_NAMED.exec(text);
  const param = query?.[1] ?? query?.[2];
  if (param !== undefined) return { in: 'query', name: param, prefix: '' };
  const line = HEADER_LINE.exec(text);
  if (line?.[1] !== undefined && !NOT_HEADERS.has(line[1].toLowerCase())) {
    const prefix = (line[2] ?? '').trim();
    return { in: 'header', name: line[1], prefix: prefix === '' ? '' : `${prefix} ` };
  }
  const named = HEADER_NAMED.exec(text);
  const header = named?.[1] ?? named?.[2] ?? named?.[3];
  if (header !== undefined && !NOT_HEADERS.has(header.toLowerCase()))
    return { in: 'header', name: header, prefix: '' };
  return null;
}
