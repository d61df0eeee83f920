/**
 * A vendor's docs page read for a connector builder: the main content as Markdown (Readability
 * picks it, Turndown writes it), and, from the whole page, its links, code blocks, curl examples
 * (parsed), tables with a header row (as row objects) and auth hints. Parsing is linkedom's; the
 * page is parsed twice because Readability takes the document apart as it reads it.
 */
import { Readability } from '@mozilla/readability';
import TurndownService from 'turndown';
import type { AuthHint, CurlRequest, DocsPage } from '../domain/discovery.ts';
import { AppError } from '../errors.ts';
import { parseCurlCommands } from './curl.ts';
import { all, parseDocument, type DomElement as Element } from './dom.ts';
import { fetchError, type DiscoveryFetch } from './fetch.ts';

/** Bytes of a docs page read. */
export const MAX_PAGE_BYTES = 3 * 1024 * 1024;
/** Time to fetch a docs page (ms). */
export const PAGE_TIMEOUT_MS = 15_000;
/** Markdown characters returned; the rest is cut with a note. */
export const MAX_MARKDOWN_CHARS = 30_000;
const MAX_LINKS = 200;
const MAX_CODE_BLOCKS = 40;
const MAX_CODE_CHARS = 4000;
const MAX_CURL = 40;
const MAX_TABLES = 20;
const MAX_TABLE_ROWS = 100;
const MAX_CELL_CHARS = 500;
const MAX_AUTH_HINTS = 20;
/** Characters of text scanned for auth hints. */
const MAX_HINT_TEXT = 500_000;

function clean(text: string | null | undefined): string {
  return (text ?? '').replace(/\s+/g, ' ').trim();
}

function absolute({ href, base }: { href: string; base: string }): string | null {
  try {
    const url = new URL(href, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : null;
  } catch {
    return null;
  }
}

function linksOf({ root, base }: { root: Element; base: string }): DocsPage['links'] {
  const seen = new Set<string>();
  const links: DocsPage['links'] = [];
  for (const a of all(root, 'a[href]')) {
    const url = absolute({ href: a.getAttribute('href') ?? '', base });
    if (url === null || seen.has(url)) continue;
    seen.add(url);
    links.push({ text: clean(a.textContent).slice(0, 200), url });
    if (links.length >= MAX_LINKS) break;
  }
  return links;
}

function languageOf(element: Element): string | undefined {
  for (const node of [element, element.closest('pre'), element.closest('[class*="language-"]')]) {
    const cls = node?.getAttribute('class') ?? '';
    const lang = /(?:^|\s)(?:language|lang|highlight-source)-([\w+#-]+)/.exec(cls)?.[1];
    if (lang !== undefined) return lang.toLowerCase();
    const data = node?.getAttribute('data-lang') ?? node?.getAttribute('data-language');
    if (data) return data.toLowerCase();
  }
  return undefined;
}

function codeBlocksOf(root: Element): DocsPage['codeBlocks'] {
  const blocks: DocsPage['codeBlocks'] = [];
  for (const pre of all(root, 'pre')) {
    const code = (pre.textContent ?? '').replace(/\n+$/, '');
    if (code.trim() === '') continue;
    const inner = pre.querySelectorAll('code')[0] ?? pre;
    const language = languageOf(inner);
    blocks.push({
      ...(language !== undefined && { language }),
      code: code.length > MAX_CODE_CHARS ? `${code.slice(0, MAX_CODE_CHARS)}\n… (cut)` : code,
    });
    if (blocks.length >= MAX_CODE_BLOCKS) break;
  }
  return blocks;
}

function cellsOf(row: Element): Element[] {
  return Array.from(row.children).filter((c) => /^(td|th)$/i.test(c.tagName));
}

/** Tables with a header row (`<th>` cells, or a `<thead>`): one object per row. */
function tablesOf(root: Element): DocsPage['tables'] {
  const tables: DocsPage['tables'] = [];
  for (const table of all(root, 'table')) {
    const rows = all(table, 'tr').filter((tr) => tr.closest('table') === table);
    const [head, ...body] = rows;
    if (head === undefined) continue;
    const headCells = cellsOf(head);
    const isHeader =
      head.closest('thead') !== null || headCells.every((c) => c.tagName.toLowerCase() === 'th');
    if (!isHeader || headCells.length === 0) continue;
    const headers = headCells.map((c, i) => clean(c.textContent) || `column${i + 1}`);
    tables.push({
      headers,
      rows: body.slice(0, MAX_TABLE_ROWS).map((tr) => {
        const cells = cellsOf(tr);
        return Object.fromEntries(
          headers.map((h, i) => [h, clean(cells[i]?.textContent).slice(0, MAX_CELL_CHARS)]),
        );
      }),
    });
    if (tables.length >= MAX_TABLES) break;
  }
  return tables;
}

// ---------------------------------------------------------------------------------------------
// Auth hints

const HINT_PATTERNS: readonly {
  pattern: RegExp;
  hint: (m: RegExpExecArray) => Omit<AuthHint, 'evidence'>;
}[] = [
  {
    pattern: /Authorization:\s*Bearer\b/gi,
    hint: () => ({ type: 'bearer', in: 'header', name: 'Authorization' }),
  },
  {
    pattern: /\bBearer (?:token|authentication|auth)\b/gi,
    hint: () => ({ type: 'bearer', in: 'header', name: 'Authorization' }),
  },
  {
    pattern: /Authorization:\s*Basic\b|\bHTTP Basic\b|\bbasic auth(?:entication)?\b/gi,
    hint: () => ({ type: 'basic', in: 'header', name: 'Authorization' }),
  },
  {
    // "the X-API-Key header", "X-Api-Token: <key>"
    pattern:
      /\b([A-Za-z][\w-]*(?:api|key|token|auth)[\w-]*)(?:`|")?\s*(?:HTTP\s+)?(?:request\s+)?header\b/gi,
    hint: (m) => ({ type: 'api_key', in: 'header', name: m[1] ?? '' }),
  },
  {
    pattern: /\b(X-[\w-]*(?:api|key|token|auth)[\w-]*)\s*:/gi,
    hint: (m) => ({ type: 'api_key', in: 'header', name: m[1] ?? '' }),
  },
  {
    // "the api_key query parameter", "api_key as a query param"
    pattern:
      /\b([a-z][\w-]*(?:key|token|auth)[\w-]*)(?:`|")?\s*(?:as\s+an?\s+)?(?:query|URL)[\s-]*(?:string\s+)?param(?:eter)?\b/gi,
    hint: (m) => ({ type: 'api_key', in: 'query', name: m[1] ?? '' }),
  },
  {
    pattern: /\bOAuth\s*2(?:\.0)?\b/gi,
    hint: () => ({ type: 'oauth2' }),
  },
];

function around({ text, index, length }: { text: string; index: number; length: number }): string {
  return clean(text.slice(Math.max(0, index - 40), index + length + 40)).slice(0, 160);
}

/** Auth hints in prose and curl examples, one per type/location/name. */
export function authHintsOf({
  text,
  curl,
}: {
  text: string;
  curl: readonly CurlRequest[];
}): AuthHint[] {
  const hints = new Map<string, AuthHint>();
  const add = (hint: AuthHint) => {
    if (hint.name !== undefined && /^(the|an?|your|this|request|header)$/i.test(hint.name)) return;
    const key = `${hint.type}|${hint.in ?? ''}|${(hint.name ?? '').toLowerCase()}`;
    if (!hints.has(key) && hints.size < MAX_AUTH_HINTS) hints.set(key, hint);
  };
  for (const request of curl) {
    if (request.user !== undefined)
      add({ type: 'basic', in: 'header', name: 'Authorization', evidence: 'curl -u' });
    for (const [name, value] of Object.entries(request.headers)) {
      if (/^authorization$/i.test(name)) {
        const scheme = /^(Bearer|Basic)\b/i.exec(value)?.[1]?.toLowerCase();
        add({
          type: scheme === 'basic' ? 'basic' : scheme === 'bearer' ? 'bearer' : 'api_key',
          in: 'header',
          name: 'Authorization',
          evidence: `curl -H "${name}: ${value.slice(0, 60)}"`,
        });
      } else if (/api|key|token|auth/i.test(name)) {
        add({ type: 'api_key', in: 'header', name, evidence: `curl -H "${name}: …"` });
      }
    }
    try {
      for (const [name] of new URL(request.url).searchParams) {
        if (/^(api[_-]?key|key|access_token|token|auth|apikey)$/i.test(name))
          add({ type: 'api_key', in: 'query', name, evidence: `curl URL ?${name}=…` });
      }
    } catch {
      // a templated URL; nothing to read
    }
  }
  const body = text.slice(0, MAX_HINT_TEXT);
  for (const { pattern, hint } of HINT_PATTERNS) {
    for (const m of body.matchAll(pattern)) {
      const match = m;
      add({
        ...hint(match),
        evidence: around({ text: body, index: match.index, length: m[0].length }),
      });
    }
  }
  return [...hints.values()];
}

// ---------------------------------------------------------------------------------------------
// Markdown

function markdownOf({ html, base }: { html: string; base: string }): {
  title: string;
  markdown: string;
} {
  const document = parseDocument(html);
  // Readability resolves relative links against the document's base.
  const head = document.querySelector('head');
  if (head !== null && document.querySelector('base') === null) {
    const baseElement = document.createElement('base');
    baseElement.setAttribute('href', base);
    head.appendChild(baseElement);
  }
  const article = new Readability(document, { charThreshold: 200, keepClasses: true }).parse();
  const turndown = new TurndownService({
    headingStyle: 'atx',
    codeBlockStyle: 'fenced',
    bulletListMarker: '-',
  });
  turndown.remove(['script', 'style', 'noscript']);
  turndown.addRule('table', {
    filter: 'table',
    replacement: (_content, node) => {
      const rows = all(node as unknown as Element, 'tr').map((tr) =>
        cellsOf(tr).map((c) => clean(c.textContent).replace(/\|/g, '\\|')),
      );
      const [first, ...rest] = rows;
      if (first === undefined) return '';
      const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
      return `\n\n${[line(first), line(first.map(() => '---')), ...rest.map(line)].join('\n')}\n\n`;
    },
  });
  const source = article?.content ?? document.querySelector('body')?.innerHTML ?? html;
  const title = clean(article?.title ?? document.querySelector('title')?.textContent ?? '');
  const markdown = turndown.turndown(source).trim();
  // Readability takes the page's heading as the title and drops it from the content.
  return {
    title,
    markdown: title !== '' && !/^#/.test(markdown) ? `# ${title}\n\n${markdown}` : markdown,
  };
}

/** Reads a docs page's HTML (fetched from `url`) into Markdown and structured parts. */
export function htmlToDocs({ html, url }: { html: string; url: string }): DocsPage {
  const document = parseDocument(html);
  const root = document.querySelector('body') ?? document.documentElement;
  const codeBlocks = codeBlocksOf(root);
  const curl = codeBlocks
    .filter((b) => /\bcurl\b/.test(b.code))
    .flatMap((b) => parseCurlCommands(b.code))
    .slice(0, MAX_CURL);
  const { title, markdown } = markdownOf({ html, base: url });
  const truncated = markdown.length > MAX_MARKDOWN_CHARS;
  return {
    url,
    title,
    markdown: truncated
      ? `${markdown.slice(0, MAX_MARKDOWN_CHARS)}\n\n… (cut at ${MAX_MARKDOWN_CHARS} of ${markdown.length} characters; links, code blocks and tables below are from the whole page)`
      : markdown,
    truncated,
    links: linksOf({ root, base: url }),
    codeBlocks,
    curl,
    tables: tablesOf(root),
    authHints: authHintsOf({ text: root.textContent ?? '', curl }),
  };
}

/** Fetches a docs page through the guard and reads it. Markdown and plain text pass as text. */
export async function readDocs({
  http,
  url,
}: {
  http: DiscoveryFetch;
  url: string;
}): Promise<DocsPage> {
  let answer;
  try {
    answer = await http({
      url,
      maxBytes: MAX_PAGE_BYTES,
      timeoutMs: PAGE_TIMEOUT_MS,
      headers: { accept: 'text/html, text/markdown;q=0.9, text/plain;q=0.8, */*;q=0.5' },
    });
  } catch (error) {
    throw fetchError({ error, url });
  }
  if (answer.status >= 400)
    throw new AppError(
      'upstream_error',
      `${new URL(answer.url).origin} answered ${answer.status} for the page`,
      {
        status: answer.status,
      },
    );
  const text = answer.body.toString('utf8');
  const type = answer.headers['content-type'] ?? '';
  if (
    /html|xml/i.test(type) ||
    (!/\S/.test(type) && /^\s*</.test(text)) ||
    /^\s*<(!doctype|html)/i.test(text)
  )
    return htmlToDocs({ html: text, url: answer.url });
  // Markdown or plain text: already readable; curl examples still parsed from fenced blocks.
  const fenced = [...text.matchAll(/```([\w+-]*)\n([\s\S]*?)```/g)].slice(0, MAX_CODE_BLOCKS);
  const codeBlocks = fenced.map((m) => ({
    ...(m[1] ? { language: m[1] } : {}),
    code: (m[2] ?? '').replace(/\n+$/, '').slice(0, MAX_CODE_CHARS),
  }));
  const curl = codeBlocks.flatMap((b) => parseCurlCommands(b.code)).slice(0, MAX_CURL);
  const truncated = text.length > MAX_MARKDOWN_CHARS;
  return {
    url: answer.url,
    title: clean(/^#\s+(.+)$/m.exec(text)?.[1] ?? ''),
    markdown: truncated ? `${text.slice(0, MAX_MARKDOWN_CHARS)}\n\n… (cut)` : text,
    truncated,
    links: [...text.matchAll(/\[([^\]]*)\]\((https?:\/\/[^)\s]+)\)/g)]
      .slice(0, MAX_LINKS)
      .map((m) => ({ text: m[1] ?? '', url: m[2] ?? '' })),
    codeBlocks,
    curl,
    tables: [],
    authHints: authHintsOf({ text, curl }),
  };
}
