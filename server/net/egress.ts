/**
 * Entries of the instance egress allowlist (`WEFT_EGRESS_ALLOW`) and of the test allowlist, parsed
 * once here for both `server/config.ts` (which refuses a bad entry at start) and the SSRF guard.
 */
import net from 'node:net';

export type EgressEntry =
  /** A CIDR range; a bare address is the range of that one address (/32, /128). */
  | {
      readonly kind: 'range';
      readonly network: string;
      readonly prefix: number;
      readonly family: 'ipv4' | 'ipv6';
    }
  /** One host (an IP address, or a name as written in URLs) at one port. */
  | { readonly kind: 'host-port'; readonly host: string; readonly port: number };

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`, 'i');

const EGRESS_FORMS =
  'a CIDR range (10.0.0.0/8, fd00::/8), one address (10.1.2.3) or host:port (10.1.2.3:8080, [fd00::1]:8080, api.internal:443)';

/** A host name as URLs carry it: lower case, without a trailing dot. */
export function normalizeHostName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** Parses one entry; throws an Error that quotes it and names the accepted forms. */
export function parseEgressEntry(text: string): EgressEntry {
  const entry = text.trim();
  const invalid = () =>
    new Error(`invalid WEFT_EGRESS_ALLOW entry ${JSON.stringify(entry)}: expected ${EGRESS_FORMS}`);
  if (entry.includes('%')) throw invalid(); // no IPv6 zones, no encoded names

  const slash = entry.indexOf('/');
  if (slash !== -1) {
    const network = entry.slice(0, slash);
    const prefixText = entry.slice(slash + 1);
    const family = net.isIP(network);
    if (family === 0 || !/^\d{1,3}$/.test(prefixText)) throw invalid();
    const prefix = Number(prefixText);
    if (prefix > (family === 4 ? 32 : 128)) throw invalid();
    return { kind: 'range', network, prefix, family: family === 4 ? 'ipv4' : 'ipv6' };
  }

  const bare = entry.startsWith('[') && entry.endsWith(']') ? entry.slice(1, -1) : entry;
  const family = net.isIP(bare);
  if (family !== 0) {
    return {
      kind: 'range',
      network: bare,
      prefix: family === 4 ? 32 : 128,
      family: family === 4 ? 'ipv4' : 'ipv6',
    };
  }

  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(entry);
  const v6 = match?.[1];
  const name = match?.[2];
  const port = Number(match?.[3]);
  const hostOk = v6 !== undefined ? net.isIPv6(v6) : name !== undefined && HOSTNAME.test(name);
  // A dotted quad that is not a valid address (999.1.1.1) also fits the name pattern: refuse it.
  const looksLikeIPv4 = name !== undefined && /^[\d.]+$/.test(name);
  if (!hostOk || (looksLikeIPv4 && !net.isIPv4(name)) || !(port >= 1 && port <= 65535)) {
    throw invalid();
  }
  return {
    kind: 'host-port',
    host: v6 ?? (net.isIPv4(name ?? '') ? (name ?? '') : normalizeHostName(name ?? '')),
    port,
  };
}

/** A test allowlist entry: an exact `ip:port` pair only. */
export function parseTestAllowlistEntry(entry: string): EgressEntry & { kind: 'host-port' } {
  let parsed: EgressEntry | undefined;
  try {
    parsed = parseEgressEntry(entry);
  } catch {
    parsed = undefined;
  }
  if (parsed?.kind !== 'host-port' || net.isIP(parsed.host) === 0) {
    throw new Error(
      `invalid SSRF test allowlist entry ${JSON.stringify(entry)}: expected ip:port such as 127.0.0.1:8080 or [::1]:8080`,
    );
  }
  return parsed;
}
