// SSRF guard for the URLs publishers register for outbound webhooks: favour POSTs to them from inside its own
// network, so a URL must not reach loopback, private networks or the cloud metadata address (169.254.169.254).
// Two checks: checkTarget when a URL is registered (clear errors for the publisher), and guardedLookup at connect
// time, because a name can resolve to a public address at registration and a private one later (DNS rebinding).
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import net from 'node:net';
import ipaddr from 'ipaddr.js';

const MAX_URL_LENGTH = 2_000;
const MAX_MESSAGE_LENGTH = 300;
const MAX_SHOWN_URL_LENGTH = 120;
const ALLOW_PRIVATE_HINT = '(set WEBHOOKS_ALLOW_PRIVATE=true to allow it)';

export class UnsafeTargetError extends Error {
  override readonly name = 'UnsafeTargetError';
  // The same code whether the URL is refused up front or at connect time, so callers need one check.
  readonly code = 'EUNSAFETARGET';

  constructor(message: string) {
    super(truncate(message, MAX_MESSAGE_LENGTH));
  }
}

export interface TargetPolicy {
  /** WEBHOOKS_ALLOW_PRIVATE=true: private, loopback, link-local addresses allowed (local tools, tests); also lifts the https rule. */
  allowPrivate: boolean;
  /** NODE_ENV=production: only https (unless allowPrivate). */
  requireHttps: boolean;
}

export type LookupAll = (hostname: string) => Promise<{ address: string; family: number }[]>;

// IANA allocates global unicast IPv6 only from 2000::/3; ipaddr.js calls much outside it 'unicast' (e.g. ::7f00:1).
const IPV6_GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');
// NAT64 well-known prefix: with DNS64 on an IPv6-only host every IPv4-only site resolves into it, so refusing it
// outright would break webhooks there; the embedded IPv4 address is judged instead. The local-use NAT64 prefix
// (64:ff9b:1::/48), 6to4 (2002::/16) and Teredo (2001::/32) are refused whole: deprecated or site-specific, and
// they too can carry a private IPv4 address to a relay.
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

const RANGE_DESCRIPTIONS = new Map<string, string>([
  ['private', 'a private address'],
  ['uniqueLocal', 'a private (unique local) address'],
  ['loopback', 'a loopback address'],
  ['linkLocal', 'a link-local address'],
  ['carrierGradeNat', 'a carrier-grade NAT address'],
  ['unspecified', 'the unspecified address'],
  ['broadcast', 'the broadcast address'],
  ['multicast', 'a multicast address'],
  ['reserved', 'a reserved address'],
  ['6to4', 'a 6to4 address'],
  ['teredo', 'a Teredo address'],
  ['rfc6052', 'a local-use NAT64 address'],
  ['scoped', 'an address with a zone id'],
  ['unparseable', 'not an IP address'],
]);

/** Whether an IP address (v4 or v6 text) is a public unicast address. IPv4-mapped IPv6 is judged as its IPv4. */
export function isPublicAddress(ip: string): boolean {
  return rangeOf(ip) === 'unicast';
}

/** Parses and checks a URL's form: http/https only, no user:password, a host, at most 2,000 chars; https when required. Throws UnsafeTargetError. */
export function parseTargetUrl(raw: string, policy: TargetPolicy): URL {
  if (raw.length > MAX_URL_LENGTH) {
    throw new UnsafeTargetError(`${showRaw(raw)}: the URL is longer than 2,000 characters`);
  }
  const url = parseUrl(raw);
  const shown = showUrl(url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UnsafeTargetError(`${shown}: only http and https URLs are allowed, not ${url.protocol}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new UnsafeTargetError(`${shown}: the URL must not contain a user name or password`);
  }
  // The URL parser already refuses http(s) URLs without a host; this states the rule rather than relying on that.
  if (url.hostname === '') throw new UnsafeTargetError(`${shown}: the URL has no host`);
  if (policy.requireHttps && !policy.allowPrivate && url.protocol !== 'https:') {
    throw new UnsafeTargetError(`${shown}: only https URLs are allowed in production ${ALLOW_PRIVATE_HINT}`);
  }
  return url;
}

/** parseTargetUrl, then resolves the host (all addresses; an IP literal as itself) and refuses when ANY address is not public (unless allowPrivate). Throws UnsafeTargetError (also when the name does not resolve). `lookupAll` defaults to dns.promises.lookup(host, { all: true, verbatim: true }). */
export async function checkTarget(raw: string, policy: TargetPolicy, lookupAll: LookupAll = lookupAllAddresses): Promise<URL> {
  const url = parseTargetUrl(raw, policy);
  const host = withoutBrackets(url.hostname);
  // The URL parser has already turned 2130706433, 0x7f.1 and 0177.0.0.1 into 127.0.0.1, so net.isIP sees them.
  const addresses = net.isIP(host) !== 0 ? [host] : await resolveHost(url, host, lookupAll);
  if (!policy.allowPrivate) refuseNonPublic(url, host, addresses);
  return url;
}

/**
 * A `lookup` for http.request/https.request options (same signature as dns.lookup as Node's net module calls it,
 * including the `options.all` form) that resolves with dns.lookup and fails with an error (code 'EUNSAFETARGET')
 * when the address the socket would connect to is not public — the check "again at connect time", which defeats DNS
 * rebinding. With allowPrivate it is plain dns.lookup.
 */
export function guardedLookup(policy: TargetPolicy): LookupFunction {
  if (policy.allowPrivate) return dns.lookup;
  // Net skips lookup for IP literals: those are covered by checkTarget, which sees the same URL.
  return (hostname, options, callback) => {
    // Every address, in the order net would get them, so the check matches checkTarget's "any address" rule.
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, options.all ? [] : '');
      const unsafe = addresses.find((entry) => !isPublicAddress(entry.address));
      if (unsafe) return callback(new UnsafeTargetError(refusalMessage(hostname, unsafe.address)), options.all ? [] : '');
      const first = addresses[0];
      if (options.all) return callback(null, addresses);
      if (!first) return callback(new UnsafeTargetError(`${hostname} does not resolve (no addresses)`), '');
      callback(null, first.address, first.family);
    });
  };
}

/** The ipaddr.js range name of an address ('unicast' = public), or one of ours: 'unparseable', 'scoped'. */
function rangeOf(ip: string): string {
  const version = net.isIP(ip);
  if (version === 0) return 'unparseable';
  // A zone id only makes sense for link-local addresses; nothing public needs one.
  if (ip.includes('%')) return 'scoped';
  return version === 4 ? ipaddr.IPv4.parse(ip).range() : rangeOfIPv6(parseIPv6(ip));
}

function rangeOfIPv6(address: ipaddr.IPv6): string {
  if (address.isIPv4MappedAddress()) return address.toIPv4Address().range();
  if (address.match(NAT64_WELL_KNOWN)) return embeddedIPv4(address).range();
  const range = address.range();
  return range === 'unicast' && !address.match(IPV6_GLOBAL_UNICAST) ? 'reserved' : range;
}

// ipaddr.js reads the IPv4-compatible form "::1.2.3.4" (how glibc prints ::102:304) as the IPv4-mapped
// ::ffff:1.2.3.4, a different address. The URL parser's serialisation never uses dotted quads, so go through it.
function parseIPv6(ip: string): ipaddr.IPv6 {
  return ipaddr.IPv6.parse(withoutBrackets(new URL(`http://[${ip}]/`).hostname));
}

function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 {
  const high = address.parts[6] ?? 0;
  const low = address.parts[7] ?? 0;
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}

function describeAddress(ip: string): string {
  const range = rangeOf(ip);
  return RANGE_DESCRIPTIONS.get(range) ?? `not a public address (${range})`;
}

function refusalMessage(hostname: string, address: string): string {
  const what = hostname === address ? address : `${hostname} resolves to ${address}, which`;
  return `${what} is ${describeAddress(address)} ${ALLOW_PRIVATE_HINT}`;
}

function refuseNonPublic(url: URL, host: string, addresses: string[]): void {
  const unsafe = addresses.find((address) => !isPublicAddress(address));
  if (unsafe !== undefined) throw new UnsafeTargetError(`${showUrl(url)}: ${refusalMessage(host, unsafe)}`);
}

async function resolveHost(url: URL, host: string, lookupAll: LookupAll): Promise<string[]> {
  let entries: { address: string }[];
  try {
    entries = await lookupAll(host);
  } catch (error) {
    throw new UnsafeTargetError(`${showUrl(url)}: ${host} does not resolve (${lookupFailureReason(error)})`);
  }
  if (entries.length === 0) throw new UnsafeTargetError(`${showUrl(url)}: ${host} does not resolve (no addresses)`);
  return entries.map((entry) => entry.address);
}

function lookupAllAddresses(hostname: string): Promise<dns.LookupAddress[]> {
  return dns.promises.lookup(hostname, { all: true, verbatim: true });
}

function lookupFailureReason(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : String(error);
}

function parseUrl(raw: string): URL {
  try {
    return new URL(raw);
  } catch {
    throw new UnsafeTargetError(`${showRaw(raw)}: not a valid URL`);
  }
}

// Scheme, host and path only: credentials, query strings and fragments often carry secrets, and messages are logged.
function showUrl(url: URL): string {
  const shown = url.host === '' ? `${url.protocol}${url.pathname}` : `${url.protocol}//${url.host}${url.pathname}`;
  return truncate(shown, MAX_SHOWN_URL_LENGTH);
}

// For text that is not a URL (or too long to parse): a short quoted start, with any user:password@ masked.
function showRaw(raw: string): string {
  return JSON.stringify(truncate(raw.replace(/\/\/[^/@]*@/, '//…@'), 80));
}

// URL hostnames keep an IPv6 literal's brackets ("[::1]"); addresses elsewhere do not.
function withoutBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function truncate(text: string, maxLength: number): string {
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 1)}…`;
}

/** The policy the configuration sets: WEBHOOKS_ALLOW_PRIVATE, and https in production. */
export function targetPolicyOf(config: { webhooksAllowPrivate: boolean; nodeEnv: string }): TargetPolicy {
  return { allowPrivate: config.webhooksAllowPrivate, requireHttps: config.nodeEnv === 'production' };
}
