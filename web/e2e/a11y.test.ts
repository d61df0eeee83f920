// Accessibility of the web app in Chromium against the real backend: the main flow done with the
// keyboard alone (Tab, Enter, typing — no clicks): sign in, import petstore by URL, create a
// workflow, publish it and run it; then axe-core on every main page (and the open dialogs) with no
// serious or critical violation, each page screenshotted into web/e2e/screenshots/.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, launchBrowser, shot, startWebApp, type WebApp } from './harness.ts';

const PETSTORE = path.resolve(import.meta.dirname, '../../evals/data/specs/petstore-v3.yaml');

let specs: Server;
let specUrl: string;
let web: WebApp;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  const yaml = readFileSync(PETSTORE, 'utf8');
  specs = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/yaml' }).end(yaml);
  });
  await new Promise<void>((resolve) => specs.listen(0, '127.0.0.1', resolve));
  const port = (specs.address() as AddressInfo).port;
  specUrl = `http://127.0.0.1:${port}/openapi.yaml`;
  web = await startWebApp({ WEFT_SSRF_TEST_ALLOWLIST: `127.0.0.1:${port}` });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(error.stack ?? error.message));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await web?.t.close();
  await new Promise((resolve) => specs?.close(resolve));
});

/** What the focused element is called (inside shadow roots too): its label, aria-label(ledby) or text. */
const FOCUSED = `(() => {
  let el = document.activeElement;
  while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
  if (!el || el === document.body) return { tag: '', name: '' };
  const by = el.getAttribute('aria-labelledby');
  const name =
    el.getAttribute('aria-label') ||
    (by && document.getElementById(by)?.textContent) ||
    (el.labels && el.labels[0]?.textContent) ||
    el.textContent ||
    '';
  return { tag: el.tagName.toLowerCase(), name: name.trim(), editor: el.classList.contains('cm-content') };
})()`;

/**
 * Presses Tab until the focused element is a `tag` named `name`; a code editor is left the
 * documented way (Escape, then Tab). Fails after 120 presses.
 */
let editorsLeft = 0;

async function tabTo(tag: string, name: string | RegExp): Promise<void> {
  const seen: string[] = [];
  for (let i = 0; i < 120; i += 1) {
    const f = await page.evaluate<{ tag: string; name: string; editor: boolean }>(FOCUSED);
    const hit = typeof name === 'string' ? f.name === name : name.test(f.name);
    if (f.tag === tag && hit) return;
    seen.push(`${f.tag}:${f.name.slice(0, 30)}`);
    if (f.editor) {
      editorsLeft += 1;
      await page.keyboard.press('Escape');
    }
    await page.keyboard.press('Tab');
  }
  throw new Error(`no ${tag} "${String(name)}" reached with Tab; went through ${seen.join(' | ')}`);
}

async function goto(label: string): Promise<void> {
  await tabTo('a', label);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

describe('accessibility', { timeout: 180_000 }, () => {
  it('signs in, imports petstore, creates, publishes and runs a workflow with the keyboard only', async () => {
    await page.goto(web.url);
    await page.getByRole('heading', { name: 'Sign in to Weft' }).waitFor();
    await tabTo('input', 'API key');
    await page.keyboard.type(web.org.liveKey);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();

    await goto('Connectors');
    await tabTo('button', 'Import spec');
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Import a spec' });
    await dialog.waitFor();
    await tabTo('input', 'Spec URL');
    await page.keyboard.type(specUrl);
    await tabTo('input', 'Slug (optional)');
    await page.keyboard.type('petstore');
    await page.keyboard.press('Enter');
    await dialog.getByText(/19 operations/).waitFor();
    await tabTo('button', 'Import');
    await page.keyboard.press('Enter');
    await dialog.getByRole('link', { name: 'petstore' }).waitFor();
    await tabTo('a', 'petstore');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: /Petstore/ }).waitFor();
    await page.getByText('/pet/findByStatus').waitFor();

    await goto('Workflows');
    await tabTo('button', 'New workflow');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'New workflow' }).waitFor();
    // The dialog focuses its first field.
    await page.keyboard.type('Keyboard flow');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Keyboard flow' }).waitFor();
    // The code editor loads on demand; Tab passes through it once it is there.
    await page.getByLabel('Code (draft)', { exact: true }).waitFor();
    await tabTo('button', 'Publish');
    // On the way the code editor took focus and was left with Escape, then Tab.
    expect(editorsLeft).toBe(1);
    await page.keyboard.press('Enter');
    await page.getByText('Published v1.').waitFor();
    await tabTo('button', 'Run');
    await page.keyboard.press('Enter');
    await page.locator('.result').getByText('completed').waitFor();
    await shot(page, 'a11y-00-keyboard-workflow-run');
    expect(pageErrors).toEqual([]);
  });

  it('has no serious or critical axe violations on any main page', async () => {
    const pages: [string, string | RegExp][] = [
      ['/', 'Home'],
      ['/connectors', 'Connectors'],
      ['/connectors/petstore', /Petstore/],
      ['/connections', 'Connections'],
      ['/workflows', 'Workflows'],
      ['/triggers', 'Triggers'],
      ['/mappings', 'Mappings'],
      ['/executions', 'Executions'],
      ['/events', 'Events'],
      ['/agent-runs', 'Agent runs'],
      ['/settings/people', 'People'],
      ['/settings/roles', 'Roles'],
      ['/settings/api-keys', 'API keys'],
      ['/settings/secrets', 'Secrets'],
      ['/settings/customers', 'Customers'],
      ['/settings/oauth-apps', 'OAuth apps'],
      ['/settings/environments', 'Environments'],
      ['/settings/audit-log', 'Audit log'],
      ['/settings/account', 'Your account'],
    ];
    const found: Record<string, unknown> = {};
    for (const [url, heading] of pages) {
      await page.goto(`${web.url}${url}`);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await page.locator('.loading').first().waitFor({ state: 'detached' });
      const violations = await axeViolations(page);
      if (violations.length > 0) found[url] = violations;
      await shot(page, `a11y-page${url.replace(/\//g, '-')}`);
    }
    // A workflow's editor (CodeMirror) and an execution's timeline.
    await page.goto(`${web.url}/workflows`);
    await page.getByRole('link', { name: 'Keyboard flow' }).click();
    await page.locator('.cm-content').waitFor();
    found['/workflows/:id'] = await axeViolations(page);
    await shot(page, 'a11y-page-workflow-editor');
    await page.goto(`${web.url}/executions`);
    await page.locator('table.executions tbody tr').first().click();
    await page.getByRole('heading', { level: 1, name: 'Execution' }).waitFor();
    found['/executions/:id'] = await axeViolations(page);
    await shot(page, 'a11y-page-execution');
    // Dialogs.
    await page.goto(`${web.url}/connectors`);
    await page.getByRole('button', { name: 'New connector' }).click();
    await page.getByRole('dialog', { name: 'New connector' }).waitFor();
    found['new connector dialog'] = await axeViolations(page);
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Weft' }).waitFor();
    found['sign-in'] = await axeViolations(page);
    for (const [k, v] of Object.entries(found))
      if (Array.isArray(v) && v.length === 0) delete found[k];
    expect(found).toEqual({});
    expect(pageErrors).toEqual([]);
  });
});
