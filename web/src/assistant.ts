// The Setup Assistant's API from the browser: sessions, and a turn's answer read as Server-Sent
// Events from a fetch body (an EventSource cannot send the API key header). A stream that breaks
// before its `done` event is resumed from the last event id it delivered (Last-Event-ID on the
// session's /events), so each event reaches the page once; the turn itself goes on on the server
// whether or not anyone listens.
import { ApiError, apiStream } from './api.ts';

export const SETUP_STEPS = ['use_cases', 'connectors', 'integration', 'embed', 'live'] as const;
export type SetupStep = (typeof SETUP_STEPS)[number];

export type WireEvent = { type: string } & Record<string, unknown>;
export interface SessionEvent {
  seq: number;
  event: WireEvent;
}

export interface AssistantSession {
  id: string;
  status: 'idle' | 'running' | 'complete';
  step: string | null;
  lastSeq: number;
  createdAt: string;
  updatedAt: string;
}

export interface AssistantSessionDetail extends AssistantSession {
  events: SessionEvent[];
}

export type AssistantMessage =
  | { text: string }
  | { choice: string }
  | { form: string; values: Record<string, string> }
  | { redo: SetupStep };

/** Reads a text/event-stream body: yields each event with an id and JSON data as it completes. */
export async function* readEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ id: number | null; event: WireEvent }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  // A CR ending a chunk may be the first half of a CRLF: it waits for the next chunk.
  let heldCr = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      let text = heldCr + decoder.decode(value, { stream: true });
      heldCr = text.endsWith('\r') ? '\r' : '';
      if (heldCr) text = text.slice(0, -1);
      buffer += text.replace(/\r\n?/g, '\n');
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id: number | null = null;
        const data: string[] = [];
        for (const line of block.split('\n')) {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id' && /^\d+$/.test(text)) id = Number(text);
          else if (field === 'data') data.push(text);
        }
        if (data.length === 0) continue;
        yield { id, event: JSON.parse(data.join('\n')) as WireEvent };
      }
    }
  } finally {
    reader.releaseLock();
  }
}

const RESUME_TRIES = 20;
const RESUME_DELAY_MS = 500;

/**
 * Sends a message and hands every event of the answer to `onEvent`, resuming a broken stream
 * with Last-Event-ID until `done` (or until the server says there is nothing left: 204).
 */
export async function sendMessage(
  sessionId: string,
  message: AssistantMessage,
  onEvent: (e: SessionEvent) => void,
  { signal, lastSeq = 0 }: { signal?: AbortSignal; lastSeq?: number } = {},
): Promise<void> {
  const base = `/assistant/sessions/${encodeURIComponent(sessionId)}`;
  return follow(
    () => apiStream('POST', `${base}/messages`, { body: message, ...(signal && { signal }) }),
    base,
    onEvent,
    signal,
    lastSeq,
  );
}

/** Follows a turn already running (a session opened mid-turn) from `lastSeq`. */
export async function followSession(
  sessionId: string,
  onEvent: (e: SessionEvent) => void,
  { signal, lastSeq }: { signal?: AbortSignal; lastSeq: number },
): Promise<void> {
  const base = `/assistant/sessions/${encodeURIComponent(sessionId)}`;
  return follow(null, base, onEvent, signal, lastSeq);
}

async function follow(
  open: (() => Promise<Response | null>) | null,
  base: string,
  onEvent: (e: SessionEvent) => void,
  signal: AbortSignal | undefined,
  start: number,
): Promise<void> {
  let last = start;
  let first = open;
  // Why the message itself failed, when it did: reported if following finds nothing either.
  let refused: ApiError | null = null;
  for (let attempt = 0; attempt <= RESUME_TRIES; attempt += 1) {
    const resume = () =>
      apiStream('GET', `${base}/events`, {
        headers: { 'last-event-id': String(last) },
        ...(signal && { signal }),
      });
    let res: Response | null;
    try {
      res = await (first ?? resume)();
    } catch (error) {
      if (signal?.aborted || !(error instanceof ApiError)) throw error;
      // A message refused as such (400) is not retried. A lost connection may have delivered it,
      // and a 409 says a turn is running (a retried request of ours, or another tab): follow it.
      const followable = error.status === 0 || (first !== null && error.status === 409);
      if (!followable) throw error;
      if (first !== null) refused = error;
      first = null;
      await new Promise((r) => setTimeout(r, RESUME_DELAY_MS));
      continue;
    }
    first = null;
    if (res === null || res.body === null) {
      if (refused !== null && last === start) throw refused;
      return;
    }
    try {
      for await (const { id, event } of readEvents(res.body)) {
        if (id !== null) {
          if (id <= last) continue;
          last = id;
        }
        onEvent({ seq: id ?? last, event });
        if (event.type === 'done') return;
      }
    } catch (error) {
      if (signal?.aborted) throw error;
    }
    // The stream ended or broke before `done`: pick it up where it stopped.
    await new Promise((r) => setTimeout(r, RESUME_DELAY_MS));
  }
  throw new ApiError(0, 'unreachable', 'The answer was cut off and could not be resumed.');
}
