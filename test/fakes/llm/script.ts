// What the fake model servers answer, turn by turn, in one shape for both providers: a reply
// (text, tool calls, a refusal, token usage), an HTTP error (429 with retry-after, 500), or a
// hang. Each request takes the next turn; a turn may be a function of the request body, so a
// test can answer based on what the client sent. Requests are recorded as received.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeToolCall {
  readonly id?: string;
  readonly name: string;
  /** An object is sent as JSON; a string is sent as is (malformed JSON on purpose). */
  readonly arguments: Record<string, unknown> | string;
}

export interface FakeReply {
  readonly text?: string;
  readonly toolCalls?: readonly FakeToolCall[];
  /** OpenAI: the message's `refusal`; Anthropic: stop_reason 'refusal' with this text. */
  readonly refusal?: string;
  readonly usage?: { readonly input: number; readonly output: number };
  /** The model name reported back (default: the one requested). */
  readonly model?: string;
  /** Cut the answer into this many stream chunks per text or argument (default 3). */
  readonly pieces?: number;
}

export interface FakeFailure {
  readonly status: number;
  readonly retryAfter?: string;
  readonly retryAfterMs?: string;
  readonly message?: string;
}

export interface FakeHang {
  readonly hang: true;
}

export type FakeTurn = FakeReply | FakeFailure | FakeHang;

export interface RecordedLlmRequest {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Record<string, unknown>;
}

export interface FakeLlmServer {
  /** The server's origin, e.g. http://127.0.0.1:43123 */
  readonly url: string;
  readonly requests: RecordedLlmRequest[];
  /** Appends turns to the script. */
  push(...turns: (FakeTurn | ((body: Record<string, unknown>) => FakeTurn))[]): void;
  /** Turns not yet used. */
  remaining(): number;
  close(): Promise<void>;
}

export const DEFAULT_USAGE = { input: 11, output: 7 } as const;

export function isFailure(turn: FakeTurn): turn is FakeFailure {
  return 'status' in turn;
}

export function isHang(turn: FakeTurn): turn is FakeHang {
  return 'hang' in turn;
}

export function split(text: string, pieces: number): string[] {
  if (text === '') return [];
  const size = Math.max(1, Math.ceil(text.length / pieces));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

export function argumentsText(call: FakeToolCall): string {
  return typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
}

/**
 * A loopback server that takes the next scripted turn for each POST to `path` and hands it to
 * `answer`, after `validate` (which returns a 4xx answer for requests a real API would refuse).
 */
export async function startFakeServer({
  path,
  turns,
  answer,
  validate,
  fail,
}: {
  path: string;
  turns: readonly (FakeTurn | ((body: Record<string, unknown>) => FakeTurn))[];
  answer: (args: { turn: FakeReply; body: Record<string, unknown>; res: ServerResponse }) => void;
  validate: (request: RecordedLlmRequest) => { status: number; message: string } | null;
  fail: (args: {
    res: ServerResponse;
    status: number;
    message: string;
    headers: Record<string, string>;
  }) => void;
}): Promise<FakeLlmServer> {
  const script = [...turns];
  const requests: RecordedLlmRequest[] = [];
  const server: Server = createServer((req, res) => {
    void handle(req, res);
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: Record<string, unknown> = {};
    try {
      body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      fail({ res, status: 400, message: 'the body is not JSON', headers: {} });
      return;
    }
    const recorded: RecordedLlmRequest = {
      at: Date.now(),
      method: req.method ?? '',
      path: (req.url ?? '').split('?')[0] ?? '',
      headers: req.headers,
      body,
    };
    requests.push(recorded);
    if (recorded.method !== 'POST' || recorded.path !== path) {
      fail({
        res,
        status: 404,
        message: `no route ${recorded.method} ${recorded.path}`,
        headers: {},
      });
      return;
    }
    const invalid = validate(recorded);
    if (invalid !== null) {
      fail({ res, status: invalid.status, message: invalid.message, headers: {} });
      return;
    }
    const next = script.shift();
    if (next === undefined) {
      fail({ res, status: 500, message: 'the fake server has no scripted turn left', headers: {} });
      return;
    }
    const turn = typeof next === 'function' ? next(body) : next;
    if (isHang(turn)) return; // never answers; the client's timeout ends it
    if (isFailure(turn)) {
      const headers: Record<string, string> = {};
      if (turn.retryAfter !== undefined) headers['retry-after'] = turn.retryAfter;
      if (turn.retryAfterMs !== undefined) headers['retry-after-ms'] = turn.retryAfterMs;
      fail({
        res,
        status: turn.status,
        message: turn.message ?? `scripted ${turn.status}`,
        headers,
      });
      return;
    }
    answer({ turn, body, res });
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    push: (...more) => {
      script.push(...more);
    },
    remaining: () => script.length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendSse(
  res: ServerResponse,
  events: readonly { event?: string; data: unknown }[],
): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const e of events) {
    const data = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
    res.write(`${e.event === undefined ? '' : `event: ${e.event}\n`}data: ${data}\n\n`);
  }
  res.end();
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
