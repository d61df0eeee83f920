import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { htmlToText } from './html-text.ts';
import { importSpec } from './index.ts';
import type { FetchText, ImportResult } from './types.ts';

const SPECS = path.resolve(import.meta.dirname, '../../evals/data/specs');
const noFetch: FetchText = (url) => Promise.reject(new Error(`no network in tests (${url})`));

function load(file: string): Promise<ImportResult> {
  return importSpec({
    source: { kind: 'path', path: path.join(SPECS, file) },
    fetchText: noFetch,
    selection: { mode: 'all' },
  });
}

/** Every prose string of a connector document (descriptions, names, titles), with its path. */
function prose(value: unknown, at = ''): [string, string][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => prose(v, `${at}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) =>
    typeof v === 'string'
      ? ['description', 'name', 'title'].includes(key)
        ? [[`${at}.${key}`, v] as [string, string]]
        : []
      : prose(v, `${at}.${key}`),
  );
}

const HTML =
  /<\/?(p|a|code|strong|em|b|i|br|blockquote|span|ul|ol|li|div|pre|h\d)\b[^>]*>|&(lt|gt|amp|quot|nbsp|#\d+);/i;

describe('HTML in imported descriptions', () => {
  it('becomes text with light Markdown in actions, parameters and schemas of real specs', async () => {
    const specs = {
      paypal: await load('paypal-checkout-orders-v2.json'),
      ebay: await load('ebay-inventory.yaml'),
      pagerduty: await load('pagerduty.json'),
      asana: await load('asana.yaml'),
      stripe: await load('stripe.yaml'),
    };
    for (const [name, result] of Object.entries(specs)) {
      const left = prose(result.document).filter(([, text]) => HTML.test(text));
      expect(left.slice(0, 3), name).toEqual([]);
    }
    const action = (result: ImportResult, slug: string) =>
      result.document.actions.find((a) => a.slug === slug);

    // <a href>, <blockquote>, <strong>; a relative link keeps its text only.
    expect(action(specs.paypal, 'ordersCreate')?.description).toBe(
      'Creates an order. Merchants and partners can add Level 2 and 3 data to payments to reduce risk and payment processing costs. For more information about processing payments, see [checkout](https://developer.paypal.com/docs/checkout/advanced/processing/) or [multiparty checkout](https://developer.paypal.com/docs/multiparty/checkout/advanced/processing/).\n\n**Note:** For error handling and troubleshooting, see Orders v2 errors.',
    );
    // <p> around a whole description.
    expect(action(specs.stripe, 'getAccount')?.description).toBe(
      'Retrieves the details of an account.',
    );
    const texts = (result: ImportResult) => prose(result.document).map(([, text]) => text);
    // A single-quoted href with a stray quote in it.
    expect(texts(specs.ebay)).toContainEqual(
      expect.stringContaining(
        'refer to [eBay API documentation](https://developer.ebay.com/api-docs/sell/inventory/types/CountryCodeEnum)',
      ),
    );
    // <strong> with a JSX style attribute, then <code>, then Markdown.
    expect(texts(specs.asana)).toContainEqual(
      expect.stringMatching(
        /^\*\*Full object requires scope:\*\* `attachments:read`\n\n\*Conditional\*\. A collection/,
      ),
    );
    // Placeholders that look like tags, in Markdown code spans and in prose, stay as written.
    expect(texts(specs.pagerduty)).toContainEqual(
      expect.stringContaining(
        'the Runner will execute the `<invocation_command> <temp_file>` command.',
      ),
    );
    // <br> between the lines of a list written as prose.
    expect(texts(specs.pagerduty)).toContainEqual(
      expect.stringMatching(
        /^prepared -- the invocation exists .*\ncreated -- the invocation exists/,
      ),
    );
    expect(texts(specs.pagerduty)).toContainEqual(
      expect.stringContaining('as in <runbook_base_uri>.runbook.pagerduty.cloud'),
    );
  }, 60_000);

  it('reads only formatting tags and known entities, and keeps only http(s) links', () => {
    expect(
      htmlToText('<ul><li>one</li><li>two <code>x</code></li></ul><ol><li>a</li><li>b</li></ol>'),
    ).toBe('- one\n- two `x`\n\n1. a\n2. b');
    expect(htmlToText('prepared -- exists <br> created -- waiting <br/> sent')).toBe(
      'prepared -- exists\ncreated -- waiting\nsent',
    );
    expect(htmlToText('AT&amp;T &mdash; &#169; &#x2603; &bogus; &#0;')).toBe(
      'AT&T — © ☃ &bogus; &#0;',
    );
    expect(
      htmlToText(
        '<a href="javascript:alert(1)">click</a> <a href="https://x.test/a?b=1&amp;c=2">x</a>',
      ),
    ).toBe('click [x](https://x.test/a?b=1&c=2)');
    expect(htmlToText('<h2>Title</h2><p>Body with <b> bold </b> words</p>')).toBe(
      '**Title**\n\nBody with **bold** words',
    );
    expect(htmlToText('A system error has occurred. <em>&lt;additional_information&gt;</em>')).toBe(
      'A system error has occurred. *<additional_information>*',
    );
    expect(htmlToText('<pre><code>{\n  "a": 1\n}</code></pre>')).toBe('```\n{\n  "a": 1\n}\n```');
    expect(htmlToText('Use `<p>` and <script>alert(1)</script><!-- note -->done')).toBe(
      'Use `<p>` and done',
    );
    // Text without a tag keeps its layout (Markdown indentation, placeholders).
    const markdown = '  - keep\n  - the indent of <id> & `&amp;`';
    expect(htmlToText(markdown)).toBe(markdown);
  });
});
