import { describe, expect, it } from 'vitest';
import { importSpec } from './index.ts';
import { placementFromProse } from './auth-prose.ts';

describe('auth placement read from a scheme description', () => {
  it.each([
    ['Send `Authorization: Token <token>` with every call.', 'header', 'Authorization', 'Token '],
    ['Authorization: Bearer {access_token}', 'header', 'Authorization', 'Bearer '],
    ['Use X-Key: YOUR_API_KEY', 'header', 'X-Key', ''],
    ['Pass it as X-Api-Key', 'header', 'X-Api-Key', ''],
    ['Append ?api_key=<key> to the URL', 'query', 'api_key', ''],
  ])('%s', (text, where, name, prefix) => {
    expect(placementFromProse(text)).toEqual({ in: where, name, prefix });
  });

  it.each(['An API key.', 'See https://example.com/docs', '', undefined])(
    'says nothing when the prose does not tell (%s)',
    (text) => expect(placementFromProse(text)).toBeNull(),
  );
});

const specWith = (scheme: Record<string, unknown>) =>
  JSON.stringify({
    openapi: '3.0.3',
    info: { title: 'Prose', version: '1' },
    servers: [{ url: 'https://api.example.com' }],
    security: [{ key: [] }],
    components: { securitySchemes: { key: scheme } },
    paths: { '/me': { get: { operationId: 'me', responses: { '200': { description: 'ok' } } } } },
  });

async function imported(scheme: Record<string, unknown>) {
  const result = await importSpec({
    source: { kind: 'text', text: specWith(scheme) },
    fetchText: () => Promise.reject(new Error('no network')),
    selection: { mode: 'all' },
  });
  return { method: result.document.connector.authMethods[0], warnings: result.warnings };
}

describe('the importer applies what the prose says', () => {
  it('an apiKey in Authorization gets the scheme word as its prefix', async () => {
    const { method } = await imported({
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      description: 'Authorization: Token <key>',
    });
    expect(method).toMatchObject({ type: 'api_key', name: 'Authorization', prefix: 'Token ' });
  });

  it('warns when an Authorization key says nothing about a scheme word', async () => {
    const { method, warnings } = await imported({
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
    });
    expect(method).not.toHaveProperty('prefix');
    expect(warnings.map((w) => w.reason).join()).toContain('scheme word');
  });

  it('warns when the prose names another header than the scheme', async () => {
    const { method, warnings } = await imported({
      type: 'apiKey',
      in: 'header',
      name: 'X-Key',
      description: 'pass it as X-Api-Key',
    });
    expect(method).toMatchObject({ name: 'X-Key' });
    expect(warnings.map((w) => w.reason).join()).toContain('description says header X-Api-Key');
  });

  it('http bearer described as "Token <key>" becomes an Authorization key with that prefix', async () => {
    const { method } = await imported({
      type: 'http',
      scheme: 'bearer',
      description: 'Send Authorization: Token <token>',
    });
    expect(method).toMatchObject({ type: 'api_key', name: 'Authorization', prefix: 'Token ' });
  });
});
