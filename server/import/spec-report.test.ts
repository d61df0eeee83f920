import { describe, expect, it } from 'vitest';
import { loadSpec } from './load.ts';
import { specReport } from './spec-report.ts';

const BROKEN = `
openapi: 3.0.3
info: { title: Broken, version: '1' }
servers:
  - url: /api/v1
  - url: //cdn.example.test/v1
paths:
  /things:
    get:
      security:
        - nokey: []
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: { $ref: '#/components/schemas/Missing' }
  /others:
    get:
      summary: no responses here
components:
  schemas:
    Thing: { type: object }
`;

async function reportOf(text: string) {
  const loaded = await loadSpec({
    source: { kind: 'text', text },
    fetchText: () => Promise.reject(new Error('no network')),
  });
  return specReport(loaded.document);
}

describe('specReport', () => {
  it('finds broken $refs, missing security, relative and schemeless servers, operations without responses', async () => {
    const findings = await reportOf(BROKEN);
    const at = (path: string) => findings.filter((f) => f.path === path).map((f) => f.message);
    expect(at('/paths/~1things/get/responses/200/content/application~1json/schema')).toEqual([
      expect.stringMatching(/^broken \$ref #\/components\/schemas\/Missing/),
    ]);
    expect(at('/components/securitySchemes')).toEqual([
      expect.stringMatching(/no security schemes/),
    ]);
    expect(at('/paths/~1things/get/security/0')).toEqual([
      expect.stringMatching(/names nokey, which no security scheme declares/),
    ]);
    expect(at('/servers/0/url')).toEqual([expect.stringMatching(/is relative/)]);
    expect(at('/servers/1/url')).toEqual([expect.stringMatching(/has no scheme/)]);
    expect(at('/paths/~1others/get')).toContain('GET /others declares no responses');
    // The validator still runs past the broken reference and reports the schema violation.
    expect(findings.some((f) => f.message.startsWith('schema:') && f.path.includes('others'))).toBe(
      true,
    );
    for (const f of findings) expect(['error', 'warning']).toContain(f.severity);
  });

  it('does not read files or fetch URLs a spec points at', async () => {
    const findings = await reportOf(`
openapi: 3.0.3
info: { title: Sneaky, version: '1' }
servers: [{ url: 'https://api.example.test' }]
security: [{ key: [] }]
paths:
  /a:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: { $ref: 'file:///etc/passwd' }
  /b:
    get:
      responses:
        '200': { description: ok, content: { application/json: { schema: { $ref: 'http://127.0.0.1:1/x.json' } } } }
components:
  securitySchemes:
    key: { type: apiKey, in: header, name: X-Key }
`);
    expect(findings.filter((f) => f.message.includes('external $ref'))).toHaveLength(2);
    expect(findings.every((f) => !f.message.includes('root:'))).toBe(true);
  });

  it('a clean spec (petstore v3) has no errors', async () => {
    const loaded = await loadSpec({
      source: {
        kind: 'path',
        path: new URL('../../evals/data/specs/petstore-v3.yaml', import.meta.url).pathname,
      },
      fetchText: () => Promise.reject(new Error('no network')),
    });
    const findings = await specReport(loaded.document);
    expect(findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
});
