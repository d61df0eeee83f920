import { describe, expect, it } from 'vitest';
import { typeCheckWorkflow } from './type-check.ts';

const check = (source: string, filename = 'flow.ts') => typeCheckWorkflow({ source, filename });

describe('workflow type check against the ctx declarations', () => {
  it('finds a wrong ctx call with its line and column', async () => {
    const problems = await check(
      [
        'export default async (ctx) => {',
        '  const r = await ctx.connectors.shop.list_orders({});',
        "  return ctx.cdm.toCanonical('shop', 'Order', r.body);",
        '};',
      ].join('\n'),
    );
    expect(problems).toEqual([
      { message: 'Expected 1 arguments, but got 3.', line: 3, column: 38 },
    ]);
  }, 30_000);

  it('keeps columns on the annotated line in the author’s coordinates', async () => {
    const problems = await check('export default async ctx => ctx.secrets.gett("a");', 'f.js');
    expect(problems?.[0]).toMatchObject({ line: 1, column: 41 });
    expect(problems?.[0]?.message).toContain("Did you mean 'get'");
  });

  it('passes correct code, typed or not, and leaves code that does not touch ctx alone', async () => {
    expect(
      await check(
        `export default async function run(ctx) {
  const out = [];
  const r = await ctx.connectors.shop.list_orders({ limit: 2 });
  for (const record of r.body.data)
    out.push(await ctx.cdm.toCanonical({ connector: 'shop', entity: 'Order', record }));
  await ctx.state.set('seen', out.length, { ttlSeconds: 60 });
  ctx.log.info('done', out.length);
  const loose = {}; loose.anything = 1;
  return { out, loose, n: ctx.input.n };
}`,
        'flow.js',
      ),
    ).toEqual([]);
  });

  it('checks destructured ctx too', async () => {
    const problems = await check(
      'export default async ({ http }) => (await http.fetch(42)).status;',
    );
    expect(problems?.[0]?.message).toContain("'number' is not assignable");
  });
});
