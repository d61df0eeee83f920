import fc from 'fast-check';
import type { RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedOrg, withKey, type SeededOrg, type TestApp } from '../../test/app.ts';
import { TEST_DRIVERS } from '../../test/db.ts';

// Any Unicode, and text built from what databases and JSON trip on: NUL, unpaired surrogates,
// the private-use character the store escapes with, quotes and backslashes.
const awkwardUnit = fc.oneof(
  fc.constantFrom('\u0000', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '\uE000', '"', '\\', '%00'),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
);
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: awkwardUnit, maxLength: 12 }),
);
const value = fc.oneof(
  { weight: 4, arbitrary: text },
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(text, { maxLength: 3 }),
  fc.dictionary(text, text, { maxKeys: 3 }),
);

/** Percent-encoding that also writes unpaired surrogates (as their WTF-8 bytes), as a raw client can. */
function percentEncode(value: string): string {
  let out = '';
  for (const ch of value) {
    const cp = ch.codePointAt(0) ?? 0;
    out +=
      cp >= 0xd800 && cp <= 0xdfff
        ? [0xed, 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)]
            .map((b) => `%${b.toString(16).toUpperCase()}`)
            .join('')
        : encodeURIComponent(ch);
  }
  return out;
}

type Shape = Record<string, unknown>;
const shapeOf = (schema: unknown): string[] => {
  const shape = (schema as { shape?: Shape } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
};

describe.each(TEST_DRIVERS)('arbitrary Unicode on every write route (%s)', (driver) => {
  let t: TestApp;
  let org: SeededOrg;
  const routes: { method: string; url: string; body: string[]; query: string[] }[] = [];

  beforeAll(async () => {
    t = await createTestApp(driver, {
      env: { WEFT_RATE_LIMIT_PER_MINUTE: '1000000' },
      onRoute: (route: RouteOptions) => {
        const methods = Array.isArray(route.method) ? route.method : [route.method];
        for (const method of methods) {
          if (!['POST', 'PUT', 'PATCH'].includes(method)) continue;
          const schema = route.schema as { body?: unknown; querystring?: unknown } | undefined;
          routes.push({
            method,
            url: route.url,
            body: shapeOf(schema?.body),
            query: shapeOf(schema?.querystring),
          });
        }
      },
    });
    org = await seedOrg(t, 'Fuzz');
    // Something for `:ref`/`:id` parameters to find: an Instant workflow that returns its input.
    const call = (url: string, payload: object) =>
      t.app.inject({ method: 'POST', url, headers: withKey(org.liveKey), payload });
    expect(
      (
        await call('/api/v1/workflows', {
          name: 'echo',
          slug: 'echo',
          source:
            'export default async function (ctx) { ctx.log.info(ctx.input); return ctx.input; }',
        })
      ).statusCode,
    ).toBe(201);
    await call('/api/v1/workflows/echo/publish', { deployTo: ['production'] });
  }, 60_000);
  afterAll(() => t.close());

  it('never answers 5xx', async () => {
    expect(routes.length).toBeGreaterThan(20);
    const failures: string[] = [];
    const statuses: Record<number, number> = {};
    const param = fc.oneof(fc.constant('echo'), fc.uuid(), text);
    for (const route of routes) {
      await fc
        .assert(
          fc.asyncProperty(
            fc.array(param, { minLength: 4, maxLength: 4 }),
            fc.record(Object.fromEntries(route.body.map((k) => [k, value])), {
              requiredKeys: [],
            }),
            fc.option(fc.tuple(fc.constantFrom(...route.query, 'q'), text), { nil: undefined }),
            fc.boolean(),
            async (params, body, query, raw) => {
              let i = 0;
              const path = route.url.replace(/:[A-Za-z]+/g, () =>
                percentEncode(params[i++ % params.length] ?? ''),
              );
              const url = query
                ? `${path}?${percentEncode(query[0])}=${percentEncode(query[1])}`
                : path;
              const res = await t.app.inject({
                method: route.method as 'POST',
                url,
                headers: withKey(org.liveKey, { 'content-type': 'application/json' }),
                // Sometimes JSON as a sender writes it by hand: unpaired surrogates as \u escapes.
                payload: raw ? JSON.stringify(body) : body,
              });
              statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
              if (res.statusCode >= 500) {
                failures.push(`${route.method} ${route.url} → ${res.statusCode} ${res.body}`);
              }
              return res.statusCode < 500;
            },
          ),
          { numRuns: 12 },
        )
        .catch((error: unknown) => {
          // A 5xx is already listed; anything else (a throw) is listed here.
          if (!failures.some((f) => f.startsWith(`${route.method} ${route.url} `))) {
            failures.push(`${route.method} ${route.url}: ${String(error).slice(0, 500)}`);
          }
        });
    }
    // Most answers are 4xx (fuzzed input), but some requests get through to the services.
    expect(Object.keys(statuses).some((s) => Number(s) < 300)).toBe(true);
    expect(failures).toEqual([]);
  }, 300_000);
});
