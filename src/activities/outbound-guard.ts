// Outbound safety: a recipe's URL comes from webhook data, so without a guard an attacker who can
// shape an event could make hookflow call the cloud metadata service or an internal admin API.
// Addresses are checked after DNS resolution and the connection is pinned to the checked address,
// so a DNS answer that changes between check and connect (rebinding) cannot slip through.
// Ranges are checked with Node's net.BlockList; the tables follow IANA's special-purpose address
// registries (every range not globally reachable), plus multicast.
import { promises as dns } from 'node:dns';
import { BlockList, type LookupFunction } from 'node:net';
import { PERMANENT, TRANSIENT, permanentFailure, transientFailure } from './failures.js';

export interface IpAddress {
  family: 4 | 6;
  /** 4 bytes for IPv4, 16 for IPv6. */
  bytes: Uint8Array;
}

export interface Cidr {
  address: IpAddress;
  prefix: number;
  /** HOOKFLOW_OUTBOUND_ALLOW entries may name one port (`127.0.0.1:9000`); none → every port. */
  port?: number;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type DnsLookup = (hostname: string) => Promise<ResolvedAddress[]>;

// ---------------------------------------------------------------------------------------------
// Parsing

/** Dotted-quad IPv4 or any RFC 4291 text form of IPv6 (brackets and `%zone` accepted); else undefined. */
export function parseIp(text: string): IpAddress | undefined {
  let s = text.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  return s.includes(':') ? parseIpv6(s) : parseIpv4(s);
}

function parseIpv4(s: string): IpAddress | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    // Leading zeros are refused: some resolvers read them as octal.
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    bytes[i] = n;
  }
  return { family: 4, bytes };
}

function parseIpv6(input: string): IpAddress | undefined {
  const s = input.replace(/%.*$/, '');
  if (s === '' || (s.match(/::/g)?.length ?? 0) > 1) return undefined;
  const [headText, tailText] = s.includes('::') ? (s.split('::') as [string, string]) : [s, undefined];
  const head = headText === '' ? [] : headText.split(':');
  const tail = tailText === undefined || tailText === '' ? [] : tailText.split(':');
  const groups: number[] = [];
  const parseGroups = (list: string[], isLast: boolean): number[] | undefined => {
    const out: number[] = [];
    for (let i = 0; i < list.length; i++) {
      const g = list[i] as string;
      if (isLast && i === list.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (!v4) return undefined;
        out.push(((v4.bytes[0] as number) << 8) | (v4.bytes[1] as number), ((v4.bytes[2] as number) << 8) | (v4.bytes[3] as number));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const hasGap = tailText !== undefined;
  const headGroups = parseGroups(head, !hasGap);
  const tailGroups = parseGroups(tail, true);
  if (!headGroups || !tailGroups) return undefined;
  const missing = 8 - headGroups.length - tailGroups.length;
  if (hasGap ? missing < 1 : missing !== 0) return undefined;
  groups.push(...headGroups, ...new Array<number>(hasGap ? missing : 0).fill(0), ...tailGroups);
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return { family: 6, bytes };
}

/** `10.0.0.0/8`, `fc00::/7`, or a bare address (a /32 or /128). */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, prefixText, extra] = text.trim().split('/');
  if (addr === undefined || extra !== undefined) return undefined;
  const address = parseIp(addr);
  if (!address) return undefined;
  const max = address.family === 4 ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: max };
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  return prefix <= max ? { address, prefix } : undefined;
}

const familyOf = (ip: IpAddress): 'ipv4' | 'ipv6' => (ip.family === 4 ? 'ipv4' : 'ipv6');

const cidrLists = new Map<string, BlockList>();

/** Whether `ip` is in `cidr` (same family only: IPv4 inside IPv6 is handled by embeddedIpv4). */
export function inCidr(ip: IpAddress, cidr: Cidr): boolean {
  if (ip.family !== cidr.address.family) return false;
  const key = `${formatIp(cidr.address)}/${cidr.prefix}`;
  let list = cidrLists.get(key);
  if (!list) {
    list = new BlockList();
    list.addSubnet(formatIp(cidr.address), cidr.prefix, familyOf(cidr.address));
    cidrLists.set(key, list);
  }
  return list.check(formatIp(ip), familyOf(ip));
}

export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return Array.from(ip.bytes).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((ip.bytes[i] as number) << 8) | (ip.bytes[i + 1] as number)).toString(16));
  return groups.join(':');
}

// ---------------------------------------------------------------------------------------------
// Classification

/** One BlockList per reason; an address is checked against the lists of its own family only. */
function ranges(family: 'ipv4' | 'ipv6', table: ReadonlyArray<readonly [string, string]>): ReadonlyArray<readonly [BlockList, string]> {
  const byReason = new Map<string, BlockList>();
  for (const [range, reason] of table) {
    const [net = '', prefix = ''] = range.split('/');
    let list = byReason.get(reason);
    if (!list) byReason.set(reason, (list = new BlockList()));
    list.addSubnet(net, Number(prefix), family);
  }
  return [...byReason].map(([reason, list]) => [list, reason] as const);
}

const BLOCKED_V4 = ranges('ipv4', [
  ['0.0.0.0/8', 'the unspecified network (0.0.0.0 reaches this machine)'],
  ['10.0.0.0/8', 'a private address'],
  ['100.64.0.0/10', 'a carrier-grade NAT (shared) address'],
  ['127.0.0.0/8', 'a loopback address'],
  ['169.254.0.0/16', 'a link-local address (this range holds cloud metadata services)'],
  ['172.16.0.0/12', 'a private address'],
  ['192.0.0.0/24', 'an IETF protocol assignment (192.0.0.0/24)'],
  ['192.0.2.0/24', 'a documentation address (TEST-NET-1)'],
  ['192.88.99.0/24', 'a 6to4 relay anycast address (deprecated)'],
  ['192.168.0.0/16', 'a private address'],
  ['198.18.0.0/15', 'a benchmarking address (198.18.0.0/15)'],
  ['198.51.100.0/24', 'a documentation address (TEST-NET-2)'],
  ['203.0.113.0/24', 'a documentation address (TEST-NET-3)'],
  ['224.0.0.0/4', 'a multicast address'],
  ['240.0.0.0/4', 'a reserved or broadcast address'],
]);

const BLOCKED_V6 = ranges('ipv6', [
  ['::/128', 'the unspecified address'],
  ['::1/128', 'a loopback address'],
  ['64:ff9b:1::/48', 'a local-use NAT64 address (64:ff9b:1::/48)'],
  ['100::/64', 'a discard-only address (100::/64)'],
  ['100:0:0:1::/64', 'a dummy IPv6 prefix address (100:0:0:1::/64)'],
  ['2001::/23', 'an IETF protocol assignment (2001::/23: Teredo, benchmarking, ORCHID)'],
  ['2001:db8::/32', 'a documentation address'],
  ['2002::/16', 'a 6to4 address (2002::/16 embeds an IPv4 address)'],
  ['3fff::/20', 'a documentation address'],
  ['5f00::/16', 'a segment routing (SRv6) address'],
  ['fc00::/7', 'a private (unique local) address'],
  ['fe80::/10', 'a link-local address'],
  ['fec0::/10', 'a site-local address'],
  ['ff00::/8', 'a multicast address'],
]);

/** IPv6 forms that carry an IPv4 address in their last 32 bits and reach it. */
const EMBEDDING_V4 = ranges('ipv6', [
  ['::ffff:0:0/96', 'IPv4-mapped'],
  ['64:ff9b::/96', 'NAT64'],
  ['::/96', 'IPv4-compatible'],
]);

/** The IPv4 address inside an IPv4-mapped, NAT64 or IPv4-compatible IPv6 address. */
export function embeddedIpv4(ip: IpAddress): { v4: IpAddress; form: string } | undefined {
  if (ip.family !== 6) return undefined;
  const text = formatIp(ip);
  for (const [list, form] of EMBEDDING_V4) {
    if (list.check(text, 'ipv6')) return { v4: { family: 4, bytes: ip.bytes.slice(12) }, form };
  }
  return undefined;
}

/** Why an address may not be reached by default (`a loopback address`, …), or undefined for public ones. */
export function blockedReason(ip: IpAddress): string | undefined {
  const text = formatIp(ip);
  for (const [list, reason] of ip.family === 4 ? BLOCKED_V4 : BLOCKED_V6) if (list.check(text, familyOf(ip))) return reason;
  const inner = embeddedIpv4(ip);
  if (inner) {
    const reason = blockedReason(inner.v4);
    if (reason) return `${reason} in ${inner.form} IPv6 form (${formatIp(inner.v4)})`;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// HOOKFLOW_OUTBOUND_ALLOW

export interface AllowList {
  /** Exact hostnames, lower case, no trailing dot; `host:port` when the entry names a port. */
  hosts: string[];
  /** From `*.example.internal` entries: `.example.internal` (`.example.internal:8443` with a port). */
  suffixes: string[];
  /** Addresses and ranges; `port` set when the entry names one. */
  cidrs: Cidr[];
  /** Entries that are neither a hostname, an address nor a CIDR. */
  invalid: string[];
}

/** `entry:port` or `[v6]:port` → the entry and the port; a bare IPv6 (several colons) has none. */
function splitPort(entry: string): { entry: string; port?: number } | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(entry);
  const plain = bracketed ? undefined : /^([^:]+):(\d{1,5})$/.exec(entry);
  const m = bracketed ?? plain;
  if (!m) return entry.startsWith('[') ? undefined : { entry };
  if (m[2] === undefined) return { entry: m[1]! };
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { entry: m[1]!, port } : undefined;
}

export function parseAllowList(value: string | undefined): AllowList {
  const allow: AllowList = { hosts: [], suffixes: [], cidrs: [], invalid: [] };
  for (const raw of (value ?? '').split(',')) {
    const split = splitPort(raw.trim().toLowerCase());
    if (split?.entry === '' && raw.trim() === '') continue;
    const entry = split?.entry.replace(/\.$/, '');
    const portSuffix = split?.port !== undefined ? `:${split.port}` : '';
    const range = entry === undefined ? undefined : parseCidr(entry);
    if (entry === undefined) allow.invalid.push(raw.trim());
    else if (range) allow.cidrs.push(split?.port !== undefined ? { ...range, port: split.port } : range);
    else if (/^\*\.[a-z0-9.-]+$/.test(entry)) allow.suffixes.push(entry.slice(1) + portSuffix);
    else if (/^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$/.test(entry)) allow.hosts.push(entry + portSuffix);
    else allow.invalid.push(raw.trim());
  }
  return allow;
}

/** The allowed host `entry` (with or without `:port`) covers `host` on `port`? */
function entryCovers(entry: string, port: number | undefined, matches: (name: string) => boolean): boolean {
  const colon = entry.lastIndexOf(':');
  if (colon < 0) return matches(entry);
  return port !== undefined && Number(entry.slice(colon + 1)) === port && matches(entry.slice(0, colon));
}

export function isAllowedHost(hostname: string, allow: AllowList, port?: number): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return (
    allow.hosts.some((e) => entryCovers(e, port, (name) => name === host)) ||
    allow.suffixes.some((e) => entryCovers(e, port, (suffix) => host.endsWith(suffix)))
  );
}

export function isAllowedAddress(ip: IpAddress, allow: AllowList, port?: number): boolean {
  const cidrs = allow.cidrs.filter((c) => c.port === undefined || c.port === port);
  if (cidrs.some((c) => inCidr(ip, c))) return true;
  const inner = embeddedIpv4(ip);
  return inner !== undefined && cidrs.some((c) => inCidr(inner.v4, c));
}

// ---------------------------------------------------------------------------------------------
// The guard

export const defaultDnsLookup: DnsLookup = async (hostname) => {
  const answers = await dns.lookup(hostname, { all: true, verbatim: true });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

export class OutboundGuard {
  constructor(
    readonly allow: AllowList,
    private readonly lookup: DnsLookup = defaultDnsLookup,
  ) {}

  /**
   * The addresses a request to `hostname` may connect to. Throws a non-retryable OutboundRefused
   * failure when every address is loopback/link-local/private and not allowed.
   */
  async resolve(hostname: string, port?: number): Promise<ResolvedAddress[]> {
    const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    const literal = parseIp(host);
    let candidates: ResolvedAddress[];
    if (literal) {
      candidates = [{ address: formatIp(literal), family: literal.family }];
    } else {
      try {
        candidates = await this.lookup(host);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? String(err);
        throw transientFailure(TRANSIENT.network, `cannot resolve host ${host}: ${code}`);
      }
      if (candidates.length === 0) throw transientFailure(TRANSIENT.network, `cannot resolve host ${host}: no addresses`);
    }
    if (!literal && isAllowedHost(host, this.allow, port)) return candidates;

    const permitted: ResolvedAddress[] = [];
    const refused: string[] = [];
    for (const candidate of candidates) {
      const ip = parseIp(candidate.address);
      const reason = ip ? blockedReason(ip) : 'not an IP address';
      if (reason === undefined || (ip && isAllowedAddress(ip, this.allow, port))) permitted.push(candidate);
      else refused.push(`${candidate.address} is ${reason}`);
    }
    if (permitted.length > 0) return permitted;
    const shown = literal ? refused.join('; ') : `${host} resolves to ${refused.join('; ')}`;
    throw permanentFailure(
      PERMANENT.outboundRefused,
      `outbound request refused: ${shown}. Steps may not reach loopback, link-local or private addresses; ` +
        `if this destination is intended, add ${literal ? formatIp(literal) : host} to HOOKFLOW_OUTBOUND_ALLOW (hostnames, IPs or CIDRs, comma-separated; ` +
        `${port !== undefined ? `${literal?.family === 6 ? `[${formatIp(literal)}]` : literal ? formatIp(literal) : host}:${port}` : 'host:port'} allows that port only)`,
    );
  }
}

/** A `lookup` for node:net that answers only with the addresses the guard checked. */
export function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const family = options.family === 4 || options.family === 6 ? options.family : undefined;
    const usable = family ? addresses.filter((a) => a.family === family) : addresses;
    const list = usable.length > 0 ? usable : addresses;
    if (options.all) {
      (callback as unknown as (err: null, list: ResolvedAddress[]) => void)(null, [...list]);
    } else {
      const first = list[0] as ResolvedAddress;
      callback(null, first.address, first.family);
    }
  };
}
