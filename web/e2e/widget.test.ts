// The connect widget in Chromium, across origins: Weft (the real app on PGlite) on one loopback
// port, a customer-facing host page on another, serving the README's embed snippet as written
// (only the example Weft URL is replaced) and a /weft-token endpoint that mints tokens with the
// org's API key, as the README tells a backend to. A fake SaaS (API key, webhooks) and a strict
// local OAuth provider stand in for the apps being connected. Covered: a bad key refused with
// the provider's message and a good one saved; OAuth in a popup; disconnecting; each event
// reaching the host page; activation and deactivation seen in the execution log and the
// provider's webhook subscriptions; expired and tampered tokens refused; customer B's token
// neither seeing nor touching customer A's connections; a page on an origin the widget does not
// allow unable to frame it.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Frame, FrameLocator, Page } from 'playwright-core';
import { fakeSaasConnector, startFakeSaas, type FakeSaas } from '../../test/fixtures/fake-saas.ts';
import { startFixtures, type Fixtures } from '../../test/fixtures/index.ts';
import { createTestApp, seedOrg, withKey, type SeededOrg, type TestApp } from '../../test/app.ts';
import { signToken, type Claims } from '../../server/modules/embed/tokens.ts';
import { a11yProblems, launchBrowser, shot } from './harness.ts';

const README = path.resolve(import.meta.dirname, '../../README.md');

/** The first ```html block of the README's "Connect widget" section, exactly as written. */
function readmeSnippet(): string {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('\n## Connect widget\n'));
  const match = /```html\n([\s\S]*?)```/.exec(section);
  if (!match?.[1]) throw new Error('README.md has no html snippet under "## Connect widget"');
  return match[1];
}

interface WidgetEvent {
  type: string;
  connector?: string;
  connectionId?: string;
  message?: string;
  reason?: string;
}

const host = (url: string) => new URL(url).host;

describe('connect widget in the browser', () => {
  let t: TestApp;
  let org: SeededOrg;
  let fx: Fixtures;
  let saas: FakeSaas;
  let weft: string;
  let hostServer: Server;
  let hostUrl: string;
  let strangerServer: Server;
  let strangerUrl: string;
  let browser: Browser;
  let page: Page;
  const customers: Record<'A' | 'B', string> = { A: '', B: '' };
  /** What the host page's backend mints tokens for; a test may replace the token outright. */
  const hostState: { customer: 'A' | 'B'; token: (() => string) | null } = {
    customer: 'A',
    token: null,
  };
  let events: WidgetEvent[] = [];
  const pageErrors: string[] = [];

  const api = async (method: string, url: string, payload?: unknown) => {
    const res = await t.app.inject({
      method: method as 'GET',
      url,
      headers: withKey(org.liveKey),
      ...(payload !== undefined && { payload: payload as object }),
    });
    return { status: res.statusCode, body: res.body ? res.json() : null };
  };

  async function mint(customer: 'A' | 'B'): Promise<{ token: string; jti: string }> {
    // As a SaaS backend does: over HTTP, with its API key.
    const res = await fetch(`${weft}/api/v1/embed/tokens`, {
      method: 'POST',
      headers: { ...withKey(org.liveKey), 'content-type': 'application/json' },
      body: JSON.stringify({ widget: 'crm', customerId: customers[customer] }),
    });
    if (res.status !== 201) throw new Error(`mint: ${res.status} ${await res.text()}`);
    return (await res.json()) as { token: string; jti: string };
  }

  function hostPage(): string {
    const snippet = readmeSnippet().replaceAll('https://weft.example.com', weft);
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme app</title></head>
<body><h1>Acme app</h1>${snippet}</body></html>`;
  }

  function serveHost(req: IncomingMessage, res: ServerResponse): void {
    void (async () => {
      if (req.url === '/weft-token') {
        const token = hostState.token ? hostState.token() : (await mint(hostState.customer)).token;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token }));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(hostPage());
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  }

  async function listen(server: Server): Promise<string> {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async function openWidget(from = hostUrl): Promise<FrameLocator> {
    await page.goto(from);
    await page.getByRole('button', { name: 'Connect your apps' }).click();
    return page.frameLocator('iframe[title="Connect your apps"]');
  }

  function widgetFrame(): Frame {
    const frame = page.frames().find((f) => f.url().startsWith(`${weft}/embed`));
    if (!frame) throw new Error('no widget frame');
    return frame;
  }

  async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>) {
    for (let i = 0; i < 400; i++) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`timed out waiting for ${what}; events: ${JSON.stringify(events)}`);
  }

  const eventOf = (type: string, connector?: string) =>
    until(`a ${type} event`, () =>
      events.find((e) => e.type === type && (connector === undefined || e.connector === connector)),
    );

  const executions = async (customer: 'A' | 'B') =>
    (await api('GET', `/api/v1/executions?customerId=${customers[customer]}`)).body.data as {
      input: { lifecycle?: string; connector?: string };
      status: string;
    }[];

  beforeAll(async () => {
    saas = await startFakeSaas();
    fx = await startFixtures({ redirectUri: 'http://127.0.0.1:1/unused' });
    t = await createTestApp('pglite', {
      env: {
        WEFT_SSRF_TEST_ALLOWLIST: [host(saas.url), host(fx.provider.url), host(fx.api.url)].join(
          ',',
        ),
        WEFT_RATE_LIMIT_PER_MINUTE: '100000',
      },
    });
    weft = (await t.app.listen({ port: 0, host: '127.0.0.1' })).replace('localhost', '127.0.0.1');
    fx.provider.addClient({
      clientId: 'weft-app',
      clientSecret: 'weft-app-secret',
      redirectUris: [`${weft}/api/v1/oauth/callback`],
    });
    org = await seedOrg(t, 'Acme SaaS');
    hostServer = createServer(serveHost);
    hostUrl = await listen(hostServer);
    strangerServer = createServer(serveHost);
    strangerUrl = await listen(strangerServer);

    expect(
      (
        await api(
          'POST',
          '/api/v1/connectors/import-definition',
          fakeSaasConnector({ slug: 'fake-saas', baseUrl: saas.url }),
        )
      ).status,
    ).toBe(201);
    const oauth = await api('POST', '/api/v1/connectors/import-definition', {
      weftConnector: 1,
      connector: {
        slug: 'notes',
        name: 'Notes',
        baseUrl: fx.api.url,
        authMethods: [
          {
            key: 'oauth2',
            type: 'oauth2',
            grant: 'authorization_code',
            authorizeUrl: fx.provider.authorizeUrl,
            tokenUrl: fx.provider.tokenUrl,
            scopes: ['read'],
          },
        ],
      },
      actions: [{ slug: 'me', name: 'Who am I', method: 'GET', path: '/me' }],
    });
    expect(oauth.status, JSON.stringify(oauth.body)).toBe(201);
    expect(
      (
        await api('PUT', '/api/v1/connectors/notes/oauth-app', {
          clientId: 'weft-app',
          clientSecret: 'weft-app-secret',
        })
      ).status,
    ).toBe(200);
    customers.A = (await api('POST', '/api/v1/customers', { name: 'Customer A' })).body.id;
    customers.B = (await api('POST', '/api/v1/customers', { name: 'Customer B' })).body.id;
    await api('POST', '/api/v1/workflows', {
      name: 'sync-items',
      source: 'export default async function (ctx) { return { lifecycle: ctx.input.lifecycle }; }',
    });
    await api('POST', '/api/v1/workflows/sync-items/publish', { deployTo: ['production'] });
    const widget = await api('POST', '/api/v1/widgets', {
      slug: 'crm',
      name: 'Acme integrations',
      connectors: [
        {
          connector: 'fake-saas',
          workflows: [
            {
              workflow: 'sync-items',
              events: ['item.created'],
              runOnConnect: true,
              runOnDisconnect: true,
            },
          ],
        },
        {
          connector: 'notes',
          workflows: [{ workflow: 'sync-items', runOnConnect: true }],
        },
      ],
      branding: {
        title: 'Connect your apps',
        subtitle: 'Acme syncs your records both ways.',
        primaryColor: '#0f766e',
      },
      allowedOrigins: [hostUrl],
    });
    expect(widget.status, JSON.stringify(widget.body)).toBe(201);

    browser = await launchBrowser();
    page = await browser.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      const text = message.text();
      const match = /^weft (\w+) (.*)$/.exec(text);
      if (match?.[2]) events.push(JSON.parse(match[2]) as WidgetEvent);
    });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => hostServer?.close(resolve));
    await new Promise((resolve) => strangerServer?.close(resolve));
    await t?.close();
    await saas?.close();
    await fx?.close();
  });

  it('connects with an API key: a bad key is refused with the provider’s message, a good one is saved and activated', async () => {
    events = [];
    const widget = await openWidget();
    await eventOf('ready');
    await widget.getByRole('heading', { name: 'Connect your apps' }).waitFor();
    const card = widget.locator('[data-connector="fake-saas"]');
    await card.getByRole('button', { name: 'Connect' }).click();
    await card.getByLabel('API key').fill('wrong-key');
    await card.getByLabel('Webhook secret').fill(saas.webhookSecret);
    await card.getByRole('button', { name: 'Save and connect' }).click();
    await expect
      .poll(() => card.getByRole('alert').textContent(), { timeout: 20_000 })
      .toBe('Fake SaaS refused these details: missing or wrong X-Api-Key');
    const refused = await eventOf('error', 'fake-saas');
    expect(refused.message).toBe('Fake SaaS refused these details: missing or wrong X-Api-Key');
    expect((await api('GET', `/api/v1/connections?customerId=${customers.A}`)).body.data).toEqual(
      [],
    );
    expect(saas.registrations()).toEqual([]);

    await card.getByLabel('API key').fill(saas.apiKey);
    await card.getByRole('button', { name: 'Save and connect' }).click();
    await card.getByText('Connected', { exact: true }).waitFor();
    const connected = await eventOf('connected', 'fake-saas');
    const connection = (await api('GET', `/api/v1/connections/${connected.connectionId}`)).body;
    expect(connection).toMatchObject({ customerId: customers.A, status: 'active' });
    // Activation: the provider holds a subscription for this connection's trigger, and the
    // connect run is in the execution log for this customer.
    expect(saas.registrations()).toEqual([
      expect.objectContaining({ event: 'item.created', url: expect.stringMatching(/\/hooks\//) }),
    ]);
    const triggers = (await api('GET', '/api/v1/triggers')).body.data as {
      appEvent?: { connectionId: string; subscription: { status: string } };
    }[];
    expect(triggers.map((tr) => tr.appEvent)).toEqual([
      expect.objectContaining({
        connectionId: connected.connectionId,
        subscription: expect.objectContaining({ status: 'subscribed' }),
      }),
    ]);
    expect(await executions('A')).toEqual([
      expect.objectContaining({
        status: 'completed',
        input: expect.objectContaining({ lifecycle: 'connected', connector: 'fake-saas' }),
      }),
    ]);
    // The card says how the sync went, in words.
    await widget.getByText('Sync items finished just now').waitFor();
    // The widget's branding reaches its page (a string: this file has no DOM types).
    expect(
      await widgetFrame().evaluate<string>(
        "getComputedStyle(document.documentElement).getPropertyValue('--primary')",
      ),
    ).toBe('#0f766e');
    await shot(page, 'widget-connected');
    // The check only evaluates a script, which a frame does as a page does.
    expect(await a11yProblems(widgetFrame() as unknown as Page)).toEqual([]);
  });

  it('connects through OAuth in a popup against the local provider', async () => {
    events = [];
    const widget = await openWidget();
    await eventOf('ready');
    const card = widget.locator('[data-connector="notes"]');
    const popup = page.waitForEvent('popup');
    await card.getByRole('button', { name: 'Connect' }).click();
    // The provider approves at once and sends the popup back through Weft's callback to the
    // widget's done page, which reports to the widget and closes.
    await (await popup).waitForEvent('close');
    const connected = await eventOf('connected', 'notes');
    await card.getByText('Connected', { exact: true }).waitFor();
    const connection = (await api('GET', `/api/v1/connections/${connected.connectionId}`)).body;
    expect(connection).toMatchObject({
      customerId: customers.A,
      status: 'active',
      credentialFields: ['access_token', 'refresh_token'],
    });
    expect((await executions('A')).map((e) => e.input.connector)).toContain('notes');
  });

  it('disconnects: the host hears it, and the trigger, the provider subscription and the connection go', async () => {
    events = [];
    const widget = await openWidget();
    await eventOf('ready');
    const card = widget.locator('[data-connector="fake-saas"]');
    await card.getByRole('button', { name: 'Disconnect' }).click();
    const gone = await eventOf('disconnected', 'fake-saas');
    await card.getByText('Not connected', { exact: true }).waitFor();
    expect(saas.registrations()).toEqual([]);
    expect((await api('GET', '/api/v1/triggers')).body.data).toEqual([]);
    expect((await api('GET', `/api/v1/connections/${gone.connectionId}`)).status).toBe(404);
    const lifecycles = (await executions('A'))
      .filter((e) => e.input.connector === 'fake-saas')
      .map((e) => e.input.lifecycle);
    expect(lifecycles).toEqual(['disconnected', 'connected']);

    await widget.getByRole('button', { name: 'Close' }).click();
    await eventOf('closed');
    await expect
      .poll(() => page.locator('iframe[title="Connect your apps"]').count(), { timeout: 20_000 })
      .toBe(0);
  });

  it('a token for customer B neither sees nor touches customer A’s connections', async () => {
    const notesOfA = (
      (await api('GET', `/api/v1/connections?customerId=${customers.A}`)).body.data as {
        id: string;
        connector: string;
      }[]
    ).find((c) => c.connector === 'notes');
    expect(notesOfA).toBeDefined();
    hostState.customer = 'B';
    try {
      events = [];
      const widget = await openWidget();
      await eventOf('ready');
      const card = widget.locator('[data-connector="notes"]');
      await card.getByText('Not connected', { exact: true }).waitFor();
      expect(await widget.locator('.badge.ok').count()).toBe(0);
      // The headless client, from the host page's origin, with B's token.
      const { token } = await mint('B');
      const attempt = await page.evaluate(
        async ({ token, id }) => {
          const client = (
            globalThis as unknown as {
              Weft: {
                client(o: { token: string }): {
                  disconnect(id: string): Promise<unknown>;
                  session(): Promise<{ connectors: { connection: unknown }[] }>;
                };
              };
            }
          ).Weft.client({ token });
          const session = await client.session();
          try {
            await client.disconnect(id);
            return { session, outcome: 'disconnected' };
          } catch (error) {
            return { session, outcome: (error as Error).message };
          }
        },
        { token, id: notesOfA!.id },
      );
      expect(attempt.session.connectors.map((c) => c.connection)).toEqual([null, null]);
      expect(attempt.outcome).toBe(`no connection ${notesOfA!.id} in this widget`);
      expect((await api('GET', `/api/v1/connections/${notesOfA!.id}`)).body.status).toBe('active');
    } finally {
      hostState.customer = 'A';
    }
  });

  it('asks a new customer what to sync, and their answers shape the triggers connecting creates', async () => {
    const patched = await api('PATCH', '/api/v1/widgets/crm', {
      onboarding: {
        enabled: true,
        filters: [
          { label: 'Everything' },
          { label: 'Only open items', filter: 'body.payload.status = "open"' },
        ],
        fields: ['name', 'status', 'owner'],
      },
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    hostState.customer = 'B';
    try {
      events = [];
      const widget = await openWidget();
      await eventOf('ready');
      const chat = widget.getByRole('region', { name: 'Set up your sync' });
      await chat.getByText('What would you like us to sync?').waitFor();
      await chat.getByRole('button', { name: 'Only open items' }).click();
      await chat.getByText('Which fields matter to you?', { exact: false }).waitFor();
      await chat.getByLabel('name', { exact: true }).check();
      await chat.getByLabel('status', { exact: true }).check();
      await chat.getByRole('button', { name: 'Continue' }).click();
      await chat.getByText('How often should we sync?').waitFor();
      await chat.getByRole('textbox', { name: 'Your answer' }).fill('once a day is plenty');
      await chat.getByRole('button', { name: 'Send' }).click();
      await chat
        .getByText(
          'All set. We will sync only open items with name and status, once a day. Now connect your account below.',
        )
        .waitFor();
      await shot(page, 'widget-onboarding');
      expect(await a11yProblems(widgetFrame() as unknown as Page)).toEqual([]);
      await chat.getByRole('button', { name: 'Continue' }).click();

      const card = widget.locator('[data-connector="fake-saas"]');
      await card.getByRole('button', { name: 'Connect' }).click();
      await card.getByLabel('API key').fill(saas.apiKey);
      await card.getByLabel('Webhook secret').fill(saas.webhookSecret);
      await card.getByRole('button', { name: 'Save and connect' }).click();
      const connected = await eventOf('connected', 'fake-saas');
      const triggers = (await api('GET', '/api/v1/triggers')).body.data as {
        type: string;
        routes: { filter: string | null; payload: unknown }[];
        scheduler?: { schedule: unknown };
      }[];
      expect(triggers.find((tr) => tr.type === 'app_event')?.routes[0]?.filter).toBe(
        'body.payload.status = "open"',
      );
      const scheduled = triggers.find((tr) => tr.type === 'scheduler');
      expect(scheduled?.scheduler?.schedule).toEqual({ preset: 'daily', time: '06:00' });
      expect(scheduled?.routes[0]?.payload).toMatchObject({
        customerId: customers.B,
        settings: { fields: ['name', 'status'], filterLabel: 'Only open items' },
      });
      await card.getByRole('button', { name: 'Disconnect' }).click();
      await eventOf('disconnected', 'fake-saas');
      expect((await api('GET', '/api/v1/triggers')).body.data).toEqual([]);
      expect(connected.connectionId).toBeDefined();
    } finally {
      hostState.customer = 'A';
      await api('PATCH', '/api/v1/widgets/crm', { onboarding: { enabled: false } });
    }
  });

  it('refuses an expired or tampered token, and tells the host page', async () => {
    const real = await mint('A');
    const [v, kid, payload, mac] = real.token.split('.') as [string, string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    const now = Math.floor(Date.now() / 1000);
    const expired = signToken({
      keyring: t.keyring,
      claims: { ...(claims as unknown as Claims), iat: now - 700, exp: now - 100 },
    });
    const tampered = `${v}.${kid}.${Buffer.from(JSON.stringify({ ...claims, cus: customers.B })).toString('base64url')}.${mac}`;
    for (const [token, reason, words] of [
      [expired, 'expired', 'this connect link has expired; open it again from the app'],
      [tampered, 'bad_signature', 'this connect link is not valid; open it again from the app'],
    ] as const) {
      hostState.token = () => token;
      try {
        events = [];
        const widget = await openWidget();
        await widget.getByRole('heading', { name: 'This link does not work' }).waitFor();
        expect(await widget.getByRole('alert').textContent()).toBe(words);
        expect(await eventOf('error')).toMatchObject({ reason, message: words });
        const direct = await fetch(`${weft}/embed/api/session`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(direct.status).toBe(401);
      } finally {
        hostState.token = null;
      }
    }
  });

  it('cannot be framed by a page on an origin the widget does not allow', async () => {
    events = [];
    const blocked: string[] = [];
    const onConsole = (message: { text(): string }) => {
      if (/frame-ancestors/.test(message.text())) blocked.push(message.text());
    };
    page.on('console', onConsole);
    try {
      await openWidget(strangerUrl);
      await expect.poll(() => blocked.length, { timeout: 20_000 }).toBeGreaterThan(0);
      expect(blocked[0]).toContain(`frame-ancestors ${hostUrl}`);
      // Nothing of the widget ran there: no frame shows it, no event came.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const frames = page.frames().filter((f) => f !== page.mainFrame());
      expect(frames.length).toBe(1);
      for (const frame of frames) {
        // What the browser shows instead is its own error page, never the widget.
        expect(await frame.getByRole('heading', { name: 'Connect your apps' }).count()).toBe(0);
        expect(await frame.locator('[data-connector]').count()).toBe(0);
      }
      expect(events.filter((e) => e.type !== 'closed')).toEqual([]);
      // The same widget from the allowed origin still opens.
      events = [];
      await openWidget(hostUrl);
      await eventOf('ready');
    } finally {
      page.off('console', onConsole);
    }
  });

  it('had no uncaught errors in any page', () => {
    expect(pageErrors).toEqual([]);
  });
});
