// Settings pages in Chromium against the real backend: OAuth apps (an OAuth 2 connector listed as
// "not set", its client saved through the form, the secret write-only: never in the page, and the
// form says one is stored) and Environments (the three built-in ones; a custom one created,
// offered by the workflow editor and deployed to, counted, then deleted, which undeploys it).
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, launchBrowser, shot, startWebApp, type WebApp } from './harness.ts';

const CLIENT_SECRET = 'oauth-client-secret-4711';

function oauthSpec(): string {
  return JSON.stringify({
    openapi: '3.0.3',
    info: { title: 'Calendar', version: '1' },
    servers: [{ url: 'https://calendar.example/api' }],
    components: {
      securitySchemes: {
        oauth: {
          type: 'oauth2',
          flows: {
            authorizationCode: {
              authorizationUrl: 'https://calendar.example/oauth/authorize',
              tokenUrl: 'https://calendar.example/oauth/token',
              scopes: { 'events.read': 'Read events' },
            },
          },
        },
      },
    },
    security: [{ oauth: ['events.read'] }],
    paths: {
      '/events': {
        get: { operationId: 'listEvents', responses: { '200': { description: 'Events' } } },
      },
    },
  });
}

let web: WebApp;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${web.url}/api/v1${path}`, {
    method,
    headers: {
      'x-fastn-api-key': web.org.liveKey,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

beforeAll(async () => {
  web = await startWebApp();
  await call('POST', '/connectors/import', { text: oauthSpec(), slug: 'calendar', apply: true });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(error.stack ?? error.message));
  page.on('dialog', (d) => void d.accept());
  await page.goto(web.url);
  await page.getByLabel('API key', { exact: true }).fill(web.org.liveKey);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await web?.t.close();
});

async function goto(label: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: label, exact: true })
    .click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

describe('Settings', { timeout: 120_000 }, () => {
  it('sets the OAuth app of an OAuth 2 connector; its secret is never shown', async () => {
    await goto('OAuth apps');
    const row = page.getByRole('row').filter({ hasText: 'Calendar' });
    await row.getByText('Not set').waitFor();
    await row.getByRole('button', { name: 'Set the OAuth app of Calendar' }).click();
    const dialog = page.getByRole('dialog', { name: 'OAuth app for Calendar' });
    await dialog.getByLabel('Client id', { exact: true }).fill('weft-calendar-client');
    await dialog.getByLabel('Client secret', { exact: true }).fill(CLIENT_SECRET);
    await dialog.getByLabel('Scopes', { exact: true }).fill('events.read events.write');
    await dialog.getByRole('button', { name: 'Save OAuth app' }).click();
    await dialog.waitFor({ state: 'detached' });
    await row.getByRole('cell', { name: 'weft-calendar-client' }).waitFor();
    await row.getByRole('cell', { name: 'stored' }).waitFor();
    await row.getByRole('cell', { name: 'events.read events.write' }).waitFor();
    expect(await page.content()).not.toContain(CLIENT_SECRET);
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, 'settings-oauth-apps');

    // Replacing keeps the stored secret unless a new one is typed, and never shows it.
    await row.getByRole('button', { name: 'Replace the OAuth app of Calendar' }).click();
    const again = page.getByRole('dialog', { name: 'OAuth app for Calendar' });
    expect(await again.getByLabel('Client secret', { exact: true }).inputValue()).toBe('');
    await again.getByText('A secret is stored').waitFor();
    await page.keyboard.press('Escape');
    const stored = await call<{ clientId: string; hasClientSecret: boolean }>(
      'GET',
      '/connectors/calendar/oauth-app',
    );
    expect(stored).toMatchObject({ clientId: 'weft-calendar-client', hasClientSecret: true });
  });

  it('lists the environments, creates one, counts its deployments and deletes it', async () => {
    await goto('Environments');
    for (const name of ['development', 'staging', 'production'])
      await page.getByRole('row').filter({ hasText: name }).getByText('built-in').waitFor();
    await page.getByRole('button', { name: 'New environment' }).click();
    const dialog = page.getByRole('dialog', { name: 'New environment' });
    await dialog.getByLabel('Name', { exact: true }).fill('qa');
    await dialog.getByLabel('Description (optional)', { exact: true }).fill('Our QA team');
    await dialog.getByRole('button', { name: 'Create environment' }).click();
    await dialog.waitFor({ state: 'detached' });
    const qa = page.getByRole('row').filter({ hasText: 'Our QA team' });
    await qa.getByRole('cell', { name: '0', exact: true }).waitFor();

    // The workflow editor offers qa to deploy to; the deployment is counted there.
    const wf = await call<{ id: string }>('POST', '/workflows', {
      name: 'QA sync',
      source: 'export default async function () { return { ok: true }; }',
    });
    await call('POST', `/workflows/${wf.id}/publish`, {});
    await page.goto(`${web.url}/workflows/${wf.id}`);
    await page.getByRole('button', { name: 'Deploy v1 to qa' }).click();
    await page.getByRole('cell', { name: 'qa', exact: true }).waitFor();
    // A run in qa is found by the Executions page's environment filter.
    await call('POST', `/workflows/${wf.id}/run`, { environment: 'qa' });
    await page.goto(`${web.url}/executions`);
    await page.getByLabel('Environment', { exact: true }).selectOption('qa');
    await page.getByRole('row').filter({ hasText: 'QA sync' }).first().waitFor();
    await page.getByLabel('Environment', { exact: true }).selectOption('staging');
    await page.getByText('No executions match.').waitFor();
    await goto('Environments');
    await qa.getByRole('cell', { name: '1', exact: true }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, 'settings-environments');

    await qa.getByRole('button', { name: 'Delete qa' }).click();
    await page.getByText('Deleted qa; undeployed 1 workflow(s).').waitFor();
    // The message shows as the delete answers; the list reloads right after.
    await qa.waitFor({ state: 'detached' });
    expect(await qa.count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
