// The browser's SSE reader on bytes split anywhere: events cut mid-line and mid-character arrive
// whole, comments and the retry hint are skipped, CRLF line ends are read, multi-line data joins.
import { describe, expect, it } from 'vitest';
import { readEvents } from './assistant.ts';

function streamOf(chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
}

async function read(chunks: Uint8Array[]) {
  const out: unknown[] = [];
  for await (const e of readEvents(streamOf(chunks))) out.push(e);
  return out;
}

const WIRE =
  'retry: 500\n\n' +
  ': keep-alive\n\n' +
  'id: 1\nevent: user\ndata: {"type":"user","text":"Grüße"}\n\n' +
  'id: 2\r\nevent: text_delta\r\ndata: {"type":"text_delta",\r\ndata: "text":"ok\\n"}\r\n\r\n' +
  'event: turn_error\ndata: {"type":"turn_error","message":"stream failed"}\n\n';

const EXPECTED = [
  { id: 1, event: { type: 'user', text: 'Grüße' } },
  { id: 2, event: { type: 'text_delta', text: 'ok\n' } },
  { id: null, event: { type: 'turn_error', message: 'stream failed' } },
];

describe('readEvents', () => {
  it('reads the events of a whole body', async () => {
    expect(await read([new TextEncoder().encode(WIRE)])).toEqual(EXPECTED);
  });

  it('reads the same events however the bytes are split', async () => {
    const bytes = new TextEncoder().encode(WIRE);
    for (let size = 1; size <= 7; size += 1) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.slice(i, i + size));
      expect(await read(chunks), `chunks of ${size}`).toEqual(EXPECTED);
    }
  });

  it('drops an event cut off before its blank line', async () => {
    const cut = new TextEncoder().encode(
      'id: 1\nevent: user\ndata: {"type":"user"}\n\nid: 2\ndata: {"ty',
    );
    expect(await read([cut])).toEqual([{ id: 1, event: { type: 'user' } }]);
  });
});
