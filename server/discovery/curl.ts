/**
 * curl examples from docs pages, read into method, URL, headers and body. A small tokenizer of
 * POSIX shell words (quotes, backslashes, line continuations, `$'...'`) is enough: docs write
 * curl one way, and nothing here is ever executed. Unknown options are skipped (with their
 * argument when they take one), so a `--compressed` or `-sS` does not derail the rest.
 */
import type { CurlRequest } from '../domain/discovery.ts';

/** Longest code block read for commands. */
const MAX_SCRIPT_CHARS = 20_000;
/** Commands kept per code block. */
const MAX_COMMANDS = 20;

/** A word, or a separator between commands (`;`, `|`, `&&`, a newline). */
type Token = { word: string } | { separator: true };

/** Splits shell text into words and command separators. */
export function shellTokens(text: string): Token[] {
  const tokens: Token[] = [];
  let word = '';
  let inWord = false;
  const end = () => {
    if (inWord) tokens.push({ word });
    word = '';
    inWord = false;
  };
  const source = text.slice(0, MAX_SCRIPT_CHARS);
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '\\') {
      const next = source[i + 1];
      // Line continuation (also with Windows line ends): the two characters vanish.
      if (next === '\n') {
        i++;
        continue;
      }
      if (next === '\r' && source[i + 2] === '\n') {
        i += 2;
        continue;
      }
      if (next !== undefined) {
        word += next;
        inWord = true;
        i++;
      }
      continue;
    }
    if (c === "'") {
      const close = source.indexOf("'", i + 1);
      const stop = close === -1 ? source.length : close;
      word += source.slice(i + 1, stop);
      inWord = true;
      i = stop;
      continue;
    }
    if (c === '$' && source[i + 1] === "'") {
      // ANSI-C quoting: the common escapes only.
      let j = i + 2;
      for (; j < source.length && source[j] !== "'"; j++) {
        if (source[j] === '\\' && j + 1 < source.length) {
          const e = source[++j] as string;
          word += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
        } else word += source[j];
      }
      inWord = true;
      i = j;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      for (; j < source.length && source[j] !== '"'; j++) {
        const d = source[j] as string;
        const next = source[j + 1];
        if (d === '\\' && next === '\n') j++;
        else if (d === '\\' && next !== undefined && '"\\$`'.includes(next)) {
          word += next;
          j++;
        } else word += d;
      }
      inWord = true;
      i = j;
      continue;
    }
    if (c === '#' && !inWord) {
      // A comment runs to the end of the line.
      const newline = source.indexOf('\n', i);
      i = newline === -1 ? source.length : newline - 1;
      continue;
    }
    if (c === '\n' || c === ';' || c === '|' || c === '&') {
      end();
      if (tokens.at(-1) !== undefined && !('separator' in (tokens.at(-1) as Token)))
        tokens.push({ separator: true });
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      end();
      continue;
    }
    word += c;
    inWord = true;
  }
  end();
  return tokens;
}

/** Options that take an argument and mean nothing to us. */
const SKIPPED_WITH_ARGUMENT = new Set([
  '-o',
  '--output',
  '-w',
  '--write-out',
  '-A',
  '--user-agent',
  '-e',
  '--referer',
  '-b',
  '--cookie',
  '-c',
  '--cookie-jar',
  '-m',
  '--max-time',
  '--connect-timeout',
  '-x',
  '--proxy',
  '--cacert',
  '--cert',
  '--key',
  '-T',
  '--upload-file',
  '--retry',
  '-r',
  '--range',
]);

const DATA_OPTIONS = new Set([
  '-d',
  '--data',
  '--data-raw',
  '--data-binary',
  '--data-ascii',
  '--data-urlencode',
  '--json',
  '-F',
  '--form',
]);

function setHeader(headers: Record<string, string>, line: string): void {
  const colon = line.indexOf(':');
  if (colon <= 0) return;
  headers[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
}

/** One curl command (its words after `curl`) as a request. Null when it names no URL. */
export function parseCurlWords(words: readonly string[]): CurlRequest | null {
  let method: string | undefined;
  let url: string | undefined;
  let user: string | undefined;
  let get = false;
  let head = false;
  const headers: Record<string, string> = {};
  const data: string[] = [];
  let json = false;
  for (let i = 0; i < words.length; i++) {
    let word = words[i] as string;
    let inline: string | undefined;
    // --opt=value and -Xvalue forms.
    if (word.startsWith('--') && word.includes('=')) {
      inline = word.slice(word.indexOf('=') + 1);
      word = word.slice(0, word.indexOf('='));
    } else if (/^-[XHdFuAeobcmxrTw]./.test(word) && !word.startsWith('--')) {
      inline = word.slice(2);
      word = word.slice(0, 2);
    }
    const argument = (): string => inline ?? words[++i] ?? '';
    if (word === '-X' || word === '--request') method = argument().toUpperCase();
    else if (word === '-H' || word === '--header') setHeader(headers, argument());
    else if (DATA_OPTIONS.has(word)) {
      if (word === '--json') json = true;
      data.push(argument());
    } else if (word === '-u' || word === '--user') user = argument();
    else if (word === '--url') url = argument();
    else if (word === '-G' || word === '--get') get = true;
    else if (word === '-I' || word === '--head') head = true;
    else if (SKIPPED_WITH_ARGUMENT.has(word)) argument();
    else if (word.startsWith('-') && word.length > 1) continue;
    else url ??= word;
  }
  if (url === undefined || url === '') return null;
  if (json) {
    headers['Content-Type'] ??= 'application/json';
    headers['Accept'] ??= 'application/json';
  }
  let body: string | undefined = data.length > 0 ? data.join('&') : undefined;
  if (get && body !== undefined) {
    // -G moves the data to the query string.
    url = `${url}${url.includes('?') ? '&' : '?'}${body}`;
    body = undefined;
  }
  const resolvedMethod = method ?? (head ? 'HEAD' : body !== undefined ? 'POST' : 'GET');
  return {
    method: resolvedMethod,
    url,
    headers,
    ...(body !== undefined && { body }),
    ...(user !== undefined && { user }),
  };
}

/** Every curl command in a piece of shell text (a code block), parsed. */
export function parseCurlCommands(text: string): CurlRequest[] {
  const commands: CurlRequest[] = [];
  let current: string[] | null = null;
  let atStart = true;
  const flush = () => {
    if (current !== null && commands.length < MAX_COMMANDS) {
      const parsed = parseCurlWords(current);
      if (parsed !== null) commands.push(parsed);
    }
    current = null;
  };
  for (const token of shellTokens(text)) {
    if ('separator' in token) {
      flush();
      atStart = true;
      continue;
    }
    if (current !== null) current.push(token.word);
    else if (atStart && (token.word === 'curl' || token.word.endsWith('/curl'))) current = [];
    // A prompt ($, >) or `sudo` before curl keeps us at the start of the command.
    else if (!['$', '>', '%', 'sudo'].includes(token.word)) atStart = false;
  }
  flush();
  return commands;
}
