// People in the browser: the owner opens their one-time link and chooses a password, invites a
// developer from Settings → People (the link is shown to copy), the developer joins through it
// and is refused the People page; the owner signs in again with email and password and
// duplicates Viewer as a custom role on the Roles page, ticking one more permission.
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { operatorTenant } from '../../server/domain/tenant.ts';
import { passwordLink } from '../../server/modules/people/people.service.ts';
import { a11yProblems, launchBrowser, shot, startWebApp, type WebApp } from './harness.ts';

let web: WebApp;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  web = await startWebApp({ WEFT_RATE_LIMIT_PER_MINUTE: '100000' });
  browser = await launchBrowser();
  page = await browser.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.stack ?? error.message));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await web?.t.close();
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') await shot(page, 'people-failed');
  expect(pageErrors.splice(0)).toEqual([]);
});

async function goto(heading: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: heading, exact: true })
    .click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

async function signOut(): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in to Weft' }).waitFor();
}

describe('people and roles in the web app', { timeout: 120_000 }, () => {
  it('the owner joins by link, invites a developer who joins and is refused People, then signs in by password and makes a custom role', async () => {
    const { organization, owner } = web.org;
    const { link } = await passwordLink({
      db: web.t.database.db,
      tenant: operatorTenant({ orgId: organization.id, userId: owner.id, label: 'test' }),
      email: owner.email,
      baseUrl: web.url,
    });

    // The owner's one-time link: choose a password, land on Home, signed in by cookie only.
    await page.goto(link);
    await page.getByRole('heading', { name: 'Welcome to Weft' }).waitFor();
    await page.getByLabel('Password').fill('the owner password');
    await page.getByRole('button', { name: 'Join and sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    expect(page.url()).not.toContain('token');
    expect(await page.evaluate('sessionStorage.getItem("weft.apiKey")')).toBeNull();
    expect(await page.evaluate('document.cookie')).not.toContain('weft_session');

    // Invite a developer; the link is shown once, to copy.
    await goto('People');
    await page.getByRole('cell', { name: owner.email }).waitFor();
    expect(await a11yProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'Invite' }).click();
    const dialog = page.getByRole('dialog', { name: 'Invite a person' });
    await dialog.getByLabel('Email').fill('dev@web.test');
    await dialog.getByLabel('Role').selectOption('developer');
    await dialog.getByRole('button', { name: 'Create invitation link' }).click();
    const invitation = (await dialog.locator('.secret-value').textContent()) ?? '';
    expect(invitation).toMatch(/\/accept-invite#token=/);
    await shot(page, 'people-invited');
    await page.keyboard.press('Escape');
    await page.getByText('dev@web.test as developer').waitFor();

    // The developer joins through the link, and may not see People.
    await signOut();
    await page.goto(invitation);
    await page.getByLabel('Your name').fill('Dev');
    await page.getByLabel('Password').fill('the developer password');
    await page.getByRole('button', { name: 'Join and sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    await goto('People');
    await page.getByRole('alert').filter({ hasText: 'people:read' }).first().waitFor();

    // The owner signs in with email and password, and sees the developer.
    await signOut();
    await page.getByLabel('Email', { exact: true }).fill(owner.email);
    await page.getByLabel('Password').fill('a wrong password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'wrong email or password' }).waitFor();
    await page.getByLabel('Password').fill('the owner password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // Signed in again where the last person left off.
    await page.getByRole('heading', { level: 1, name: 'People' }).waitFor();
    await page.getByRole('cell', { name: 'Dev · dev@web.test' }).waitFor();

    // Roles: the matrix, and Viewer duplicated as a custom role with secrets:read ticked.
    await goto('Roles');
    await page.getByRole('columnheader', { name: /End user/ }).waitFor();
    expect(await a11yProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'Duplicate Viewer as custom' }).click();
    const copy = page.getByRole('dialog', { name: 'Duplicate Viewer as a custom role' });
    await copy.getByLabel('Name').fill('Auditor');
    await copy.getByLabel('Slug').fill('auditor');
    await copy.getByRole('button', { name: 'Create custom role' }).click();
    const box = page.getByRole('checkbox', { name: 'Auditor: secrets:read' });
    await box.check();
    await expect.poll(() => box.isChecked()).toBe(true);
    await shot(page, 'people-roles');
    const roles = await web.t.app.inject({
      method: 'GET',
      url: '/api/v1/roles',
      headers: { 'x-fastn-api-key': web.org.liveKey },
    });
    const auditor = roles
      .json<{ data: { slug: string; permissions: string[] }[] }>()
      .data.find((r) => r.slug === 'auditor');
    expect(auditor?.permissions).toHaveLength(8);
    expect(auditor?.permissions).toContain('secrets:read');
  });
});
