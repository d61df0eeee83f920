// Your account in the browser: the owner, signed in by their one-time link, sees this session and
// one from elsewhere, signs the other out, is refused a password change with a wrong current
// password and then changes it, revokes an MCP client they had allowed, and deletes the org.
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
  page.on('dialog', (d) => void d.accept());
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await web?.t.close();
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') await shot(page, 'account-failed');
  expect(pageErrors.splice(0)).toEqual([]);
});

const PASSWORD = 'the owner password';

describe('your account in the web app', { timeout: 120_000 }, () => {
  it('signs out another session, changes the password, revokes an MCP client and deletes the org', async () => {
    const { organization, owner } = web.org;
    const orgId = organization.id;
    const { link } = await passwordLink({
      db: web.t.database.db,
      tenant: operatorTenant({ orgId, userId: owner.id, label: 'test' }),
      email: owner.email,
      baseUrl: web.url,
    });
    await page.goto(link);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Join and sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();

    // Signed in elsewhere too, and an MCP client allowed (as the token endpoint leaves a grant).
    const elsewhere = await web.t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/sign-in',
      payload: { email: owner.email, password: PASSWORD, orgId },
    });
    const elsewhereCookie = `weft_session=${elsewhere.cookies[0]?.value}`;
    const grantId = crypto.randomUUID();
    await web.t.database.db.owner(async (sql) => {
      await sql.query(
        `INSERT INTO mcp_oauth_clients (client_id, client_name, redirect_uris, metadata)
         VALUES ('mcp_account_page_test_client_01', 'Desktop agent', '[]', '{}')`,
      );
      await sql.query(
        `INSERT INTO mcp_oauth_tokens (org_id, token_hash, kind, grant_id, client_id, user_id,
           resource, expires_at)
         VALUES ($1, encode(sha256(convert_to($2, 'UTF8')), 'hex'), 'refresh', $2::uuid,
           'mcp_account_page_test_client_01', $3, $4, now() + interval '1 day')`,
        [orgId, grantId, owner.id, `${web.url}/mcp`],
      );
    });

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Your account', exact: true })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Your account' }).waitFor();
    await page.getByRole('cell', { name: 'Desktop agent', exact: true }).waitFor();
    const rows = page
      .locator('tbody tr')
      .filter({ has: page.getByRole('button', { name: 'Sign out', exact: true }) });
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByText('this session').waitFor();
    // Each session says where it was started: this browser, and the other sign-in's client.
    const current = page.locator('tbody tr').filter({ hasText: 'this session' });
    await current.getByRole('cell', { name: 'Chrome on Linux', exact: true }).waitFor();
    await current.getByRole('cell', { name: '127.0.0.1', exact: true }).waitFor();
    expect(await a11yProblems(page)).toEqual([]);
    await shot(page, 'account');

    // The other session ends; this one stays.
    await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await expect.poll(() => rows.count()).toBe(0);
    const other = await web.t.app.inject({
      method: 'GET',
      url: '/api/v1/auth/session',
      headers: { cookie: elsewhereCookie },
    });
    expect(other.statusCode).toBe(401);

    // The password: a wrong current one is refused, the right one changes it.
    await page.getByLabel('Current password').fill('not my password');
    await page.getByLabel('New password').fill('a new owner password');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('alert').filter({ hasText: 'current password is wrong' }).waitFor();
    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('status').filter({ hasText: 'Password changed' }).waitFor();
    const signIn = (password: string) =>
      web.t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/sign-in',
        payload: { email: owner.email, password, orgId },
      });
    expect((await signIn(PASSWORD)).statusCode).toBe(401);
    expect((await signIn('a new owner password')).statusCode).toBe(200);

    // Revoking the MCP client ends its grant.
    await page.getByRole('button', { name: 'Revoke Desktop agent' }).click();
    await page.getByText('No MCP client holds a grant from you.').waitFor();
    const revoked = await web.t.database.db.owner((sql) =>
      sql.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM mcp_oauth_tokens WHERE grant_id = $1 AND revoked_at IS NULL',
        [grantId],
      ),
    );
    expect(revoked[0]?.n).toBe(0);

    // Deleting the org: the button waits for its exact name; then everyone is out.
    const remove = page.getByRole('button', { name: 'Delete organization' });
    const confirmName = page.getByLabel("Type the organization's name to confirm");
    await confirmName.fill(organization.name.toLowerCase());
    expect(await remove.isDisabled()).toBe(true);
    await confirmName.fill(organization.name);
    await remove.click();
    await page.getByRole('heading', { name: 'Sign in to Weft' }).waitFor();
    await page.getByText('The organization was deleted.').waitFor();
    const key = await web.t.app.inject({
      method: 'GET',
      url: '/api/v1/customers',
      headers: { 'x-fastn-api-key': web.org.liveKey },
    });
    expect(key.statusCode).toBe(401);
  });
});
