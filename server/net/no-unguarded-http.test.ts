// Outbound HTTP to user-given URLs must go through server/net/ssrf.ts (guardedFetch or a guarded
// dispatcher). This test reads the source of server/, tools/, agents/ and evals/ (tests and
// server/net/ itself excepted) and fails on the usual ways around the guard.
//
// The matcher is a list of regular expressions, not a parser: it catches the plain spellings
// (a bare `fetch(`, request imports from undici, `http.get(`, axios and friends) and can be
// fooled on purpose (an alias, a computed property). Lines that begin as comments are skipped;
// a trailing comment that mentions `fetch(` is flagged and should be reworded.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sourceFiles } from '../../test/source-files.ts';

interface Rule {
  readonly name: string;
  readonly pattern: RegExp;
  readonly why: string;
}

const NO_DISPATCHER = 'takes no guarded dispatcher; use guardedFetch from server/net/ssrf.ts';

/** Names undici exports that send requests or open connections. */
const UNDICI_REQUESTERS =
  'request|fetch|stream|pipeline|connect|upgrade|Client|Pool|BalancedPool|RoundRobinPool|Agent|ProxyAgent|EnvHttpProxyAgent|RetryAgent|Socks5ProxyAgent|H2CClient|setGlobalDispatcher|buildConnector|WebSocket|EventSource';

const RULES: readonly Rule[] = [
  {
    name: 'global-fetch',
    // `fetch(` not preceded by a name character or a dot: not guardedFetch(, not boss.fetch(.
    pattern: /(?<![\w$.])fetch\s*\(/,
    why: `the global fetch ${NO_DISPATCHER}`,
  },
  {
    name: 'globalThis-fetch',
    pattern: /\bglobalThis\s*\.\s*fetch\b/,
    why: `the global fetch ${NO_DISPATCHER}`,
  },
  {
    name: 'undici-import',
    // A value import of a requester; `import type` and `{ type Dispatcher }` are fine.
    pattern: new RegExp(
      String.raw`\bimport\s+(?!type\b)[^;]*?\{[^}]*(?<!\btype\s+)\b(?:${UNDICI_REQUESTERS})\b[^}]*\}\s*from\s*['"]undici['"]`,
    ),
    why: `undici's own request functions and agents ${NO_DISPATCHER}`,
  },
  {
    name: 'undici-namespace',
    pattern:
      /\bimport\s+(?!type\b)(?:\*\s*as\s+)?[\w$]+\s*(?:,\s*\{[^}]*\})?\s*from\s*['"]undici['"]/,
    why: `the whole of undici includes request functions that ${NO_DISPATCHER}`,
  },
  {
    name: 'node-http-import',
    pattern:
      /\bimport\s+(?!type\b)[^;]*?\{[^}]*(?<!\btype\s+)\b(?:request|get)\b[^}]*\}\s*from\s*['"](?:node:)?https?['"]/,
    why: `node:http and node:https requests ${NO_DISPATCHER}`,
  },
  {
    name: 'node-http-call',
    pattern: /\bhttps?\s*\.\s*(?:request|get)\s*\(/,
    why: `node:http and node:https requests ${NO_DISPATCHER}`,
  },
  {
    name: 'http-client-library',
    pattern:
      /(?:\bfrom\s*|\b(?:require|import)\s*\(\s*)['"](?:axios|got|node-fetch|superagent|needle|ky|request|cross-fetch|isomorphic-fetch)['"]/,
    why: `third-party HTTP clients ${NO_DISPATCHER}`,
  },
  {
    name: 'dynamic-import',
    pattern: /\b(?:require|import)\s*\(\s*['"](?:undici|(?:node:)?https?)['"]\s*\)/,
    why: `a dynamic import of an HTTP client ${NO_DISPATCHER}`,
  },
];

/**
 * Files that may use a rule, and why. An entry that no longer matches anything fails the test,
 * so the list cannot outlive its reason.
 */
const ALLOWED: readonly { file: string; rule: string; reason: string }[] = [
  {
    file: 'app/assist.ts',
    rule: 'global-fetch',
    reason:
      "`weft assist` calls the operator's own WEFT_URL (configuration, like the stdio relay), never a URL a user gave",
  },
  {
    file: 'server/runtime/sandbox/ctx-declarations.ts',
    rule: 'global-fetch',
    reason: 'the TypeScript declarations of ctx.http.fetch, held as text for the publish check',
  },
  {
    file: 'server/modules/embed/widgets.service.ts',
    rule: 'global-fetch',
    reason:
      "the embed snippet handed to a SaaS team, held as text: it runs in their page's browser",
  },
];

const ROOTS = ['app', 'server', 'tools', 'agents', 'evals'];
const repoRoot = path.resolve(import.meta.dirname, '..', '..');

interface Finding {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
}

/** Blanks lines that start as comments, keeping line numbers. */
function withoutCommentLines(source: string): string {
  return source.replace(/^[ \t]*(?:\/\/|\/\*|\*).*$/gm, '');
}

function findUnguardedHttp({ source, file }: { source: string; file: string }): Finding[] {
  const code = withoutCommentLines(source);
  const findings: Finding[] = [];
  for (const rule of RULES) {
    const global = new RegExp(rule.pattern.source, 'g');
    for (const match of code.matchAll(global)) {
      const line = code.slice(0, match.index).split('\n').length;
      findings.push({ file, line, rule: rule.name });
    }
  }
  return findings;
}

function scan(root: string): Finding[] {
  return sourceFiles({ root, dirs: ROOTS, exclude: ['server/net'] }).flatMap((file) =>
    findUnguardedHttp({ source: fs.readFileSync(path.join(root, file), 'utf8'), file }),
  );
}

function isAllowed(finding: Finding): boolean {
  return ALLOWED.some((entry) => entry.file === finding.file && entry.rule === finding.rule);
}

describe('no outbound HTTP around the SSRF guard', () => {
  it('finds none in server/, tools/, agents/ and evals/', () => {
    const findings = scan(repoRoot);
    const report = findings
      .filter((finding) => !isAllowed(finding))
      .map((f) => {
        const why = RULES.find((rule) => rule.name === f.rule)?.why ?? '';
        return `${f.file}:${f.line} [${f.rule}] ${why}`;
      });
    expect(report).toEqual([]);

    const stale = ALLOWED.filter(
      (entry) => !findings.some((f) => f.file === entry.file && f.rule === entry.rule),
    );
    expect(stale).toEqual([]);
  });

  it('fails on a planted file', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-unguarded-'));
    try {
      fs.mkdirSync(path.join(root, 'server', 'modules', 'hooks'), { recursive: true });
      fs.mkdirSync(path.join(root, 'server', 'net'), { recursive: true });
      const planted = [
        "import { createServer } from 'node:http';",
        '',
        'export async function ping(url: string): Promise<number> {',
        '  const response = await fetch(url);',
        '  return response.status;',
        '}',
      ].join('\n');
      fs.writeFileSync(path.join(root, 'server', 'modules', 'hooks', 'ping.ts'), planted);
      fs.writeFileSync(path.join(root, 'server', 'modules', 'hooks', 'ping.test.ts'), planted);
      fs.writeFileSync(path.join(root, 'server', 'net', 'ssrf.ts'), planted);
      expect(scan(root)).toEqual([
        { file: 'server/modules/hooks/ping.ts', line: 4, rule: 'global-fetch' },
      ]);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it.each([
    ['await fetch(url)', 'global-fetch'],
    ['return fetch (`${base}/x`, { method: "POST" })', 'global-fetch'],
    ['const r = await globalThis.fetch(url)', 'globalThis-fetch'],
    ['const f = globalThis.fetch;', 'globalThis-fetch'],
    ["import { request } from 'undici';", 'undici-import'],
    ["import { fetch as undiciFetch, type Dispatcher } from 'undici';", 'undici-import'],
    ["import {\n  Agent,\n  type Dispatcher,\n} from 'undici';", 'undici-import'],
    ['import { Pool } from "undici";', 'undici-import'],
    ["import * as undici from 'undici';", 'undici-namespace'],
    ["import undici from 'undici';", 'undici-namespace'],
    ["import { get } from 'node:https';", 'node-http-import'],
    ["import { request as httpRequest } from 'http';", 'node-http-import'],
    ['const req = http.request({ host, path });', 'node-http-call'],
    ['https.get(url, (res) => {});', 'node-http-call'],
    ["import axios from 'axios';", 'http-client-library'],
    ["import got from 'got';", 'http-client-library'],
    ["import fetch from 'node-fetch';", 'http-client-library'],
    ["const { default: ky } = await import('ky');", 'http-client-library'],
    ["const undici = await import('undici');", 'dynamic-import'],
    ["const https = require('node:https');", 'dynamic-import'],
  ])('flags %j', (source, rule) => {
    expect(findUnguardedHttp({ source, file: 'sample.ts' }).map((f) => f.rule)).toContain(rule);
  });

  it.each([
    'const response = await guardedFetch(url, {}, { dispatcher });',
    'const jobs = await boss.fetch(queue);',
    'await prefetch(items);',
    "import type { Dispatcher } from 'undici';",
    "import { type Dispatcher, type Response } from 'undici';",
    "import { Headers, FormData } from 'undici';",
    "import { createServer, type IncomingMessage } from 'node:http';",
    "import type { RequestOptions } from 'node:https';",
    "app.get('/health', handler);",
    'const cached = cache.get(key);',
    'const received = ` (got ${JSON.stringify(value)})`;',
    '// calls fetch(url) through the guard',
    ' * Use `fetch(url)` only via guardedFetch.',
    "/* import axios from 'axios'; */",
  ])('lets %j through', (source) => {
    expect(findUnguardedHttp({ source, file: 'sample.ts' })).toEqual([]);
  });
});
