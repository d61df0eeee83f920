// Real requests to real servers, all on loopback. Nothing here may open a connection to a
// non-loopback address: refusals of private and metadata addresses must happen before connect,
// and every test that expects one asserts that no socket connected anywhere.
import diagnostics from 'node:diagnostics_channel';
import dns from 'node:dns';
import http from 'node:http';
import net from 'node:net';
import fc from 'fast-check';
import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEgressEntry } from './egress.ts';
import {
  createEgressPolicy,
  createGuardedDispatcher,
  guardedFetch,
  isForbiddenAddress,
  SsrfError,
} from './ssrf.ts';

interface Fixture {
  readonly port: number;
  /** Requests the server answered (path, authorization header). */
  readonly requests: { url: string; authorization: string | undefined }[];
  /** For each closed connection, how many bytes the client had sent on it. */
  readonly bytesReadPerConnection: number[];
  close(): Promise<void>;
}

/** A loopback server: `redirects()` maps a path to a 302 target; anything else answers 200. */
async function startServer({
  host,
  redirects,
}: {
  host: string;
  redirects?: () => Record<string, string>;
}): Promise<Fixture> {
  const requests: Fixture['requests'] = [];
  const bytesReadPerConnection: number[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    const location = redirects?.()[req.url ?? ''];
    if (location !== undefined) {
      res.writeHead(302, { location }).end();
      return;
    }
    res.end(`ok ${req.url}`);
  });
  server.on('connection', (socket) => {
    socket.on('close', () => bytesReadPerConnection.push(socket.bytesRead));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    requests,
    bytesReadPerConnection,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function tryStartServer(host: string): Promise<Fixture | undefined> {
  try {
    return await startServer({ host });
  } catch {
    return undefined;
  }
}

/**
 * Watches every client socket Node creates while `run` executes (through the
 * `net.client.socket` diagnostics channel) and reports which remote addresses were connected to.
 */
async function watchSockets(run: () => Promise<unknown>): Promise<{
  created: number;
  connectedTo: string[];
}> {
  let created = 0;
  const connectedTo: string[] = [];
  const onSocket = (message: unknown): void => {
    const { socket } = message as { socket: net.Socket };
    created += 1;
    socket.once('connect', () => connectedTo.push(`${socket.remoteAddress}:${socket.remotePort}`));
  };
  diagnostics.subscribe('net.client.socket', onSocket);
  try {
    await run();
  } finally {
    diagnostics.unsubscribe('net.client.socket', onSocket);
  }
  return { created, connectedTo };
}

async function refusal(promise: Promise<unknown>): Promise<SsrfError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SsrfError);
  expect((error as SsrfError).code).toBe('ssrf_blocked');
  return error as SsrfError;
}

async function text({ url, dispatcher }: { url: string; dispatcher: Dispatcher }): Promise<string> {
  const response = await guardedFetch(url, {}, { dispatcher });
  return response.text();
}

/** Fixed answers for a few names; everything else goes to the system resolver. */
const FIXED_NAMES: Record<string, readonly string[]> = {
  'metadata.example.test': ['169.254.169.254'],
  'internal.example.test': ['10.0.0.1'],
  'v6-internal.example.test': ['fd00::1'],
  'loopback.example.test': ['127.0.0.1'],
  'mixed.example.test': ['169.254.169.254', '10.0.0.1', '127.0.0.1'],
  // A metadata service's name, answered with loopback so that letting it through is observable.
  'metadata.google.internal': ['127.0.0.1'],
};

const fixedLookup: net.LookupFunction = (hostname, options, callback) => {
  const addresses = FIXED_NAMES[hostname];
  if (addresses === undefined) {
    dns.lookup(hostname, options, callback);
    return;
  }
  const entries = addresses.map((address) => ({ address, family: net.isIP(address) }));
  if (options.all === true) callback(null, entries);
  else callback(null, entries[0]!.address, entries[0]!.family);
};

let allowed: Fixture;
let other: Fixture;
let redirector: Fixture;
let v6: Fixture | undefined;
let testMode: Dispatcher;
let production: Dispatcher;

beforeAll(async () => {
  allowed = await startServer({ host: '127.0.0.1' });
  other = await startServer({ host: '127.0.0.1' });
  v6 = await tryStartServer('::1');
  redirector = await startServer({
    host: '127.0.0.1',
    redirects: () => ({
      '/to-allowed': `http://127.0.0.1:${allowed.port}/landed`,
      '/to-other-port': `http://127.0.0.1:${other.port}/landed`,
      '/to-metadata': 'http://169.254.169.254/latest/meta-data/',
      '/to-private-name': 'http://internal.example.test/',
      '/to-file': 'file:///etc/passwd',
    }),
  });
  testMode = createGuardedDispatcher({
    allowlist: [
      `127.0.0.1:${allowed.port}`,
      `127.0.0.1:${redirector.port}`,
      ...(v6 ? [`[::1]:${v6.port}`] : []),
    ],
    mode: 'test',
    lookup: fixedLookup,
  });
  production = createGuardedDispatcher({ allowlist: [], mode: 'production' });
});

afterAll(async () => {
  await Promise.all([testMode.close(), production.close()]);
  await Promise.all([allowed.close(), other.close(), redirector.close(), v6?.close()]);
});

describe('guarded requests', () => {
  it('reaches a loopback server allowlisted by exact ip:port in test mode', async () => {
    await expect(
      text({ url: `http://127.0.0.1:${allowed.port}/hello?x=1`, dispatcher: testMode }),
    ).resolves.toBe('ok /hello?x=1');
    const { statusCode, body } = await testMode.request({
      origin: `http://127.0.0.1:${allowed.port}`,
      path: '/via-request',
      method: 'GET',
    });
    expect(statusCode).toBe(200);
    expect(await body.text()).toBe('ok /via-request');
  });

  it('reaches an allowlisted [::1]:port', async (ctx) => {
    if (v6 === undefined) {
      ctx.skip('no IPv6 loopback on this machine');
      return;
    }
    await expect(text({ url: `http://[::1]:${v6.port}/six`, dispatcher: testMode })).resolves.toBe(
      'ok /six',
    );
  });

  it('refuses IP literals of non-public addresses without opening a socket', async () => {
    const urls = [
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'http://10.0.0.1/',
      'http://192.168.1.1/',
      'http://172.16.0.1:8080/',
      'http://100.100.100.200/',
      'http://[fd00:ec2::254]/',
      'http://[fe80::1]/',
      `http://0.0.0.0:${allowed.port}/`,
      `http://[::ffff:127.0.0.1]:${allowed.port}/`,
      `http://[::ffff:169.254.169.254]/`,
      `http://[::127.0.0.1]:${allowed.port}/`,
      `http://[64:ff9b::a9fe:a9fe]/`,
      `http://[::1]:${other.port}/`,
      `http://127.0.0.1:${other.port}/`,
    ];
    for (const url of urls) {
      const sockets = await watchSockets(() => refusal(text({ url, dispatcher: testMode })));
      expect({ url, ...sockets }).toEqual({ url, created: 0, connectedTo: [] });
    }
    // The allowlisted server itself, through a dispatcher without an allowlist.
    const sockets = await watchSockets(() =>
      refusal(text({ url: `http://127.0.0.1:${allowed.port}/`, dispatcher: production })),
    );
    expect(sockets).toEqual({ created: 0, connectedTo: [] });
    expect(other.requests).toEqual([]);
  });

  it('refuses decimal, octal, hex and short IPv4 forms, which URL parsing turns into 127.0.0.1', async () => {
    for (const host of ['2130706433', '0177.0.0.1', '0x7f.0.0.1', '127.1', '0x7f000001']) {
      const url = `http://${host}:${other.port}/`;
      expect(new URL(url).hostname).toBe('127.0.0.1');
      const error = await refusal(text({ url, dispatcher: testMode }));
      expect(error.message).toContain(`127.0.0.1:${other.port}`);
    }
    expect(new URL('http://0/').hostname).toBe('0.0.0.0');
    await refusal(text({ url: 'http://0/', dispatcher: testMode }));
    expect(other.requests).toEqual([]);
  });

  it('refuses names that resolve to non-public addresses before connecting', async () => {
    for (const name of [
      'metadata.example.test',
      'internal.example.test',
      'v6-internal.example.test',
    ]) {
      const sockets = await watchSockets(async () => {
        const error = await refusal(text({ url: `http://${name}/`, dispatcher: testMode }));
        expect(error.message).toContain(name);
        expect(error.message).toContain(FIXED_NAMES[name]![0]);
      });
      expect(sockets.connectedTo).toEqual([]);
    }
  });

  it('refuses localhost', async () => {
    const sockets = await watchSockets(() =>
      refusal(text({ url: `http://localhost:${allowed.port}/`, dispatcher: production })),
    );
    expect(sockets.connectedTo).toEqual([]);
    await refusal(text({ url: `http://localhost:${other.port}/`, dispatcher: testMode }));
    expect(other.requests).toEqual([]);
  });

  it('tries only the public (or allowlisted) addresses a name resolves to', async () => {
    const sockets = await watchSockets(() =>
      expect(
        text({ url: `http://mixed.example.test:${allowed.port}/mixed`, dispatcher: testMode }),
      ).resolves.toBe('ok /mixed'),
    );
    expect(sockets.connectedTo).toEqual([`127.0.0.1:${allowed.port}`]);
  });

  it('checks the connected address and port, and writes nothing when it is refused', async () => {
    // The resolver offers 127.0.0.1, which the allowlist names (with another port), so the
    // socket connects; the check after connect refuses it before the request is written.
    const connectionsBefore = other.bytesReadPerConnection.length;
    const error = await refusal(
      text({ url: `http://loopback.example.test:${other.port}/secret`, dispatcher: testMode }),
    );
    expect(error.message).toBe(
      `request to loopback.example.test (127.0.0.1:${other.port}) refused: 127.0.0.1 is a loopback address; to allow it set WEFT_EGRESS_ALLOW=loopback.example.test:${other.port} (or a range such as 127.0.0.0/8)`,
    );
    await expect.poll(() => other.bytesReadPerConnection.length).toBe(connectionsBefore + 1);
    expect(other.bytesReadPerConnection.at(-1)).toBe(0);
    expect(other.requests).toEqual([]);
  });

  it('checks every redirect hop, with fetch and with dispatcher.request', async () => {
    const origin = `http://127.0.0.1:${redirector.port}`;
    await expect(text({ url: `${origin}/to-allowed`, dispatcher: testMode })).resolves.toBe(
      'ok /landed',
    );
    const followed = await testMode.request({ origin, path: '/to-allowed', method: 'GET' });
    expect(followed.statusCode).toBe(200);
    expect(await followed.body.text()).toBe('ok /landed');

    for (const path of ['/to-other-port', '/to-metadata', '/to-private-name']) {
      const sockets = await watchSockets(async () => {
        await refusal(text({ url: `${origin}${path}`, dispatcher: testMode }));
        await refusal(testMode.request({ origin, path, method: 'GET' }));
      });
      // Only the allowlisted redirector itself, and for /to-other-port the refused loopback hop.
      for (const remote of sockets.connectedTo) expect(remote).toMatch(/^127\.0\.0\.1:/);
    }
    expect(other.requests).toEqual([]);
    expect(other.bytesReadPerConnection.every((bytes) => bytes === 0)).toBe(true);

    await expect(text({ url: `${origin}/to-file`, dispatcher: testMode })).rejects.toThrow();
  });

  it('fetches only http: and https: URLs', async () => {
    for (const url of [
      'file:///etc/passwd',
      'data:text/plain,hello',
      'ftp://ftp.example.com/file',
      'gopher://127.0.0.1:70/',
      'blob:http://example.com/x',
      'ws://127.0.0.1/',
    ]) {
      const error = await refusal(text({ url, dispatcher: testMode }));
      expect(error.message).toMatch(/only http: and https: URLs may be fetched, not [a-z]+:$/);
    }
  });

  it('sends URL credentials as a Basic header and never puts them in an error', async () => {
    await text({
      url: `http://us%40er:s3cr%3At@127.0.0.1:${allowed.port}/with-credentials`,
      dispatcher: testMode,
    });
    expect(allowed.requests.at(-1)).toEqual({
      url: '/with-credentials',
      authorization: `Basic ${Buffer.from('us@er:s3cr:t').toString('base64')}`,
    });

    for (const url of [
      'http://admin:hunter2@10.0.0.1/path?token=abc123',
      'http://admin:hunter2@internal.example.test/path?token=abc123',
      'ftp://admin:hunter2@ftp.example.com/path?token=abc123',
    ]) {
      const error = await refusal(text({ url, dispatcher: testMode }));
      const everything = `${error.message} ${JSON.stringify(error)} ${error.host} ${error.address}`;
      for (const secret of ['admin', 'hunter2', 'token', 'abc123', '/path']) {
        expect(everything).not.toContain(secret);
      }
    }
    const invalid = await guardedFetch('http://admin:hunter2@[nope/', {}, { dispatcher: testMode })
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(TypeError);
    expect(JSON.stringify(invalid)).not.toContain('hunter2');
  });
});

describe('createGuardedDispatcher', () => {
  it('refuses a test allowlist outside test mode', () => {
    for (const mode of ['production', 'development'] as const) {
      expect(() =>
        createGuardedDispatcher({ allowlist: [`127.0.0.1:${allowed.port}`], mode }),
      ).toThrow(`a test allowlist is set in ${mode}; unset WEFT_SSRF_TEST_ALLOWLIST`);
    }
  });

  it('refuses allowlist entries that are not exact ip:port pairs', () => {
    for (const entry of ['localhost:80', '127.0.0.1', '10.0.0.0/8:80', '::1:80', '127.0.0.1:0']) {
      expect(() => createGuardedDispatcher({ allowlist: [entry], mode: 'test' })).toThrow(
        /invalid SSRF test allowlist entry/,
      );
    }
  });
});

describe('WEFT_EGRESS_ALLOW', () => {
  /** A dispatcher as production builds it: no test allowlist, only the instance egress list. */
  function egress(egressAllow: string[]): Dispatcher {
    return createGuardedDispatcher({
      allowlist: [],
      egressAllow,
      mode: 'production',
      lookup: fixedLookup,
    });
  }
  async function withEgress<T>(
    egressAllow: string[],
    run: (dispatcher: Dispatcher) => Promise<T>,
  ): Promise<T> {
    const dispatcher = egress(egressAllow);
    try {
      return await run(dispatcher);
    } finally {
      await dispatcher.close();
    }
  }

  it('lets an allowed CIDR range reach a loopback server, in production', async () => {
    for (const range of ['127.0.0.0/8', '127.0.0.1', '127.0.0.1/32']) {
      await withEgress([range], async (dispatcher) => {
        await expect(
          text({ url: `http://127.0.0.1:${other.port}/via-range`, dispatcher }),
        ).resolves.toBe('ok /via-range');
        // A name that resolves into the range goes through too.
        await expect(
          text({ url: `http://loopback.example.test:${other.port}/by-name`, dispatcher }),
        ).resolves.toBe('ok /by-name');
      });
    }
    expect(other.requests.map((r) => r.url)).toContain('/via-range');
    other.requests.length = 0;
  });

  it('lets an allowed IPv6 range reach [::1]', async (ctx) => {
    if (v6 === undefined) {
      ctx.skip('no IPv6 loopback on this machine');
      return;
    }
    await withEgress(['::1/128'], async (dispatcher) => {
      await expect(text({ url: `http://[::1]:${v6!.port}/six`, dispatcher })).resolves.toBe(
        'ok /six',
      );
    });
  });

  it('refuses what is not listed, naming the setting and the entry that would allow it', async () => {
    await withEgress(['10.0.0.0/8'], async (dispatcher) => {
      const literal = await watchSockets(async () => {
        const error = await refusal(text({ url: `http://127.0.0.1:${other.port}/`, dispatcher }));
        expect(error.message).toBe(
          `request to 127.0.0.1 (127.0.0.1:${other.port}) refused: 127.0.0.1 is a loopback address; to allow it set WEFT_EGRESS_ALLOW=127.0.0.1:${other.port} (or a range such as 127.0.0.0/8)`,
        );
      });
      expect(literal).toEqual({ created: 0, connectedTo: [] });

      const byName = await watchSockets(async () => {
        const error = await refusal(text({ url: 'http://v6-internal.example.test/', dispatcher }));
        expect(error.message).toBe(
          'request to v6-internal.example.test refused: the name resolves only to refused addresses: fd00::1 is a unique-local address; to allow it set WEFT_EGRESS_ALLOW=v6-internal.example.test:80 (or a range such as fc00::/7)',
        );
      });
      expect(byName.connectedTo).toEqual([]);
    });
    // With nothing listed, the private address of the brief's example.
    const error = await withEgress([], (dispatcher) =>
      refusal(text({ url: 'http://internal.example.test:8080/', dispatcher })),
    );
    expect(error.message).toContain(
      '10.0.0.1 is a private address; to allow it set WEFT_EGRESS_ALLOW=internal.example.test:8080 (or a range such as 10.0.0.0/8)',
    );
    expect(other.requests).toEqual([]);
  });

  it('still refuses cloud metadata inside an allowed range, without opening a socket', async () => {
    await withEgress(
      ['0.0.0.0/0', '169.254.0.0/16', '100.64.0.0/10', 'fd00::/8', '::/0', '127.0.0.0/8'],
      async (dispatcher) => {
        for (const url of [
          'http://169.254.169.254/latest/meta-data/',
          'http://169.254.170.2/v2/credentials',
          'http://100.100.100.200/latest/meta-data/',
          'http://[fd00:ec2::254]/latest/meta-data/',
          'http://[::ffff:169.254.169.254]/',
          'http://metadata.example.test/',
        ]) {
          const sockets = await watchSockets(async () => {
            const error = await refusal(text({ url, dispatcher }));
            expect(error.message, url).toMatch(
              /is a cloud metadata address, refused even inside an allowed range; only a WEFT_EGRESS_ALLOW entry naming this exact address lets it through$/,
            );
          });
          // A name gets a socket that the resolver then refuses; it never connects.
          expect({ url, connectedTo: sockets.connectedTo }).toEqual({ url, connectedTo: [] });
          if (!url.includes('.test')) expect(sockets.created, url).toBe(0);
        }
        // A metadata name is refused before it is resolved, whatever it resolves to.
        const error = await refusal(
          text({ url: `http://metadata.google.internal:${allowed.port}/`, dispatcher }),
        );
        expect(error.message).toContain(
          `metadata.google.internal is a cloud metadata name, refused unless WEFT_EGRESS_ALLOW lists metadata.google.internal:${allowed.port}`,
        );
      },
    );
    // Listed one by one, a metadata name goes through.
    await withEgress([`metadata.google.internal:${allowed.port}`], async (dispatcher) => {
      await expect(
        text({
          url: `http://metadata.google.internal:${allowed.port}/computeMetadata`,
          dispatcher,
        }),
      ).resolves.toBe('ok /computeMetadata');
    });
  });

  it('lets a metadata address through only when its exact address is listed', () => {
    const policy = (entries: string[]) => createEgressPolicy(entries.map(parseEgressEntry));
    const target = { host: '169.254.169.254', address: '169.254.169.254', port: 80 };
    expect(policy(['169.254.0.0/16']).refusal(target)).toMatch(/cloud metadata address/);
    expect(policy(['169.254.169.254/31']).refusal(target)).toMatch(/cloud metadata address/);
    expect(policy(['169.254.169.254']).refusal(target)).toBeNull();
    expect(policy(['169.254.169.254/32']).refusal(target)).toBeNull();
    expect(policy(['169.254.169.254:80']).refusal(target)).toBeNull();
    expect(policy(['169.254.169.254:8080']).refusal(target)).toMatch(/cloud metadata address/);
    const v6 = { host: 'fd00:ec2::254', address: 'fd00:ec2::254', port: 80 };
    expect(policy(['fd00::/8']).refusal(v6)).toMatch(/cloud metadata address/);
    expect(policy(['fd00:ec2::254']).refusal(v6)).toBeNull();
    expect(policy(['[fd00:ec2:0::254]:80']).refusal(v6)).toBeNull();
    // A platform endpoint on a public address is refused with no allowlist at all.
    expect(
      policy([]).refusal({ host: '168.63.129.16', address: '168.63.129.16', port: 80 }),
    ).toMatch(/cloud metadata address/);
  });

  it('takes host:port entries: that host at that port only', async () => {
    await withEgress(
      [`loopback.example.test:${other.port}`, `127.0.0.1:${allowed.port}`],
      async (dispatcher) => {
        await expect(
          text({ url: `http://loopback.example.test:${other.port}/named`, dispatcher }),
        ).resolves.toBe('ok /named');
        await expect(
          text({ url: `http://127.0.0.1:${allowed.port}/literal`, dispatcher }),
        ).resolves.toBe('ok /literal');
        // The named host's address under its own name is another entry.
        const literal = await refusal(text({ url: `http://127.0.0.1:${other.port}/`, dispatcher }));
        expect(literal.message).toContain(`WEFT_EGRESS_ALLOW=127.0.0.1:${other.port}`);
      },
    );
    await withEgress([`loopback.example.test:${other.port}`], async (dispatcher) => {
      // The same name at another port: refused once the connection shows the port.
      const otherPort = await refusal(
        text({ url: `http://loopback.example.test:${allowed.port}/`, dispatcher }),
      );
      expect(otherPort.message).toBe(
        `request to loopback.example.test (127.0.0.1:${allowed.port}) refused: 127.0.0.1 is a loopback address; to allow it set WEFT_EGRESS_ALLOW=loopback.example.test:${allowed.port} (or a range such as 127.0.0.0/8)`,
      );
    });
    expect(other.requests.map((r) => r.url)).toEqual(['/named']);
    other.requests.length = 0;
  });

  it('refuses entries it cannot read', () => {
    for (const entry of [
      'localhost',
      '10.0.0.0/33',
      'fd00::/129',
      '10.0.0.0/8:80',
      'api.internal:0',
      'api.internal:70000',
      '999.1.1.1:80',
      '*.internal:443',
      'fe80::1%eth0',
      'http://10.0.0.1/',
    ]) {
      expect(() => egress([entry]), entry).toThrow(
        `invalid WEFT_EGRESS_ALLOW entry ${JSON.stringify(entry)}: expected a CIDR range`,
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Classification: pure function calls only.

describe('isForbiddenAddress', () => {
  const forbidden = [
    // loopback
    '127.0.0.1',
    '127.255.255.254',
    '::1',
    '0:0:0:0:0:0:0:1',
    // private
    '10.0.0.1',
    '10.255.255.255',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '192.168.255.255',
    'fc00::1',
    'fd12:3456:789a::1',
    'fd00:ec2::254', // AWS metadata over IPv6
    // link-local and cloud metadata
    '169.254.0.1',
    '169.254.169.254',
    'fe80::1',
    'fe80::1%eth0',
    'febf::1',
    // this network, unspecified
    '0.0.0.0',
    '0.1.2.3',
    '::',
    // CGNAT
    '100.64.0.1',
    '100.127.255.255',
    '100.100.100.200',
    // multicast, reserved, broadcast
    '224.0.0.1',
    '239.255.255.250',
    '240.0.0.1',
    '255.255.255.255',
    'ff02::1',
    // benchmarking
    '198.18.0.1',
    '198.19.255.255',
    '2001:2::1',
    // documentation
    '192.0.2.1',
    '198.51.100.1',
    '203.0.113.1',
    '2001:db8::1',
    '3fff::1',
    // IETF protocol assignments, 6to4 relay
    '192.0.0.8',
    '192.88.99.1',
    // IPv4-mapped, -translated and -compatible IPv6
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:169.254.169.254',
    '::ffff:10.0.0.1',
    '::ffff:0:127.0.0.1',
    '::127.0.0.1',
    '::7f00:1',
    '::8.8.8.8', // the deprecated compatible form is refused whole
    // NAT64 with a non-public IPv4 inside, and local-use NAT64
    '64:ff9b::127.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '64:ff9b:1::8.8.8.8',
    // 6to4 with a non-public IPv4 inside (bits 16-48)
    '2002:7f00:1::1',
    '2002:a9fe:a9fe::',
    '2002:c0a8:101::1',
    // Teredo, ORCHID
    '2001::1',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    '2001:10::1',
    '2001:20::1',
    // site-local, discard, anything outside global unicast
    'fec0::1',
    'feff::1',
    '100::1',
    '5f00::1',
    '4000::1',
    // not a canonical IP address at all: fail closed
    '2130706433',
    '0177.0.0.1',
    '127.1',
    'localhost',
    '',
  ];
  const allowed = [
    '8.8.8.8',
    '1.1.1.1',
    '9.255.255.255',
    '11.0.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '172.15.255.255',
    '172.32.0.0',
    '192.167.255.255',
    '192.169.0.0',
    '198.17.255.255',
    '198.20.0.0',
    '223.255.255.255',
    '2606:4700::1111',
    '2001:4860:4860::8888',
    '2a00:1450:4001::1',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
    '2001:db9::1',
  ];

  it.each(forbidden)('refuses %s', (ip) => {
    expect(isForbiddenAddress(ip)).toBe(true);
  });

  it.each(allowed)('allows %s', (ip) => {
    expect(isForbiddenAddress(ip)).toBe(false);
  });
});

describe('isForbiddenAddress properties', () => {
  // The IPv4 ranges written out again, independently of the implementation.
  const cidrs: readonly (readonly [string, number])[] = [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.88.99.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ];
  const toNumber = (ip: string): number =>
    ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
  const toIp = (n: number): string =>
    [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
  const inCidr = ({ n, cidr: [base, prefix] }: { n: number; cidr: readonly [string, number] }) =>
    Math.floor(n / 2 ** (32 - prefix)) === Math.floor(toNumber(base) / 2 ** (32 - prefix));
  const hex = (n: number): string => `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;

  const inAnyCidr = fc
    .constantFrom(...cidrs)
    .chain(([base, prefix]) =>
      fc.nat({ max: 2 ** (32 - prefix) - 1 }).map((offset) => toNumber(base) + offset),
    );
  const anyIPv4 = fc.nat({ max: 0xffffffff });

  it('refuses every address inside the listed ranges, in IPv4 and IPv4-mapped form', () => {
    fc.assert(
      fc.property(inAnyCidr, (n) => {
        expect(isForbiddenAddress(toIp(n))).toBe(true);
        expect(isForbiddenAddress(`::ffff:${toIp(n)}`)).toBe(true);
        expect(isForbiddenAddress(`::ffff:${hex(n)}`)).toBe(true);
      }),
    );
  });

  it('judges any IPv4 address, and its mapped, NAT64 and 6to4 forms, by the listed ranges', () => {
    fc.assert(
      fc.property(anyIPv4, (n) => {
        const expected = cidrs.some((cidr) => inCidr({ n, cidr }));
        expect(isForbiddenAddress(toIp(n))).toBe(expected);
        expect(isForbiddenAddress(`::ffff:${toIp(n)}`)).toBe(expected);
        expect(isForbiddenAddress(`::ffff:${hex(n)}`)).toBe(expected);
        expect(isForbiddenAddress(`64:ff9b::${toIp(n)}`)).toBe(expected);
        expect(isForbiddenAddress(`2002:${hex(n)}::1`)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});
