// Home in Chromium: the Setup Assistant run offline through the chat against the fake shop and
// CRM (test/fixtures/shop-crm.ts, as app/assistant.test.ts uses them), from one sentence to
// "setup complete": spec and credential forms inline (secrets never shown back), tool activity
// on the right, the mapping review with a Change applied, MOCK test cases, Approve and publish, the embed
// step and the go-live checklist, ticked off after a real order made a deal. The longest answer's
// connection is cut by the server mid-stream; the page resumes it with Last-Event-ID and shows
// every event once. The sessions list on the left reopens the session with its history.
import type { Socket } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { startJourney, type JourneyHarness } from '../../agents/workflow/test-harness.ts';
import { axeViolations, launchBrowser, shot } from './harness.ts';

const USE_CASE = 'I run an online shop app; my customers want new orders in their CRM';

let h: JourneyHarness;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  h = await startJourney();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (error) => pageErrors.push(error.stack ?? error.message));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await h?.close();
});

const chat = () => page.getByRole('log', { name: 'Conversation' });

async function say(text: string): Promise<void> {
  await page.getByLabel('Message', { exact: true }).fill(text);
  await page.keyboard.press('Enter');
}

/** Fills the open form of the chat that has `label` and sends it. */
async function answer(label: string, value: string, ms = 120_000): Promise<void> {
  const field = chat().getByLabel(label, { exact: true }).last();
  await field.waitFor({ timeout: ms });
  await expect.poll(() => field.isEnabled(), { timeout: ms }).toBe(true);
  await field.fill(value);
  await field.press('Enter');
}

async function choose(option: string, ms = 120_000): Promise<void> {
  const button = chat().getByRole('button', { name: option, exact: true }).last();
  await button.waitFor({ timeout: ms });
  await expect.poll(() => button.isEnabled(), { timeout: ms }).toBe(true);
  await button.click();
}

describe('Home: the Setup Assistant chat', () => {
  it("runs the Setup Assistant offline to 'setup complete' through the chat", async () => {
    onTestFailed(async () => {
      await shot(page, 'home-failed');
      console.log(
        'chat at the failure:\n',
        await chat()
          .textContent()
          .catch(() => ''),
      );
    });
    await page.goto(h.weftUrl);
    await page.getByLabel('API key', { exact: true }).fill(h.org.liveKey);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    await page.getByText('No sessions yet.').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, 'home-00-empty');

    await say(USE_CASE);
    await chat()
      .getByText(/Use case: new orders in your shop app/)
      .waitFor({ timeout: 30_000 });
    await chat().getByText('Step 2 of 5: Connectors').waitFor();
    await page
      .getByRole('navigation', { name: 'Sessions' })
      .getByRole('button', { name: /Connectors/ })
      .waitFor();
    const steps = page.getByRole('list', { name: 'Setup steps' });
    expect(await steps.locator('[aria-current="step"]').textContent()).toContain('Connectors');

    await answer('OpenAPI spec URL', `${h.apps.shopUrl}/openapi.json`);
    // Tool calls show on the right as they happen.
    await page
      .getByRole('list', { name: 'Tool calls' })
      .getByText('list_connectors')
      .first()
      .waitFor();
    await chat()
      .getByText(/with the Connector Agent/)
      .waitFor({ timeout: 120_000 });
    await answer('API key', h.apps.shopKey);
    await chat()
      .getByText(/the connection test passed/)
      .waitFor({ timeout: 60_000 });
    await answer('OpenAPI spec URL', `${h.apps.crmUrl}/openapi.json`);
    await chat().getByLabel('Token', { exact: true }).waitFor({ timeout: 120_000 });
    await shot(page, 'home-01-credentials-form');

    // The answer to the last form is the long turn (the Workflow Agent plans): the server drops
    // its connection mid-stream, and the page picks it up with Last-Event-ID.
    const requests: { url: string; lastEventId: unknown }[] = [];
    let cut = false;
    const onRequest = (
      req: { url?: string; socket: Socket; headers: Record<string, unknown> },
      res: { write: (...args: never[]) => boolean },
    ) => {
      if (!req.url?.includes('/assistant/sessions/')) return;
      requests.push({ url: req.url, lastEventId: req.headers['last-event-id'] });
      if (cut || !req.url.endsWith('/messages')) return;
      // The answer stops reaching the page at the mapping review (the events before it were
      // delivered), and a moment later its connection is cut: the page must resume from the last
      // event it got to see the review.
      const write = res.write.bind(res);
      let held = false;
      res.write = (...args: never[]) => {
        if (!held && String(args[0]).includes('event: mapping_review')) {
          held = true;
          setTimeout(() => ((cut = true), req.socket.destroy()), 200);
        }
        return held ? true : write(...args);
      };
    };
    h.t.app.server.on('request', onRequest);
    onTestFailed(() => console.log('assistant requests:', JSON.stringify(requests), 'cut:', cut));
    await answer('Token', h.apps.crmToken);
    await chat().getByText('Mappings to review').waitFor({ timeout: 180_000 });
    h.t.app.server.off('request', onRequest);
    expect(cut).toBe(true);
    const resumed = requests.filter((r) => r.url.endsWith('/events'));
    expect(resumed.length).toBeGreaterThan(0);
    expect(Number(resumed[0]?.lastEventId)).toBeGreaterThan(0);
    await chat().getByText("amount ← the order's total, as a number").waitFor();
    // Every event of the session once, in order, as the server stored it.
    const sessionId = await page.evaluate<string>(
      `(async () => (await (await fetch('/api/v1/assistant/sessions?limit=1', { headers: { 'x-fastn-api-key': sessionStorage.getItem('weft.apiKey') } })).json()).data[0].id)()`,
    );
    const detail = (await (
      await fetch(`${h.weftUrl}/api/v1/assistant/sessions/${sessionId}`, {
        headers: { 'x-fastn-api-key': h.org.liveKey },
      })
    ).json()) as { events: { event: { type: string } }[] };
    const shownTexts = await chat().locator('.msg.assistant').count();
    // The greeting plus one bubble per text event.
    expect(shownTexts).toBe(detail.events.filter((e) => e.event.type === 'text_delta').length + 1);
    // Secrets typed into forms are never shown back.
    const transcript = (await chat().textContent()) ?? '';
    expect(transcript).not.toContain(h.apps.shopKey);
    expect(transcript).not.toContain(h.apps.crmToken);
    expect(transcript).toContain('apiKey: ****');

    // Change opens an inline editor for that mapping.
    const review = chat().locator('.mapping-review').last();
    await review
      .getByRole('button', { name: /^Change / })
      .first()
      .click();
    await review.getByLabel(/^New source for /).waitFor();
    await shot(page, 'home-02-mapping-review');
    await review.getByRole('button', { name: 'Cancel' }).click();
    expect(await axeViolations(page)).toEqual([]);
    // A change: the deal's title becomes a fixed text; the plan is made again with it.
    await review.getByRole('button', { name: 'Change deal.title' }).click();
    await review.getByLabel('New source for deal.title', { exact: true }).fill("'Web order'");
    await review.getByRole('button', { name: 'Apply' }).click();
    await chat().getByText('title ← always "Web order"').waitFor({ timeout: 120_000 });

    await choose('Approve mappings');
    await chat().locator('.test-cases').getByText('MOCK').first().waitFor({ timeout: 180_000 });
    await shot(page, 'home-03-test-cases');
    await choose('Approve and publish');
    await chat()
      .getByText(/published to production/)
      .waitFor({ timeout: 180_000 });
    await chat()
      .getByText(/\/mcp\/gateway/)
      .waitFor();
    await choose('Continue');
    await chat()
      .getByText(/item\(s\) left; ask me to check again/)
      .waitFor({ timeout: 60_000 });
    const checklist = page.locator('.home-side .progress');
    await checklist.getByText('A successful execution').waitFor();
    await checklist.getByText('4 of 5 done').waitFor();

    await h.apps.placeOrder({
      number: 'SO-77',
      status: 'paid',
      currency: 'EUR',
      total: '18.00',
      customer: { email: 'lee@example.com', name: 'Lee' },
      line_items: [],
      note: null,
    });
    await expect.poll(() => h.apps.deals().length, { timeout: 30_000 }).toBeGreaterThan(0);
    expect(h.apps.deals()[0]).toMatchObject({ title: 'Web order', amount: 18 });
    await say('check again');
    await chat()
      .getByText('Setup complete: your integration is live.')
      .first()
      .waitFor({ timeout: 60_000 });
    await checklist.getByText('5 of 5 done').waitFor();
    expect(await steps.locator('li.done').count()).toBe(5);
    await page.getByRole('navigation', { name: 'Sessions' }).getByText('complete').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, 'home-04-setup-complete');

    // A new session starts empty; the list reopens the finished one with its history.
    await page.getByRole('button', { name: 'New session' }).click();
    await expect.poll(() => chat().locator('.msg.user').count()).toBe(0);
    await page
      .getByRole('navigation', { name: 'Sessions' })
      .getByRole('button', { name: /Live/ })
      .click();
    await chat().getByText('Setup complete: your integration is live.').first().waitFor();
    // The open session is in the address: a reload reopens it.
    expect(page.url()).toContain(`?session=${sessionId}`);
    await page.reload();
    await chat().getByText('Setup complete: your integration is live.').first().waitFor();
    await chat().getByText('title ← always "Web order"').first().waitFor();

    // A finished step can be redone from the progress panel: the chat goes back to it.
    await steps.getByRole('button', { name: 'Redo Embed' }).click();
    await chat().locator('.msg.user').filter({ hasText: 'Redo Embed' }).waitFor();
    await chat().getByText('Back to embed.').waitFor();
    await steps.locator('li[aria-current="step"]').filter({ hasText: 'Embed' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await shot(page, 'home-05-redo-step');
    expect(pageErrors).toEqual([]);
  }, 600_000);
});
