/**
 * The guard for outbound HTTP to addresses that users choose (connector base URLs, webhooks,
 * OAuth endpoints). Every such request goes through `guardedFetch` or a dispatcher from
 * `createGuardedDispatcher`; `no-unguarded-http.test.ts` fails on code that goes around it.
 *
 * Two layers, both at connect time, so that every redirect hop and every new pooled connection
 * is checked again:
 * 1. before connecting: an IP-literal host is checked with its port, and a name is resolved
 *    through a lookup that drops non-public addresses, so nothing is ever sent to them;
 * 2. after connecting, before the first byte is written (TLS handshake included): the address
 *    the socket is actually connected to is checked again, so a resolver that answers
 *    differently the second time (DNS rebinding) or a path that bypasses the lookup still fails.
 *
 * What may be reached beyond public addresses is the instance's `WEFT_EGRESS_ALLOW` (CIDR ranges,
 * addresses, `host:port`), plus exact `ip:port` pairs in tests. Cloud metadata services stay
 * refused inside an allowed range: only an entry naming the exact address lets one through.
 */
import dns from 'node:dns';
import net from 'node:net';
import {
  Agent,
  buildConnector,
  type Dispatcher,
  fetch,
  Headers,
  interceptors,
  type RequestInit,
  type Response,
} from 'undici';
import type { Config } from '../config.ts';
import {
  normalizeHostName,
  parseEgressEntry,
  parseTestAllowlistEntry,
  type EgressEntry,
} from './egress.ts';

/** A request refused because of where it would go. Never carries credentials or query strings. */
export class SsrfError extends Error {
  readonly code = 'ssrf_blocked';
  /** The host as written in the URL (no credentials, no path). */
  readonly host: string;
  /** The refused address (`ip:port`), when one is known. */
  readonly address: string | undefined;
  constructor({ host, address, reason }: { host: string; address?: string; reason: string }) {
    const target = host === '' ? '' : ` to ${host}${address === undefined ? '' : ` (${address})`}`;
    super(`request${target} refused: ${reason}`);
    this.name = 'SsrfError';
    this.host = host;
    this.address = address;
  }
}

// ---------------------------------------------------------------------------------------------
// Address classification

/**
 * IPv4 ranges that are not public unicast (IANA special-purpose registry and RFC 1918), with
 * what each is, for refusal messages.
 */
const FORBIDDEN_IPV4: readonly (readonly [network: string, prefix: number, what: string])[] = [
  // 0.0.0.0 reaches the local host on Linux
  ['0.0.0.0', 8, 'a "this network" address'],
  ['10.0.0.0', 8, 'a private address'],
  // Alibaba Cloud metadata lives at 100.100.100.200
  ['100.64.0.0', 10, 'a carrier-grade NAT address'],
  ['127.0.0.0', 8, 'a loopback address'],
  // including cloud metadata at 169.254.169.254
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'an IETF protocol address'],
  ['192.0.2.0', 24, 'a documentation address'],
  ['192.88.99.0', 24, 'a 6to4 relay address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a benchmarking address'],
  ['198.51.100.0', 24, 'a documentation address'],
  ['203.0.113.0', 24, 'a documentation address'],
  ['224.0.0.0', 4, 'a multicast address'],
  // including the broadcast address 255.255.255.255
  ['240.0.0.0', 4, 'a reserved address'],
];

/**
 * IPv6 ranges refused inside global unicast 2000::/3. Everything outside 2000::/3 is refused as
 * well (::, ::1, fc00::/7 unique-local, fe80::/10 link-local, fec0::/10 site-local, ff00::/8
 * multicast, 100::/64 discard, 64:ff9b:1::/48 local NAT64, 5f00::/16 SRv6), except the forms
 * that embed an IPv4 address, which are judged by that address.
 */
const FORBIDDEN_IPV6_GLOBAL: readonly (readonly [network: string, prefix: number])[] = [
  ['2001::', 32], // Teredo: tunnels to an IPv4 address chosen by whoever builds it
  ['2001:2::', 48], // benchmarking
  ['2001:10::', 28], // ORCHID
  ['2001:20::', 28], // ORCHIDv2
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation
];

function blockList({
  ranges,
  type,
}: {
  ranges: readonly (readonly [network: string, prefix: number, ...rest: unknown[]])[];
  type: 'ipv4' | 'ipv6';
}) {
  const list = new net.BlockList();
  for (const [network, prefix] of ranges) list.addSubnet(network, prefix, type);
  return list;
}

const forbiddenIPv4 = blockList({ ranges: FORBIDDEN_IPV4, type: 'ipv4' });
const forbiddenIPv6Global = blockList({ ranges: FORBIDDEN_IPV6_GLOBAL, type: 'ipv6' });
const globalUnicastIPv6 = blockList({ ranges: [['2000::', 3]], type: 'ipv6' });

function withoutZone(ip: string): string {
  const percent = ip.indexOf('%');
  return percent === -1 ? ip : ip.slice(0, percent);
}

function ipv4ToNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function numberToIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

/** The eight 16-bit groups of a valid IPv6 address (zone already removed). */
function ipv6Groups(ip: string): number[] {
  let text = ip;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted !== undefined) {
    const n = ipv4ToNumber(dotted);
    text = `${text.slice(0, -dotted.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros =
    tail === undefined ? [] : Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  return [...headGroups, ...zeros, ...tailGroups].map((group) => Number.parseInt(group, 16));
}

function ipv4FromGroups({ high, low }: { high: number; low: number }): string {
  return numberToIPv4(high * 0x10000 + low);
}

/**
 * For IPv6 forms that carry an IPv4 address the packet may end up at, that address; `null` for
 * the deprecated IPv4-compatible block ::/96 (refused whole, with :: and ::1 in it).
 */
function embeddedIPv4(g: readonly number[]): string | null | undefined {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const first64Zero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0;
  // ::ffff:a.b.c.d (IPv4-mapped): the socket talks IPv4 to a.b.c.d.
  if (first64Zero && g4 === 0 && g5 === 0xffff) return ipv4FromGroups({ high: g6, low: g7 });
  // ::ffff:0:a.b.c.d (IPv4-translated, SIIT).
  if (first64Zero && g4 === 0xffff && g5 === 0) return ipv4FromGroups({ high: g6, low: g7 });
  // ::a.b.c.d (IPv4-compatible, deprecated) and :: and ::1.
  if (first64Zero && g4 === 0 && g5 === 0) return null;
  // 64:ff9b::a.b.c.d: a NAT64 gateway forwards to a.b.c.d.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return ipv4FromGroups({ high: g6, low: g7 });
  }
  // 2002:AABB:CCDD::/48 (6to4): a relay forwards to AA.BB.CC.DD.
  if (g0 === 0x2002) return ipv4FromGroups({ high: g1, low: g2 });
  return undefined;
}

/**
 * True when `ip` must not be connected to: anything that is not a public unicast address
 * (loopback, private, link-local and cloud metadata, CGNAT, multicast, reserved, documentation,
 * benchmarking), including IPv6 forms that embed such an IPv4 address. Also true for anything
 * that is not a canonical IP address (such as `2130706433` or `0177.0.0.1`): the guard fails
 * closed. URL parsing turns those forms into dotted quads before they get here.
 */
export function isForbiddenAddress(ip: string): boolean {
  const address = withoutZone(ip);
  switch (net.isIP(address)) {
    case 4:
      return forbiddenIPv4.check(address, 'ipv4');
    case 6: {
      const embedded = embeddedIPv4(ipv6Groups(address));
      if (embedded === null) return true;
      if (embedded !== undefined) return forbiddenIPv4.check(embedded, 'ipv4');
      if (!globalUnicastIPv6.check(address, 'ipv6')) return true;
      return forbiddenIPv6Global.check(address, 'ipv6');
    }
    default:
      return true;
  }
}

/** One spelling per address, so that `::1` and `0:0::1` compare equal. */
function canonicalAddress(ip: string): string {
  const address = withoutZone(ip);
  if (net.isIPv4(address)) return address;
  return ipv6Groups(address)
    .map((group) => group.toString(16))
    .join(':');
}

function formatAddressPort({ address, port }: { address: string; port: number }): string {
  return net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`;
}

// ---------------------------------------------------------------------------------------------
// Cloud metadata

/**
 * Cloud metadata and platform endpoints: they hand out credentials of the machine Weft runs on.
 * Refused even inside an allowed range; only an entry naming the exact address lets one through.
 */
const METADATA_ADDRESSES = new Set(
  [
    '169.254.169.254', // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle Cloud
    '169.254.170.2', // AWS ECS task credentials
    '169.254.170.23', // AWS EKS Pod Identity
    '100.100.100.200', // Alibaba Cloud
    '192.0.0.192', // Oracle Cloud Classic
    '168.63.129.16', // Azure WireServer (a public address: refused even with no allowlist)
    'fd00:ec2::254', // AWS over IPv6
    'fd00:ec2::23', // AWS EKS Pod Identity over IPv6
  ].map((ip) => canonicalAddress(ip)),
);

/** Names of metadata services, refused before they are resolved unless listed as `name:port`. */
const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

// ---------------------------------------------------------------------------------------------
// The policy: public addresses, and what WEFT_EGRESS_ALLOW and the test allowlist let through

/** The IPv4 address a packet to `ip` ends up at, for IPv6 forms that embed one; else `ip`. */
function effectiveAddress(ip: string): string {
  const address = canonicalAddress(ip);
  if (!net.isIPv6(address)) return address;
  return embeddedIPv4(ipv6Groups(address)) ?? address;
}

function describeAddress(ip: string): { what: string; range: string } {
  const address = effectiveAddress(ip);
  if (net.isIPv4(address)) {
    const n = ipv4ToNumber(address);
    for (const [network, prefix, what] of FORBIDDEN_IPV4) {
      const size = 2 ** (32 - prefix);
      if (Math.floor(n / size) === Math.floor(ipv4ToNumber(network) / size)) {
        return { what, range: `${network}/${prefix}` };
      }
    }
    return { what: 'not a public address', range: `${address}/32` };
  }
  const [first = 0] = ipv6Groups(address);
  if (address === '0:0:0:0:0:0:0:1') return { what: 'the loopback address', range: '::1/128' };
  if ((first & 0xfe00) === 0xfc00) return { what: 'a unique-local address', range: 'fc00::/7' };
  if ((first & 0xffc0) === 0xfe80) return { what: 'a link-local address', range: 'fe80::/10' };
  return { what: 'not a public address', range: `${withoutZone(ip)}/128` };
}

/** Where a connection would go: the host as the URL names it, the address and, once known, the port. */
export interface Target {
  readonly host: string;
  readonly address: string;
  /** Null while a name is resolved (the port is checked once connected). */
  readonly port: number | null;
}

export interface Policy {
  /** Null when the connection may go ahead; otherwise why not, with how to allow it. */
  refusal(target: Target): string | null;
}

/** The guard's decision for one destination, given the allowlist entries (exported for tests). */
export function createEgressPolicy(entries: readonly EgressEntry[]): Policy {
  const ranges = new net.BlockList();
  /** Addresses listed on their own (a /32 or /128): the only way a metadata address passes. */
  const exact = new Set<string>();
  /** `host port` pairs; `host` is a canonical address or a normalized name. */
  const pairs = new Set<string>();
  const pairHosts = new Set<string>();
  for (const entry of entries) {
    if (entry.kind === 'range') {
      ranges.addSubnet(entry.network, entry.prefix, entry.family);
      if (entry.prefix === (entry.family === 'ipv4' ? 32 : 128)) {
        exact.add(canonicalAddress(entry.network));
      }
    } else {
      const host = net.isIP(entry.host) === 0 ? entry.host : canonicalAddress(entry.host);
      pairs.add(`${host} ${entry.port}`);
      pairHosts.add(host);
    }
  }
  const paired = (host: string, port: number | null): boolean =>
    port === null ? pairHosts.has(host) : pairs.has(`${host} ${port}`);
  const inRange = (address: string): boolean =>
    ranges.check(address, net.isIPv4(address) ? 'ipv4' : 'ipv6');

  return {
    refusal({ host, address, port }) {
      // Entries match the address as connected to (an IPv4-mapped form does not match an IPv4
      // entry); metadata is recognised in every form.
      const canonical = canonicalAddress(address);
      const name = net.isIP(host) === 0 && host !== '' ? normalizeHostName(host) : null;
      const portText = port === null ? '<port>' : String(port);
      if (METADATA_ADDRESSES.has(effectiveAddress(address))) {
        if (exact.has(canonical) || paired(canonical, port)) return null;
        return `${address} is a cloud metadata address, refused even inside an allowed range; only a WEFT_EGRESS_ALLOW entry naming this exact address lets it through`;
      }
      if (name !== null && METADATA_NAMES.has(name) && !paired(name, port)) {
        return `${name} is a cloud metadata name, refused unless WEFT_EGRESS_ALLOW lists ${name}:${portText} (and its exact address)`;
      }
      if (!isForbiddenAddress(address)) return null;
      if (inRange(canonical) || paired(canonical, port) || (name !== null && paired(name, port))) {
        return null;
      }
      const { what, range } = describeAddress(address);
      const pair = name ?? (net.isIPv6(canonical) ? `[${withoutZone(address)}]` : canonical);
      return `${address} is ${what}; to allow it set WEFT_EGRESS_ALLOW=${pair}:${portText} (or a range such as ${range})`;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The dispatcher

export interface GuardedDispatcherOptions {
  /**
   * Exact `ip:port` pairs (`127.0.0.1:43123`, `[::1]:8080`) let through although not public, so
   * that tests can reach fake servers on loopback. Honoured only when `mode` is `'test'`; a
   * non-empty list in any other mode is refused when the dispatcher is created.
   */
  readonly allowlist: readonly string[];
  /**
   * `WEFT_EGRESS_ALLOW`: non-public destinations the instance may reach in any mode — CIDR
   * ranges, single addresses and `host:port` entries (see `parseEgressEntry`).
   */
  readonly egressAllow?: readonly string[];
  readonly mode: Config['env'];
  /** Default 10 s. */
  readonly connectTimeoutMs?: number;
  /** Redirects followed by `dispatcher.request()` and friends; default 5. */
  readonly maxRedirections?: number;
  /** Name resolution; default `dns.lookup`. Tests pass a fixed table. */
  readonly lookup?: net.LookupFunction;
}

/** The guard's settings in the configuration, for every place that builds a dispatcher. */
export function guardSettings(
  config: Pick<Config, 'env' | 'ssrfTestAllowlist' | 'egressAllow'>,
): Pick<GuardedDispatcherOptions, 'allowlist' | 'egressAllow' | 'mode'> {
  return { allowlist: config.ssrfTestAllowlist, egressAllow: config.egressAllow, mode: config.env };
}

/** A name whose addresses are all refused; the connector restates it once the port is known. */
class NameRefused extends SsrfError {
  readonly addresses: readonly string[];
  constructor({ host, addresses, reason }: { host: string; addresses: string[]; reason: string }) {
    super({ host, reason });
    this.addresses = addresses;
  }
}

function nameRefusal({
  policy,
  host,
  addresses,
  port,
}: {
  policy: Policy;
  host: string;
  addresses: string[];
  port: number | null;
}): NameRefused {
  const reasons = new Set(
    addresses.map((address) => policy.refusal({ host, address, port }) ?? 'refused'),
  );
  return new NameRefused({
    host,
    addresses,
    reason:
      addresses.length === 0
        ? 'the name resolves to no address'
        : `the name resolves only to refused addresses: ${[...reasons].join('; ')}`,
  });
}

/** A resolver that only ever hands the socket addresses the policy lets it try. */
function filteringLookup({
  policy,
  lookup,
}: {
  policy: Policy;
  lookup: net.LookupFunction;
}): net.LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (error, result, family) => {
      if (error) {
        callback(error, []);
        return;
      }
      const resolved =
        typeof result === 'string'
          ? [{ address: result, family: family ?? net.isIP(result) }]
          : result;
      const usable = resolved.filter(
        (entry) => policy.refusal({ host: hostname, address: entry.address, port: null }) === null,
      );
      const [first] = usable;
      if (first === undefined) {
        const addresses = resolved.map((entry) => entry.address);
        callback(nameRefusal({ policy, host: hostname, addresses, port: null }), []);
        return;
      }
      if (options.all === true) callback(null, usable);
      else callback(null, first.address, first.family);
    });
  };
}

function guardedConnector({
  policy,
  timeout,
  lookup,
}: {
  policy: Policy;
  timeout: number;
  lookup: net.LookupFunction;
}): buildConnector.connector {
  const connect = buildConnector({ timeout, lookup: filteringLookup({ policy, lookup }) });

  return (options, callback) => {
    const host = options.hostname;
    const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);

    const check = (target: { address: string; port: number }): SsrfError | undefined => {
      const reason = policy.refusal({ host, ...target });
      if (reason === null) return undefined;
      return new SsrfError({ host, address: formatAddressPort(target), reason });
    };

    if (net.isIP(host) !== 0) {
      const refusedLiteral = check({ address: host, port });
      if (refusedLiteral !== undefined) {
        callback(refusedLiteral, null);
        return;
      }
    }

    const checkSocket = (socket: net.Socket): SsrfError | undefined => {
      const address = socket.remoteAddress;
      const remotePort = socket.remotePort;
      if (address !== undefined && remotePort !== undefined) {
        return check({ address, port: remotePort });
      }
      return new SsrfError({ host, reason: 'the connected address is unknown' });
    };

    let refused: SsrfError | undefined;
    const socket: unknown = connect(options, (error, connected) => {
      if (refused !== undefined) {
        callback(refused, null);
      } else if (error instanceof NameRefused) {
        // The resolver did not know the port; say which entry would allow this one.
        callback(
          nameRefusal({ policy, host: error.host, addresses: [...error.addresses], port }),
          null,
        );
      } else if (error !== null) {
        callback(error, null);
      } else {
        refused = checkSocket(connected);
        if (refused === undefined) {
          callback(null, connected);
        } else {
          connected.destroy();
          callback(refused, null);
        }
      }
    });
    // Check on the TCP 'connect' itself, ahead of the TLS handshake that starts on the same
    // event; the callback above repeats the check for plain sockets and any connector change.
    if (socket instanceof net.Socket) {
      socket.prependOnceListener('connect', () => {
        refused = checkSocket(socket);
        if (refused !== undefined) socket.destroy(refused);
      });
    }
    return socket;
  };
}

/**
 * An undici dispatcher for user-given URLs: connections only to public addresses (plus
 * `egressAllow`, and the test allowlist in test mode), checked before and after connecting, with
 * redirects followed through the same checks. Pass it as `dispatcher` to undici's
 * `fetch`/`request`, or use `guardedFetch`.
 */
export function createGuardedDispatcher({
  allowlist,
  egressAllow = [],
  mode,
  connectTimeoutMs = 10_000,
  maxRedirections = 5,
  lookup = dns.lookup,
}: GuardedDispatcherOptions): Dispatcher {
  if (allowlist.length > 0 && mode !== 'test') {
    throw new Error(
      `a test allowlist is set in ${mode}; unset WEFT_SSRF_TEST_ALLOWLIST (it is honoured only in tests)`,
    );
  }
  const policy = createEgressPolicy([
    ...allowlist.map(parseTestAllowlistEntry),
    ...egressAllow.map(parseEgressEntry),
  ]);
  const agent = new Agent({
    connect: guardedConnector({ policy, timeout: connectTimeoutMs, lookup }),
  });
  return agent.compose(interceptors.redirect({ maxRedirections }));
}

// ---------------------------------------------------------------------------------------------
// fetch

function decodeUserinfo(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function parseUrl(url: string | URL): URL {
  try {
    return new URL(url);
  } catch {
    // The TypeError from URL keeps the input, which may hold credentials; do not pass it on.
    throw new TypeError('not a valid URL');
  }
}

/**
 * undici's `fetch` through a guarded dispatcher. Only http: and https: URLs; credentials in the
 * URL are sent as a Basic `authorization` header (unless one is given) and never appear in an
 * error. A refusal, on any redirect hop, rejects with `SsrfError`.
 */
export async function guardedFetch(
  url: string | URL,
  init: RequestInit,
  { dispatcher }: { readonly dispatcher: Dispatcher },
): Promise<Response> {
  const target = parseUrl(url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new SsrfError({
      host: target.host,
      reason: `only http: and https: URLs may be fetched, not ${target.protocol}`,
    });
  }
  const headers = new Headers(init.headers);
  if (target.username !== '' || target.password !== '') {
    // fetch refuses URLs with credentials and quotes the whole URL in its error.
    if (!headers.has('authorization')) {
      const userinfo = `${decodeUserinfo(target.username)}:${decodeUserinfo(target.password)}`;
      headers.set('authorization', `Basic ${Buffer.from(userinfo).toString('base64')}`);
    }
    target.username = '';
    target.password = '';
  }
  try {
    return await fetch(target, { ...init, headers, dispatcher });
  } catch (error) {
    // fetch reports connection failures as TypeError('fetch failed') with the reason as cause.
    if (error instanceof TypeError && error.cause instanceof SsrfError) throw error.cause;
    throw error;
  }
}
