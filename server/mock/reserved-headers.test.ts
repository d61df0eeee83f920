import { describe, expect, it } from 'vitest';
import { sampleValue } from '../modules/action-tests/inputs.ts';
import { startSpecMock } from './spec-mock.ts';

// OpenAPI 3 ignores header parameters named Accept, Content-Type and Authorization; the mock
// does not demand them, while other required headers are still enforced.
describe('the spec mock and reserved header parameters', () => {
  it('answers without a declared required Content-Type header, refuses without another header', async () => {
    const header = (name: string) => ({
      name,
      in: 'header',
      required: true,
      schema: { type: 'string' },
    });
    const mock = await startSpecMock({
      document: {
        openapi: '3.0.3',
        info: { title: 'H', version: '1' },
        servers: [{ url: 'https://api.example.com/v1' }],
        paths: {
          '/things': {
            get: {
              parameters: [header('Content-Type'), header('Accept')],
              responses: {
                '200': {
                  description: 'ok',
                  content: { 'application/json': { example: { ok: true } } },
                },
              },
            },
          },
          '/others': {
            get: {
              parameters: [header('X-Tenant')],
              responses: {
                '200': { description: 'ok', content: { 'application/json': { example: {} } } },
              },
            },
          },
        },
      },
    });
    try {
      expect((await fetch(`${mock.url}/things`)).status).toBe(200);
      const refused = await fetch(`${mock.url}/others`);
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain("missing required header parameter 'X-Tenant'");
    } finally {
      await mock.close();
    }
  });
});

describe('test input for a string with a pattern', () => {
  it('matches the pattern, the same value every time', () => {
    const schema = { type: 'string', pattern: '^AC[0-9a-fA-F]{32}$' };
    const value = sampleValue(schema);
    expect(value).toMatch(/^AC[0-9a-fA-F]{32}$/);
    expect(sampleValue(schema)).toBe(value);
    expect(sampleValue({ type: 'string', format: 'uuid', pattern: '^x$' })).toMatch(
      /^[0-9a-f-]{36}$/,
    );
  });
});
