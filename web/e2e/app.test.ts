// The web app end to end in Chromium against the real backend (PGlite) and a fake third-party API
// on loopback: sign in with the keyboard; create a connector in the dialog (focus stays inside,
// Escape closes it); import petstore from a file and see its actions; import a small spec, then
// re-import a changed one and apply the diff; add a customer and connect them with an API key;
// test the connection; run an action and read its trace; write, publish, deploy and run a
// workflow and find the run in Activity → Executions with the right columns and its timeline;
// a webhook's secret shown once; the Settings pages; Build with AI on Connectors (or the notice
// that the server lacks agent runs). Each page is screenshotted and checked for accessibility basics.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { a11yProblems, launchBrowser, shot, startWebApp, type WebApp } from './harness.ts';
import { CONTENT_SECURITY_POLICY } from '../serve.ts';

const PETSTORE = path.resolve(import.meta.dirname, '../../evals/data/specs/petstore-v3.yaml');
const API_KEY = 'pets-secret-123';

function fakeSpec(baseUrl: string, withCreate: boolean): string {
  const paths: Record<string, unknown> = {
    '/pets/{id}': {
      get: {
        operationId: 'getPet',
        summary: 'Get a pet',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'The pet' } },
      },
    },
  };
  if (withCreate) {
    paths['/pets'] = {
      post: {
        operationId: 'createPet',
        summary: 'Create a pet',
        requestBody: {
          content: {
            'application/json': {
              schema: { type: 'object', properties: { name: { type: 'string' } } },
            },
          },
        },
        responses: { '201': { description: 'Created' } },
      },
    };
  }
  return JSON.stringify({
    openapi: '3.0.3',
    info: { title: 'Fake Pets', version: withCreate ? '2' : '1' },
    servers: [{ url: baseUrl }],
    components: { securitySchemes: { key: { type: 'apiKey', in: 'header', name: 'X-Api-Key' } } },
    security: [{ key: [] }],
    paths,
  });
}

let api: Server;
let apiUrl: string;
let web: WebApp;
let browser: Browser;
let page: Page;
let specDir: string;
const started = Date.now();
const pageErrors: string[] = [];
const consoleErrors: string[] = [];

beforeAll(async () => {
  api = createServer((req, res) => {
    if (req.headers['x-api-key'] !== API_KEY) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad key"}');
      return;
    }
    const id = /^\/pets\/([^/?]+)/.exec(req.url ?? '')?.[1];
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ id, name: 'Rex', species: 'dog' }));
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  const port = (api.address() as AddressInfo).port;
  apiUrl = `http://127.0.0.1:${port}`;
  specDir = mkdtempSync(path.join(tmpdir(), 'weft-web-'));
  writeFileSync(path.join(specDir, 'fake-v1.json'), fakeSpec(apiUrl, false));
  writeFileSync(path.join(specDir, 'fake-v2.json'), fakeSpec(apiUrl, true));
  web = await startWebApp({ WEFT_SSRF_TEST_ALLOWLIST: `127.0.0.1:${port}` });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.setDefaultTimeout(10_000);
  // An uncaught error in the page (a rendering bug, a bad child) fails the test it happened in.
  page.on('pageerror', (error) => pageErrors.push(error.stack ?? error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await web?.t.close();
  await new Promise((resolve) => api?.close(resolve));
  console.log(`web e2e: ${Date.now() - started} ms`);
});

// A failed step must not leave a modal open over the next test's page; an uncaught page error
// fails the test it happened in, with the browser's console errors beside it.
afterEach(async (context) => {
  const started = Date.now() - (context.task.result?.duration ?? 0);
  if (context.task.result?.state === 'fail' || pageErrors.length > 0)
    await shot(page, `failed-${context.task.name.slice(0, 40)}`);
  for (let i = 0; i < 3 && (await page.locator('dialog[open]').count()) > 0; i += 1) {
    await page.keyboard.press('Escape');
  }
  const errors = pageErrors.splice(0);
  const logged = consoleErrors.splice(0);
  if (errors.length > 0) {
    throw new Error(
      `uncaught error(s) in the page since ${new Date(started).toISOString()}:\n${errors.join('\n\n')}` +
        (logged.length ? `\nconsole errors:\n${logged.join('\n')}` : ''),
    );
  }
});

async function goto(path: string, heading: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: heading, exact: true })
    .click();
  await expect.poll(() => page.url()).toContain(path);
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

async function checkA11y(name: string): Promise<void> {
  await page.locator('.loading').waitFor({ state: 'detached' });
  expect(await a11yProblems(page), name).toEqual([]);
  await shot(page, name);
}

describe('the web app', { timeout: 120_000 }, () => {
  it('serves the app at / with a CSP, client routes, and JSON 404s under /api', async () => {
    const home = await fetch(`${web.url}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(await home.text()).toContain('<div id="app">');
    const deep = await fetch(`${web.url}/connectors/anything`);
    expect(deep.status).toBe(200);
    expect(deep.headers.get('content-type')).toContain('text/html');
    for (const p of ['/api/v1/nope', '/api/nope', '/mcp/nope', '/hooks', '/health/x']) {
      const res = await fetch(`${web.url}${p}`);
      expect(res.status, p).toBe(404);
      expect(res.headers.get('content-type'), p).toContain('application/json');
    }
  });

  it('signs in with an API key using the keyboard, and refuses a wrong key', async () => {
    await page.goto(web.url);
    await page.getByRole('heading', { name: 'Sign in to Weft' }).waitFor();
    await checkA11y('00-sign-in');
    await page.getByLabel('API key', { exact: true }).fill('wk_test_wrong');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'Could not sign in' }).waitFor();
    await page.getByLabel('API key', { exact: true }).fill(web.org.testKey);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    // The key is in session storage only, never in the URL.
    expect(page.url()).not.toContain(web.org.testKey);
    expect(await page.evaluate('sessionStorage.getItem("weft.apiKey")')).toBe(web.org.testKey);
    await checkA11y('01-home');
  });

  it('creates a connector in a dialog that keeps focus inside and closes on Escape', async () => {
    await goto('/connectors', 'Connectors');
    await page.getByText('No connectors yet').waitFor();
    await checkA11y('02-connectors-empty');
    await page.getByRole('button', { name: 'New connector' }).click();
    const dialog = page.getByRole('dialog', { name: 'New connector' });
    await dialog.waitFor();
    // Tab 40 times: focus never leaves the dialog.
    for (let i = 0; i < 40; i += 1) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate('Boolean(document.activeElement?.closest("dialog"))')).toBe(true);
    }
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    // Focus goes back to the button that opened the dialog once it has closed.
    await expect
      .poll(() => page.evaluate('document.activeElement?.textContent'))
      .toBe('New connector');

    await page.getByRole('button', { name: 'New connector' }).click();
    await dialog.getByLabel('Name', { exact: true }).fill('Acme CRM');
    await expect
      .poll(() => dialog.getByLabel('Slug', { exact: true }).inputValue())
      .toBe('acme-crm');
    await dialog.getByLabel('Description', { exact: true }).fill('Contacts and deals');
    await dialog.getByLabel('Domain', { exact: true }).fill('acme.example');
    await dialog.getByLabel('Base URL', { exact: true }).fill('https://api.acme.example/v1');
    await dialog.getByLabel('Bearer token', { exact: true }).check();
    await shot(page, '03-connector-create-dialog');
    await dialog.getByRole('button', { name: 'Create connector' }).click();
    await page.getByRole('heading', { level: 1, name: 'Acme CRM' }).waitFor();
    await page.getByText('api_key (api_key), bearer (bearer)').waitFor();
  });

  it('imports petstore from a file and shows its actions', async () => {
    await goto('/connectors', 'Connectors');
    await page.getByRole('button', { name: 'Import spec' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import a spec' });
    await dialog.getByLabel('From a file', { exact: true }).check();
    await dialog.getByLabel('Spec file', { exact: true }).setInputFiles(PETSTORE);
    await dialog.getByLabel('Slug (optional)', { exact: true }).fill('petstore');
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog.getByText(/19 operations/).waitFor();
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await dialog.getByText('Imported').waitFor();
    await dialog.getByRole('link', { name: 'petstore' }).click();
    await page.getByRole('heading', { level: 1, name: /Petstore/ }).waitFor();
    // The spec's long Markdown description is two lines in the header until expanded.
    const description = page.locator('.page-head .clamp-body');
    await description.getByText(/sample Pet Store Server/).waitFor();
    const clamped = (await description.boundingBox())!.height;
    expect(clamped).toBeLessThan(50);
    const more = page.getByRole('button', { name: 'Show more' });
    expect(await more.getAttribute('aria-expanded')).toBe('false');
    await more.click();
    await page.getByRole('button', { name: 'Show less' }).waitFor();
    expect((await description.boundingBox())!.height).toBeGreaterThan(clamped * 2);
    await page.getByRole('button', { name: 'Show less' }).click();
    await page.getByRole('tab', { name: /Actions \(19\)/ }).waitFor();
    await page.getByText('/pet/findByStatus').waitFor();
    await checkA11y('04-connector-petstore-actions');
    await page.getByRole('tab', { name: /Events/ }).click();
    await shot(page, '05-connector-petstore-events');
  });

  it('re-imports a changed spec and applies the diff', async () => {
    await goto('/connectors', 'Connectors');
    await page.getByRole('button', { name: 'Import spec' }).click();
    let dialog = page.getByRole('dialog', { name: 'Import a spec' });
    await dialog.getByLabel('From a file', { exact: true }).check();
    await dialog
      .getByLabel('Spec file', { exact: true })
      .setInputFiles(path.join(specDir, 'fake-v1.json'));
    await dialog.getByLabel('Slug (optional)', { exact: true }).fill('fakepets');
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    await dialog.getByRole('link', { name: 'fakepets' }).click();
    await page.getByRole('tab', { name: /Actions \(1\)/ }).waitFor();

    await page.getByRole('button', { name: 'Re-import spec' }).click();
    dialog = page.getByRole('dialog', { name: 'Re-import fakepets' });
    await dialog.getByLabel('From a file', { exact: true }).check();
    await dialog
      .getByLabel('Spec file', { exact: true })
      .setInputFiles(path.join(specDir, 'fake-v2.json'));
    await dialog.getByRole('button', { name: 'Preview' }).click();
    await dialog.getByText('Changes against the stored connector').waitFor();
    await dialog
      .locator('.diff .added')
      .filter({ hasText: /create/i })
      .waitFor();
    await shot(page, '06-reimport-diff');
    await dialog.getByRole('button', { name: 'Apply changes' }).click();
    await dialog.getByText('Updated').waitFor();
    await page.keyboard.press('Escape');
    await page.getByRole('tab', { name: /Actions \(2\)/ }).waitFor();
  });

  it('adds a customer, connects them with an API key and tests the connection', async () => {
    await goto('/settings/customers', 'Customers');
    await page.getByRole('button', { name: 'New customer' }).click();
    const dialog = page.getByRole('dialog', { name: 'New customer' });
    await dialog.getByLabel('Name', { exact: true }).fill('Globex');
    await dialog.getByLabel('External id (optional)', { exact: true }).fill('globex-1');
    await dialog.getByRole('button', { name: 'Create customer' }).click();
    await page.getByRole('cell', { name: 'globex-1' }).waitFor();
    await checkA11y('07-customers');

    await goto('/connections', 'Connections');
    await page.getByRole('button', { name: 'Connect' }).click();
    const connect = page.getByRole('dialog', { name: 'Connect' });
    await connect.getByLabel('Connector', { exact: true }).selectOption('fakepets');
    await connect
      .getByLabel('Customer', { exact: true })
      .selectOption({ label: 'Globex (globex-1)' });
    await connect.getByLabel('API key', { exact: true }).fill(API_KEY);
    await shot(page, '08-connect-dialog');
    await connect.getByRole('button', { name: 'Connect' }).click();
    await connect.waitFor({ state: 'detached' });
    const row = page.getByRole('row').filter({ hasText: 'fakepets' });
    await row.getByText('active').waitFor();
    await row.getByText('Globex').waitFor();
    // The key never comes back: only the name of the stored field.
    expect(await page.content()).not.toContain(API_KEY);
    await checkA11y('09-connections');
    await row.getByRole('button', { name: 'Test' }).click();
    const test = page.getByRole('dialog', { name: 'Test connection' });
    await test.getByText(/Trace/).or(test.getByRole('alert')).first().waitFor();
    await shot(page, '10-connection-test');
    await page.keyboard.press('Escape');
  });

  it('runs an action and shows the answer and its trace', async () => {
    await page.goto(`${web.url}/connectors/fakepets`);
    const row = page.getByRole('row').filter({ hasText: '/pets/{id}' });
    await row.getByRole('button', { name: /^Run / }).click();
    const dialog = page.getByRole('dialog', { name: /^Run / });
    // The connection that will run is the one shown, never a blank select.
    const connection = dialog.getByLabel('Connection', { exact: true });
    expect(await connection.locator('option:checked').textContent()).toMatch(
      /\(customer, active\)$/,
    );
    await dialog.getByLabel('Input (JSON)', { exact: true }).fill('{ "id": "7" }');
    await dialog.getByRole('button', { name: 'Run action' }).click();
    await dialog.getByText('HTTP 200').waitFor();
    await dialog.getByText('"Rex"').waitFor();
    await dialog.getByRole('cell', { name: `GET ${apiUrl}/pets/7` }).waitFor();
    // Request headers are masked by the server: the key's prefix and last 4 at most.
    expect(await dialog.textContent()).not.toContain(API_KEY);
    await shot(page, '11-action-run-trace');
    await page.keyboard.press('Escape');
  });

  it('writes, publishes, deploys and runs a workflow, then finds it in Executions', async () => {
    await goto('/workflows', 'Workflows');
    await page.getByRole('button', { name: 'New workflow' }).click();
    const dialog = page.getByRole('dialog', { name: 'New workflow' });
    await dialog.getByLabel('Name', { exact: true }).fill('Sync order');
    await dialog.getByRole('button', { name: 'Create and edit' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sync order' }).waitFor();
    const editor = page.getByLabel('Code (draft)', { exact: true });
    await editor.fill(
      [
        'export default async function (ctx) {',
        "  ctx.log.info('syncing', ctx.input.id);",
        "  const doubled = await ctx.step('double', async () => ctx.input.id * 2);",
        '  return { ok: true, id: ctx.input.id, doubled };',
        '}',
        '',
      ].join('\n'),
    );
    // A CodeMirror editor with TypeScript highlighting; Tab indents inside it instead of leaving.
    expect(await editor.getAttribute('contenteditable')).toBe('true');
    const keyword = editor.locator('.cm-line').first().getByText('export');
    await keyword.waitFor();
    // Highlighted: the editor's styles apply under the page's strict CSP.
    type Styles = { getComputedStyle(el: unknown): { color: string } };
    const color = (el: unknown) => (globalThis as unknown as Styles).getComputedStyle(el).color;
    expect(await keyword.evaluate(color)).not.toBe(await editor.evaluate(color));
    await editor.press('Control+End');
    await editor.press('Tab');
    expect((await editor.locator('.cm-line').allTextContents()).at(-1)).toBe('  ');
    expect(await page.evaluate('document.activeElement?.classList.contains("code-editor")')).toBe(
      true,
    );
    // Escape, then Tab, moves on.
    await editor.press('Escape');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.classList.contains("code-editor")')).toBe(
      false,
    );
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText('unsaved').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Publish', exact: true }).click();
    await page.getByText('Published v1.').waitFor();
    await page.getByRole('cell', { name: 'development', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Deploy v1 to staging' }).click();
    await page.getByRole('cell', { name: 'development, staging', exact: true }).waitFor();
    await page.getByLabel('ctx.input (JSON)', { exact: true }).fill('{ "id": 21 }');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.locator('.result').getByText('completed').waitFor();
    await page.locator('.result').getByText('"doubled": 42').waitFor();
    await checkA11y('12-workflow-editor');

    await goto('/workflows', 'Workflows');
    await page.getByRole('tab', { name: 'Standard' }).click();
    await page.getByText('No standard workflows.').waitFor();
    await page.getByRole('tab', { name: 'Instant' }).press('ArrowLeft');
    await page.getByRole('tab', { name: 'Standard' }).click();
    await page.getByRole('tab', { name: 'All' }).click();
    await page.getByRole('cell', { name: /Sync order/ }).waitFor();
    await checkA11y('13-workflows');

    await goto('/executions', 'Executions');
    await page.locator('table.executions thead th').first().waitFor();
    const headers = await page.locator('table.executions thead th').allTextContents();
    expect(headers).toEqual([
      'Time',
      'Workflow',
      'Tier',
      'Version',
      'Status',
      'Duration',
      'Triggered by',
    ]);
    const cells = await page
      .locator('table.executions tbody tr')
      .first()
      .locator('td')
      .allTextContents();
    expect(cells[0]).toMatch(/just now|\ds ago/);
    expect(cells.slice(1, 5)).toEqual(['Sync order', 'instant', 'v1', 'completed']);
    expect(cells[5]).toMatch(/ms|s$/);
    expect(cells[6]).toBe('manual');
    await checkA11y('14-executions');
    await page.getByRole('tab', { name: 'Failed' }).click();
    await page.getByText('No executions match').waitFor();
    await page.getByRole('tab', { name: 'Completed' }).click();
    await page.locator('table.executions tbody tr').first().click();
    await page.getByRole('heading', { level: 1, name: 'Execution' }).waitFor();
    await page.getByRole('list', { name: 'Spans' }).getByText('double').waitFor();
    await page.getByText('syncing').waitFor();
    await checkA11y('15-execution-detail');
    await page.getByRole('button', { name: 'Rerun' }).click();
    await expect
      .poll(() =>
        page
          .locator('dd')
          .filter({ hasText: /^[0-9a-f-]{36}$/ })
          .count(),
      )
      .toBe(1);
  });

  it('creates a webhook trigger and shows its signing secret once', async () => {
    await goto('/triggers', 'Triggers');
    await page.getByRole('button', { name: 'New webhook' }).click();
    const dialog = page.getByRole('dialog', { name: 'New webhook' });
    await dialog.getByLabel('Name', { exact: true }).fill('Orders in');
    await dialog.getByLabel('Filter (optional)', { exact: true }).fill('payload.total > 10');
    expect(
      await dialog.getByLabel('Workflow', { exact: true }).locator('option:checked').textContent(),
    ).toBe('Sync order');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const created = page.getByRole('dialog', { name: 'Orders in created' });
    const secret = await created.locator('.secret-value').textContent();
    expect(secret).toMatch(/^whsec_/);
    await shot(page, '16-webhook-secret-once');
    await created.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('cell', { name: /sync-order \(development\)/ }).waitFor();
    expect(await page.content()).not.toContain(secret!);
    await checkA11y('17-triggers');
    await page.getByRole('tab', { name: 'Schedulers' }).click();
    await page.getByText('No schedule triggers yet.').waitFor();
  });

  it('shows the Activity and Settings pages with real data', async () => {
    await goto('/events', 'Events');
    await checkA11y('18-events');
    await goto('/mappings', 'Mappings');
    await checkA11y('19-mappings');
    await goto('/settings/secrets', 'Secrets');
    await page.getByRole('button', { name: 'New secret' }).click();
    const dialog = page.getByRole('dialog', { name: 'New secret' });
    await dialog.getByLabel('Name', { exact: true }).fill('ERP_KEY');
    await dialog.getByLabel('Value', { exact: true }).fill('very-secret-value');
    await dialog.getByRole('button', { name: 'Save secret' }).click();
    await page.getByRole('cell', { name: 'ERP_KEY' }).waitFor();
    expect(await page.content()).not.toContain('very-secret-value');
    await checkA11y('20-secrets');
    await goto('/settings/api-keys', 'API keys');
    await page.getByRole('button', { name: 'New API key' }).click();
    const keyDialog = page.getByRole('dialog', { name: 'New API key' });
    await keyDialog.getByLabel('Name', { exact: true }).fill('CI');
    await keyDialog.getByRole('button', { name: 'Create key' }).click();
    const key = await keyDialog.locator('.secret-value').textContent();
    expect(key).toMatch(/^wk_test_/);
    await page.keyboard.press('Escape');
    await page.getByRole('cell', { name: 'CI' }).waitFor();
    expect(await page.content()).not.toContain(key!);
    await checkA11y('21-api-keys');
    await goto('/settings/audit-log', 'Audit log');
    await page
      .getByText('secret.put')
      .or(page.getByText(/secret/))
      .first()
      .waitFor();
    await checkA11y('22-audit-log');
  });

  it('starts Build with AI from Connectors, or says the server has no agent runs', async () => {
    await goto('/connectors', 'Connectors');
    await page.getByRole('button', { name: 'Build with AI' }).click();
    const dialog = page.getByRole('dialog', { name: 'Build with AI' });
    await dialog
      .getByLabel('Spec, docs or base URL', { exact: true })
      .fill(`${apiUrl}/openapi.json`);
    await dialog.getByRole('button', { name: 'Build with AI' }).click();
    // Without workers in this test the run stays queued; with no route, the notice says so.
    const missing = dialog.getByText('This server does not offer agent runs yet');
    const run = dialog.locator('.run .badge').first();
    await missing.or(run).first().waitFor();
    await checkA11y('23-connectors-build-with-ai');
    await page.keyboard.press('Escape');
    // The checklist on Home reflects real data: connector, connection, workflow, deployment, a run.
    await goto('/', 'Home');
    await page.getByText('5 of 5 done').waitFor();
    await goto('/agent-runs', 'Agent runs');
    await checkA11y('24-agent-runs');
  });
});
