// The web app's one way to the API: every request carries the API key (kept in sessionStorage,
// so it ends with the tab and never appears in a URL), or, for a person signed in with a
// password, rides on the HttpOnly session cookie with the session's CSRF token in x-weft-csrf
// (kept in sessionStorage too; fetched again from /auth/session in a new tab), and turns any failure into an ApiError
// with the server's message. A network error or a 5xx makes the app check /health; while that
// fails, a banner says Weft is unreachable and /health is polled, and when it answers again every
// open page reloads its data (`epoch`). A 401 signs out with the reason.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

const KEY_STORAGE = 'weft.apiKey';
const CSRF_STORAGE = 'weft.csrf';
export const API_KEY_HEADER = 'x-fastn-api-key';
export const CSRF_HEADER = 'x-weft-csrf';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

type Listener = () => void;
const listeners = new Set<Listener>();
const state = {
  key: readStored(KEY_STORAGE),
  csrf: readStored(CSRF_STORAGE),
  down: false,
  epoch: 0,
  signOutReason: '',
};

function readStored(name: string): string | null {
  try {
    return sessionStorage.getItem(name);
  } catch {
    return null;
  }
}

/** Signed in: with an API key, or as a person with the session cookie. */
export function signedIn(): boolean {
  return state.key !== null || state.csrf !== null;
}

/** After a password sign-in: the cookie is set; the CSRF token goes with every request. */
export function signInAsPerson(csrf: string): void {
  sessionStorage.setItem(CSRF_STORAGE, csrf);
  state.csrf = csrf;
  state.signOutReason = '';
  emit();
}

/** A new tab with the session cookie still valid picks the session up again. */
export async function resumeSession(): Promise<void> {
  if (signedIn()) return;
  try {
    const res = await fetch('/api/v1/auth/session', { cache: 'no-store' });
    if (!res.ok) return;
    const info = (await res.json()) as { csrfToken: string | null };
    if (info.csrfToken) signInAsPerson(info.csrfToken);
  } catch {
    // Not reachable or not signed in: the sign-in page stays.
  }
}

function authHeaders(): Record<string, string> {
  if (state.key) return { [API_KEY_HEADER]: state.key };
  if (state.csrf) return { [CSRF_HEADER]: state.csrf };
  return {};
}

function emit(): void {
  for (const l of listeners) l();
}

export function useAppState(): typeof state {
  const [, force] = useState(0);
  useEffect(() => {
    const l = () => force((n) => n + 1);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return state;
}

export function signIn(key: string): void {
  sessionStorage.setItem(KEY_STORAGE, key);
  state.key = key;
  state.signOutReason = '';
  emit();
}

export function signOut(reason = ''): void {
  sessionStorage.removeItem(KEY_STORAGE);
  if (state.csrf !== null) {
    sessionStorage.removeItem(CSRF_STORAGE);
    state.csrf = null;
    void fetch('/api/v1/auth/sign-out', { method: 'POST' }).catch(() => undefined);
  }
  state.key = null;
  state.signOutReason = reason;
  emit();
}

/** `test` or `live`, from the key's own prefix (the API decides the mode the same way). */
export function keyMode(): 'test' | 'live' | null {
  if (state.key?.startsWith('wk_live_')) return 'live';
  if (state.key?.startsWith('wk_test_')) return 'test';
  return null;
}

let polling: ReturnType<typeof setTimeout> | null = null;

async function healthy(): Promise<boolean> {
  try {
    const res = await fetch('/health', { cache: 'no-store' });
    return res.ok;
  } catch {
    return false;
  }
}

function pollHealth(): void {
  if (polling) return;
  const tick = async () => {
    if (await healthy()) {
      polling = null;
      state.down = false;
      state.epoch += 1;
      emit();
      return;
    }
    polling = setTimeout(() => void tick(), 2000);
  };
  polling = setTimeout(() => void tick(), 1000);
}

async function suspectOutage(): Promise<void> {
  if (state.down) return;
  if (await healthy()) return;
  state.down = true;
  emit();
  pollHealth();
}

/** Calls `/api/v1<path>`; resolves with the parsed JSON (undefined for 204). */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = authHeaders();
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers,
      cache: 'no-store',
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  } catch {
    void suspectOutage();
    throw new ApiError(0, 'unreachable', 'Weft did not answer (the server may be down).');
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    const message = error?.message ?? `The server answered ${res.status}.`;
    if (res.status === 401 && path !== '/agent-runs') {
      signOut(`Signed out: ${message}`);
    }
    if (res.status >= 500) void suspectOutage();
    throw new ApiError(res.status, error?.code ?? `http_${res.status}`, message);
  }
  return json as T;
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
}

const SERVER_ERROR_RETRY_MS = 3000;
const SERVER_ERROR_RETRY_MAX_MS = 30_000;

/** GETs `path` (null: nothing yet) and reloads when it changes or the server comes back. */
export function useApi<T>(
  path: string | null,
  { refreshMs }: { refreshMs?: number } = {},
): Loaded<T> {
  const { epoch } = useAppState();
  const [tick, setTick] = useState(0);
  const [result, setResult] = useState<{ path: string | null; data?: T; error?: ApiError }>({
    path: null,
  });
  const [loading, setLoading] = useState(path !== null);
  useEffect(() => {
    if (path === null) return undefined;
    let live = true;
    setLoading(true);
    api<T>('GET', path).then(
      (data) => {
        if (!live) return;
        setResult({ path, data });
        setLoading(false);
      },
      (error: unknown) => {
        if (!live) return;
        const e = error instanceof ApiError ? error : new ApiError(0, 'client', String(error));
        setResult((prev) => ({ path, ...(prev.path === path && { data: prev.data }), error: e }));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [path, epoch, tick]);
  useEffect(() => {
    if (!refreshMs || path === null) return undefined;
    const timer = setInterval(() => setTick((n) => n + 1), refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs, path]);
  // A server error (5xx) is tried again until the data comes back, after 3 s, then waiting twice
  // as long each time up to 30 s; an unreachable server is retried by the health poll instead
  // (its recovery reloads every page).
  const failed = result.path === path && result.error !== undefined && result.error.status >= 500;
  const failures = useRef(0);
  useEffect(() => {
    if (!failed) {
      failures.current = 0;
      return undefined;
    }
    const wait = Math.min(SERVER_ERROR_RETRY_MS * 2 ** failures.current, SERVER_ERROR_RETRY_MAX_MS);
    failures.current += 1;
    const timer = setTimeout(() => setTick((n) => n + 1), wait);
    return () => clearTimeout(timer);
  }, [failed, result]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  const fresh = result.path === path;
  return {
    data: fresh ? result.data : undefined,
    error: fresh ? result.error : undefined,
    loading: loading || !fresh,
    reload,
  };
}

/** Builds `?a=1&b=2` from the defined, non-empty values. */
export function query(
  params: Record<string, string | number | boolean | undefined | null>,
): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/**
 * Opens a streamed answer (Server-Sent Events) from `/api/v1<path>` with the API key header, which
 * an EventSource cannot send. A refusal becomes an ApiError as in `api`; a 204 answers null.
 */
export async function apiStream(
  method: string,
  path: string,
  {
    body,
    headers = {},
    signal,
  }: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Response | null> {
  const all: Record<string, string> = {
    accept: 'text/event-stream',
    ...headers,
    ...authHeaders(),
  };
  if (body !== undefined) all['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers: all,
      cache: 'no-store',
      ...(signal && { signal }),
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  } catch (error) {
    if (signal?.aborted) throw error;
    void suspectOutage();
    throw new ApiError(0, 'unreachable', 'Weft did not answer (the server may be down).');
  }
  if (res.status === 204) return null;
  if (!res.ok) {
    const json = (await res.json().catch(() => undefined)) as
      { error?: { code?: string; message?: string } } | undefined;
    const message = json?.error?.message ?? `The server answered ${res.status}.`;
    if (res.status === 401) signOut(`Signed out: ${message}`);
    if (res.status >= 500) void suspectOutage();
    throw new ApiError(res.status, json?.error?.code ?? `http_${res.status}`, message);
  }
  return res;
}
