// A backend that fails, in Chromium against the real app: a route answering 500 shows its error
// on the page (never a blank page) and the page recovers by itself once the route answers again;
// a server that is down shows the "not reachable" banner and an error, and when the server
// listens again on the same port the banner goes and the page reloads its data, with no click.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, shot, startWebApp, type WebApp } from './harness.ts';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

let web: WebApp;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  web = await startWebApp();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(error.stack ?? error.message));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await web?.t.close();
});

/**
 * Answers 500 for requests whose URL starts with `prefix` until `restore` is called; `count` says
 * how many it answered so.
 */
function failRoute(prefix: string): { restore: () => void; count: () => number } {
  let failed = 0;
  const server = web.t.app.server;
  const original = server.listeners('request') as Listener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith(prefix)) {
      failed += 1;
      res.writeHead(500, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: { code: 'internal', message: 'Something broke on the server.' },
        }),
      );
      return;
    }
    for (const l of original) l.call(server, req, res);
  });
  return {
    count: () => failed,
    restore: () => {
      server.removeAllListeners('request');
      for (const l of original) server.on('request', l);
    },
  };
}

describe('a failing backend', { timeout: 120_000 }, () => {
  it('shows a 500 on the page and recovers by itself when the route answers again', async () => {
    await page.goto(web.url);
    await page.getByLabel('API key', { exact: true }).fill(web.org.testKey);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();

    const route = failRoute('/api/v1/connectors');
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Connectors', exact: true })
      .click();
    const error = page.getByRole('alert').filter({ hasText: 'Could not load this' });
    await error.waitFor();
    expect(await error.textContent()).toContain('Something broke on the server.');
    // The server as a whole is up: no outage banner for one failing route.
    expect(await page.getByText('Weft is not reachable').count()).toBe(0);
    await shot(page, 'resilience-00-route-500');

    // The page asks again by itself (after 3 s, then 6 s more, …) while the error stays.
    await expect.poll(route.count, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    route.restore();
    await page.getByText('No connectors yet').waitFor({ timeout: 20_000 });
    expect(await error.count()).toBe(0);
  });

  it('says the server is down and reloads the page when it is back', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Executions', exact: true })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Executions' }).waitFor();
    await page.locator('.loading').waitFor({ state: 'detached' });

    const server = web.t.app.server;
    const { port } = server.address() as AddressInfo;
    const closed = new Promise((resolve) => server.close(resolve));
    server.closeAllConnections();
    await closed;

    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Connectors', exact: true })
      .click();
    const banner = page.getByRole('alert').filter({ hasText: 'Weft is not reachable' });
    await banner.waitFor();
    await page.getByRole('alert').filter({ hasText: 'Weft did not answer' }).waitFor();
    await shot(page, 'resilience-01-server-down');

    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    await banner.waitFor({ state: 'detached' });
    await page.getByText('No connectors yet').waitFor();
    expect(pageErrors).toEqual([]);
  });
});
