/**
 * Spec descriptions are often HTML (Stripe, PayPal, eBay, Asana, SendGrid write `<p>`, `<code>`,
 * `<a href>`, entities), but they end up in tool descriptions a model reads as text. This turns
 * them into plain text with light Markdown. Nothing here is rendered, so it only has to read
 * well, not be safe for a browser; still, links keep only absolute http(s) URLs.
 *
 * Only known formatting tags are read as tags: `<token>`, `<runbook_base_uri>` and the like are
 * placeholders in prose and stay as they are, and Markdown code spans are left untouched.
 */

const BLOCK = new Set([
  'p',
  'div',
  'section',
  'article',
  'blockquote',
  'center',
  'table',
  'caption',
  'figure',
  'ul',
  'ol',
  'dl',
  'tr',
]);
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
const WRAPPERS: Readonly<Record<string, string>> = {
  strong: '**',
  b: '**',
  em: '*',
  i: '*',
  code: '`',
  tt: '`',
  kbd: '`',
  samp: '`',
};
/** Tags dropped with their markup only: their text stays. */
const DROPPED = new Set([
  'span',
  'font',
  'u',
  's',
  'strike',
  'del',
  'ins',
  'sup',
  'sub',
  'small',
  'big',
  'mark',
  'abbr',
  'cite',
  'q',
  'thead',
  'tbody',
  'tfoot',
  'colgroup',
  'col',
  'wbr',
  'nobr',
  'figcaption',
  'td',
  'th',
  'dt',
  'dd',
  'li',
  'br',
  'hr',
  'pre',
  'a',
  'img',
]);

function isKnownTag(name: string): boolean {
  return (
    BLOCK.has(name) || HEADINGS.has(name) || DROPPED.has(name) || Object.hasOwn(WRAPPERS, name)
  );
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  ndash: '–',
  mdash: '—',
  hellip: '…',
  lsquo: '‘',
  rsquo: '’',
  ldquo: '“',
  rdquo: '”',
  laquo: '«',
  raquo: '»',
  bull: '•',
  middot: '·',
  copy: '©',
  reg: '®',
  trade: '™',
  times: '×',
  divide: '÷',
  deg: '°',
  plusmn: '±',
  le: '≤',
  ge: '≥',
  ne: '≠',
  larr: '←',
  rarr: '→',
  uarr: '↑',
  darr: '↓',
  euro: '€',
  pound: '£',
  yen: '¥',
  cent: '¢',
  sect: '§',
  para: '¶',
  zwj: '',
  zwnj: '',
  shy: '',
};

function decodeEntities(text: string): string {
  return text.replace(
    /&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,8});/g,
    (whole, body: string) => {
      if (body.startsWith('#')) {
        const code =
          body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : Number(body.slice(1));
        // Control characters and lone surrogates would only corrupt the text.
        if (code < 32 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return whole;
        return String.fromCodePoint(code);
      }
      return Object.hasOwn(NAMED_ENTITIES, body) ? (NAMED_ENTITIES[body] ?? whole) : whole;
    },
  );
}

/** An absolute http(s) URL, without the stray quotes specs leave in attributes; else null. */
function linkTarget(attributes: string): string | null {
  const match = /\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/i.exec(attributes);
  // Entities in it are decoded with the rest of the text.
  const raw = (match?.[1] ?? match?.[2] ?? match?.[3] ?? '').trim().replace(/["']+$/, '');
  return /^https?:\/\/[^\s"'<>()[\]]+$/i.test(raw) ? raw : null;
}

function altText(attributes: string): string {
  const match = /\balt\s*=\s*(?:"([^"]*)"|'([^']*)')/i.exec(attributes);
  return (match?.[1] ?? match?.[2] ?? '').trim();
}

// Each alternative starts on a different character and none crosses a `<`: an attempt ends at
// the next `<` at the latest, so scanning stays linear even on text full of `<a <a <a`.
const TAG =
  /<(\/?)([a-zA-Z][a-zA-Z0-9]{0,20})((?:\s(?:[^<>"']|"[^"<]{0,2000}"|'[^'<]{0,2000}'){0,2000})?)\s*\/?>/g;

/** Descriptions are cut to 20,000 characters at most once converted; more input only costs time. */
const MAX_INPUT = 200_000;

/** Drops comments, scripts and styles with what they hold (by search, not a lazy regex: linear). */
function dropSections({
  text,
  open,
  close,
}: {
  text: string;
  open: string;
  close: string;
}): string {
  const lower = text.toLowerCase();
  let out = '';
  let at = 0;
  for (;;) {
    const start = lower.indexOf(open, at);
    const end = start < 0 ? -1 : lower.indexOf(close, start + open.length);
    if (end < 0) break;
    out += text.slice(at, start);
    at = end + close.length;
  }
  return out + text.slice(at);
}

interface Open {
  name: string;
  /** Index in `parts` where the element's content starts. */
  start: number;
  href: string | null;
}

/** Plain text with light Markdown from a description that may hold HTML; other text is unchanged. */
export function htmlToText(text: string): string {
  if (!/[<&]/.test(text)) return text;
  // Markdown code spans are literal: set aside so that nothing in them is read as HTML.
  const spans: string[] = [];
  const withSpans = text
    .slice(0, MAX_INPUT)
    .replace(/\uE000/g, '')
    .replace(/`[^`\n]{1,500}`/g, (span) => `\uE000${spans.push(span) - 1}\uE000`);
  const source = [
    ['<!--', '-->'],
    ['<script', '</script>'],
    ['<style', '</style>'],
  ].reduce((text, [open = '', close = '']) => dropSections({ text, open, close }), withSpans);

  const parts: string[] = [];
  const open: Open[] = [];
  let pre = 0;
  const ordered: number[] = [];
  const afterSpace = (): boolean => /\s$/.test(parts.findLast((p) => p !== '') ?? '\n');
  const pushText = (value: string): void => {
    if (pre > 0) parts.push(value);
    else {
      // As in HTML, a run of spaces is one space, also across the edge of an element.
      const collapsed = value.replace(/[ \t\r\f\v]+/g, ' ');
      parts.push(afterSpace() ? collapsed.replace(/^ /, '') : collapsed);
    }
  };
  /** Wraps the content since `start` in markers, keeping its outer spaces outside them. */
  const wrap = (start: number, make: (inner: string) => string): void => {
    const content = parts.splice(start).join('');
    const inner = content.trim();
    if (inner === '') {
      parts.push(content);
      return;
    }
    const lead = /^\s*/.exec(content)?.[0] ?? '';
    const trail = /\s*$/.exec(content)?.[0] ?? '';
    parts.push(afterSpace() ? '' : lead, make(inner), trail);
  };

  const restore = (value: string): string =>
    value.replace(/\uE000(\d+)\uE000/g, (_, i: string) => spans[Number(i)] ?? '');
  let last = 0;
  let sawTag = false;
  for (const match of source.matchAll(TAG)) {
    const name = (match[2] ?? '').toLowerCase();
    if (!isKnownTag(name)) continue;
    sawTag = true;
    pushText(source.slice(last, match.index));
    last = match.index + match[0].length;
    const closing = match[1] === '/';
    const attributes = match[3] ?? '';
    if (BLOCK.has(name)) {
      parts.push('\n\n');
      if (name === 'ol') {
        if (closing) ordered.pop();
        else ordered.push(0);
      }
    } else if (HEADINGS.has(name)) {
      if (!closing) {
        parts.push('\n\n');
        open.push({ name, start: parts.length, href: null });
      } else {
        const at = open.findLastIndex((o) => o.name === name);
        const [element] = at >= 0 ? open.splice(at) : [];
        if (element) wrap(element.start, (inner) => `**${inner}**`);
        parts.push('\n\n');
      }
    } else if (name === 'br') parts.push('\n');
    else if (name === 'hr') parts.push('\n\n');
    else if (name === 'li' && !closing) {
      const depth = ordered.length;
      if (depth > 0) ordered[depth - 1] = (ordered[depth - 1] ?? 0) + 1;
      parts.push(depth > 0 ? `\n${ordered[depth - 1] ?? 1}. ` : '\n- ');
    } else if ((name === 'dt' || name === 'tr') && !closing) parts.push('\n');
    else if ((name === 'td' || name === 'th' || name === 'dd') && !closing) parts.push(' ');
    else if (name === 'pre') {
      if (closing) {
        if (pre > 0) {
          pre--;
          parts.push('\n```\n\n');
        }
      } else {
        pre++;
        parts.push('\n\n```\n');
      }
    } else if (name === 'img') {
      const alt = altText(attributes);
      if (alt !== '') parts.push(alt);
    } else if (name === 'a' || Object.hasOwn(WRAPPERS, name)) {
      if (!closing) {
        open.push({
          name,
          start: parts.length,
          href: name === 'a' ? linkTarget(attributes) : null,
        });
        continue;
      }
      const at = open.findLastIndex((o) => o.name === name);
      if (at < 0) continue;
      const [element] = open.splice(at);
      if (!element) continue;
      if (name === 'a') {
        const href = element.href;
        if (href !== null)
          wrap(element.start, (inner) => (inner === href ? href : `[${inner}](${href})`));
      } else if (pre === 0 || WRAPPERS[name] !== '`') {
        const marker = WRAPPERS[name] ?? '';
        wrap(element.start, (inner) => `${marker}${inner}${marker}`);
      }
    }
  }
  // Text without a tag (Markdown that mentions `<id>`, or only an entity) keeps its layout.
  if (!sawTag) return restore(decodeEntities(source));
  pushText(source.slice(last));

  return restore(decodeEntities(parts.join('')))
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n (?=\S)/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
