/**
 * A reversible encoding for text Postgres cannot hold, applied to the columns that store workflow
 * data and webhook payloads (execution input/output/error/logs/spans/steps, state, trigger
 * events) so that whatever a workflow or a sender produced is stored and read back unchanged.
 *
 * Postgres text and jsonb refuse U+0000, and jsonb refuses unpaired UTF-16 surrogates (which the
 * pg driver would otherwise turn into U+FFFD in text). Each such code unit, and the escape
 * character itself, is written as U+E000 (a private-use character) followed by its four lower-case
 * hex digits: NUL is "\uE000" + "0000", a lone U+D800 is "\uE000" + "d800", a U+E000 in the data is
 * "\uE000" + "e000". Keys and values alike are encoded. Text without these characters is stored
 * as is, so ordinary data (and SQL over it) is unaffected. Values are decoded on read by the
 * repositories; SQL that reads these columns directly sees the encoded form.
 */

const ESCAPE = '\uE000';

// In JSON.stringify output: an escaped backslash (skipped, so the escape after it is not misread),
// \u0000, an escaped lone surrogate (JSON.stringify escapes only unpaired ones), or the escape
// character, which JSON.stringify writes as is.
const JSON_NEEDS_ENCODING = /\\u0000|\\ud[89a-f]|\uE000/;
const JSON_ENCODE = /\\\\|\\u(0000|d[89a-f][0-9a-f]{2})|\uE000/g;
const TEXT_ENCODE =
  // eslint-disable-next-line no-control-regex -- NUL is exactly what is being encoded
  /[\u0000\uE000]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const DECODE = /\uE000(0000|d[89a-f][0-9a-f]{2}|e000)/g;

function hex4(code: number): string {
  return code.toString(16).padStart(4, '0');
}

/** JSON text for a jsonb parameter, with what jsonb cannot hold encoded; null for null/undefined. */
export function toStoredJson(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  const text = JSON.stringify(value);
  return text === undefined ? null : encodeJsonText(text);
}

/** `toStoredJson` for text that JSON.stringify already wrote (it escapes lone surrogates). */
export function encodeJsonText(text: string): string {
  if (!JSON_NEEDS_ENCODING.test(text)) return text;
  return text.replace(JSON_ENCODE, (match, escaped: string | undefined) => {
    if (match === '\\\\') return match;
    if (escaped !== undefined) return `\\ue000${escaped}`;
    return `\\ue000e000`;
  });
}

/** A value read from a jsonb column written with `toStoredJson`, as it was before encoding. */
export function fromStoredJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'string' ? (fromStoredText(value) as T) : value;
  }
  const text = JSON.stringify(value);
  if (!text.includes(ESCAPE)) return value;
  // JSON.stringify writes U+E000 and hex digits as they are, and the escape only ever occurs
  // inside a string: substituting JSON escapes in the text decodes keys and values alike.
  return JSON.parse(
    text.replace(DECODE, (_match, code: string) => (code === 'e000' ? ESCAPE : `\\u${code}`)),
  ) as T;
}

/** A string for a text column, with what text cannot hold encoded. */
export function toStoredText(value: string): string;
export function toStoredText(value: string | null): string | null;
export function toStoredText(value: string | null): string | null {
  if (value === null) return null;
  return value.replace(TEXT_ENCODE, (c) => ESCAPE + hex4(c.charCodeAt(0)));
}

/** A string read from a text column written with `toStoredText`. */
export function fromStoredText(value: string): string;
export function fromStoredText(value: string | null): string | null;
export function fromStoredText(value: string | null): string | null {
  if (value === null || !value.includes(ESCAPE)) return value;
  return value.replace(DECODE, (_match, code: string) =>
    String.fromCharCode(Number.parseInt(code, 16)),
  );
}
