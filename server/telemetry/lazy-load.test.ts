// Without an OTLP endpoint, loading the whole app (HTTP app, workers) loads none of the
// OpenTelemetry SDK: our modules import the API as types only, and the SDK only on start.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const SCRIPT = `
import { registerHooks } from 'node:module';
const seen = [];
registerHooks({
  resolve(specifier, context, next) {
    if (specifier.startsWith('@opentelemetry/')) seen.push({ specifier, from: context.parentURL });
    return next(specifier, context);
  },
});
await import(new URL('app/http.ts', 'file://' + process.cwd() + '/').href);
await import(new URL('app/workers.ts', 'file://' + process.cwd() + '/').href);
console.log(JSON.stringify(seen));
`;

describe('OpenTelemetry stays unloaded without an endpoint', () => {
  it('loads no OpenTelemetry module from our code when the app and workers are imported', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', SCRIPT],
      { cwd: process.cwd(), env: { PATH: process.env['PATH'] ?? '' } },
    );
    const seen = JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as {
      specifier: string;
      from: string;
    }[];
    // pg-boss imports the API for its own spans; nothing of ours imports any of it.
    const ours = seen.filter((s) => !s.from.includes('/node_modules/'));
    expect(ours).toEqual([]);
    expect(seen.map((s) => s.specifier).filter((s) => s !== '@opentelemetry/api')).toEqual([]);
  }, 60_000);
});
