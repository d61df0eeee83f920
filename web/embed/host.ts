// embed.js: what a customer-facing page includes to open the connect widget.
//
//   <script src="https://weft.example.com/embed.js"></script>
//   Weft.open({ token, onEvent: (event) => … })   // a modal with the widget in an iframe
//   Weft.client({ token })                         // no UI: draw your own with its methods
//
// Events come from the widget's iframe over postMessage and are accepted only from the Weft
// origin this script was loaded from, and only from the iframe this call opened. Each is passed
// to `onEvent` and dispatched on `window` as a `weft:<type>` CustomEvent.

export interface WidgetEvent {
  source: 'weft-widget';
  type: 'ready' | 'connected' | 'disconnected' | 'error' | 'closed';
  connector?: string;
  connectionId?: string;
  message?: string;
  reason?: string;
}

interface OpenOptions {
  token: string;
  onEvent?: (event: WidgetEvent) => void;
  /** Where to put the iframe instead of a modal (an element or a CSS selector). */
  container?: HTMLElement | string;
  /** The Weft server; defaults to where this script came from. */
  baseUrl?: string;
}

const scriptBase = (() => {
  const src = (document.currentScript as HTMLScriptElement | null)?.src;
  return src ? new URL(src).origin : location.origin;
})();

function baseOf(given: string | undefined): string {
  return given ? new URL(given).origin : scriptBase;
}

function open(options: OpenOptions): { close(): void } {
  if (!options || typeof options.token !== 'string' || options.token === '') {
    throw new Error('Weft.open needs { token }: mint one with POST /api/v1/embed/tokens');
  }
  const base = baseOf(options.baseUrl);
  const frame = document.createElement('iframe');
  const src = new URL('/embed', base);
  src.searchParams.set('token', options.token);
  src.searchParams.set('host', location.origin);
  frame.src = src.toString();
  frame.title = 'Connect your apps';
  frame.setAttribute('allow', 'clipboard-write');
  frame.style.border = '0';
  frame.style.width = '100%';
  frame.style.height = '100%';

  let overlay: HTMLElement | null = null;
  const given =
    typeof options.container === 'string'
      ? document.querySelector<HTMLElement>(options.container)
      : (options.container ?? null);
  if (given) {
    given.appendChild(frame);
  } else {
    overlay = document.createElement('div');
    overlay.setAttribute('role', 'dialog');
    overlay.setAttribute('aria-modal', 'true');
    overlay.setAttribute('aria-label', 'Connect your apps');
    overlay.dataset['weftWidget'] = '';
    Object.assign(overlay.style, {
      position: 'fixed',
      inset: '0',
      background: 'rgba(15, 23, 42, 0.55)',
      display: 'flex',
      alignItems: 'center',
      justifyContent: 'center',
      zIndex: '2147483647',
    });
    const box = document.createElement('div');
    Object.assign(box.style, {
      width: 'min(480px, 100vw)',
      height: 'min(640px, 100vh)',
      borderRadius: '12px',
      overflow: 'hidden',
      background: '#fff',
      boxShadow: '0 20px 60px rgba(0,0,0,0.3)',
    });
    box.appendChild(frame);
    overlay.appendChild(box);
    overlay.addEventListener('click', (event) => {
      if (event.target === overlay) close();
    });
    document.body.appendChild(overlay);
  }

  function deliver(event: WidgetEvent): void {
    try {
      options.onEvent?.(event);
    } finally {
      window.dispatchEvent(new CustomEvent(`weft:${event.type}`, { detail: event }));
    }
  }

  function onMessage(message: MessageEvent): void {
    if (message.origin !== base || message.source !== frame.contentWindow) return;
    const data = message.data as Partial<WidgetEvent> | null;
    if (!data || data.source !== 'weft-widget' || typeof data.type !== 'string') return;
    if (data.type === 'closed') {
      close();
      return;
    }
    deliver(data as WidgetEvent);
  }

  function onKey(event: KeyboardEvent): void {
    if (event.key === 'Escape' && overlay) close();
  }

  let closed = false;
  function close(): void {
    if (closed) return;
    closed = true;
    window.removeEventListener('message', onMessage);
    window.removeEventListener('keydown', onKey);
    (overlay ?? frame).remove();
    deliver({ source: 'weft-widget', type: 'closed' });
  }

  window.addEventListener('message', onMessage);
  window.addEventListener('keydown', onKey);
  return { close };
}

/** A headless client over the widget's API, for teams that draw their own UI. */
function client(options: { token: string; baseUrl?: string }) {
  const base = baseOf(options.baseUrl);
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${base}/embed/api${path}`, {
      method,
      headers: {
        authorization: `Bearer ${options.token}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    const parsed = (await res.json().catch(() => null)) as {
      error?: { message?: string };
    } | null;
    if (!res.ok) {
      const error = new Error(parsed?.error?.message ?? `HTTP ${res.status}`) as Error & {
        status?: number;
      };
      error.status = res.status;
      throw error;
    }
    return parsed as T;
  }
  interface Session {
    connectors: { connector: string; connection: { id: string; status: string } | null }[];
  }
  return {
    /** Branding, and each connector with its connection status and recent activity. */
    session: () => call<Session>('GET', '/session'),
    /** Connects with credentials (tested first; a refused key throws the provider's reason). */
    connect: (connector: string, credentials: Record<string, string>) =>
      call('POST', '/connections', { connector, credentials }),
    /**
     * Runs OAuth in a popup (call from a click handler, or the browser blocks it) and resolves
     * once the connection is active and activated.
     */
    async connectOAuth(connector: string) {
      const popup = window.open('about:blank', 'weft-oauth', 'width=520,height=680');
      const started = await call<{ url: string; connectionId: string }>('POST', '/oauth/start', {
        connector,
      });
      if (popup) popup.location.href = started.url;
      else window.open(started.url, 'weft-oauth', 'width=520,height=680');
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        const now = await call<Session>('GET', '/session');
        const status = now.connectors.find((c) => c.connector === connector)?.connection?.status;
        if (status === 'active') break;
        if (status === 'error') throw new Error(`${connector}: the sign-in did not complete`);
        if (popup?.closed && status !== 'active') {
          throw new Error(`${connector}: the sign-in window was closed`);
        }
      }
      return call('POST', `/connections/${started.connectionId}/complete`);
    },
    disconnect: (connectionId: string) => call('DELETE', `/connections/${connectionId}`),
    /** One turn of the onboarding chat ('' starts it). */
    onboarding: (text: string) => call('POST', '/onboarding', { text }),
  };
}

(window as unknown as { Weft: unknown }).Weft = { open, client };
