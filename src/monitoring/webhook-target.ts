/**
 * Where a webhook may be sent (the SSRF guard): an `https` URL whose host resolves only to public addresses. Checked
 * when an endpoint is registered or changed (src/api/resolvers/webhook.mutation.ts) and again before every delivery
 * (src/monitoring/webhook-delivery.ts), since DNS answers change.
 *
 * Refused: private, loopback, link-local, multicast, unspecified, cloud-metadata, shared (CGNAT), documentation,
 * benchmarking and reserved ranges, in IPv4 and IPv6, and IPv4 addresses embedded in IPv6 (IPv4-mapped
 * `::ffff:a.b.c.d`, IPv4-compatible, NAT64 and 6to4) by the class of the embedded IPv4 address. When the host is a
 * name, every address it resolves to must pass. URLs with credentials are refused (they would be sent to the host).
 *
 * `allowHttpLoopback` (config WEBHOOK_ALLOW_HTTP_LOOPBACK, for tests; refused in production) admits loopback
 * addresses, over http or https; nothing else changes.
 *
 * DNS rebinding: the delivery connects to the addresses this check resolved and admitted (`addresses`), never to a
 * second resolution of the name (src/monitoring/webhook-delivery.ts `postPinned`); TLS still verifies the name.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/** What an address is, for the guard: only PUBLIC addresses are webhook targets (LOOPBACK with the test flag). */
export type AddressClass = 'PUBLIC' | 'LOOPBACK' | 'PRIVATE' | 'LINK_LOCAL' | 'METADATA' | 'MULTICAST' | 'UNSPECIFIED' | 'RESERVED';

export interface TargetPolicy {
  /** Admit loopback targets (and plain http to them): tests only. */
  readonly allowHttpLoopback: boolean;
}

/** Longest URL accepted (characters). */
export const MAX_WEBHOOK_URL_LENGTH = 2_048;
/** Longest wait for the DNS answer of a webhook host (ms). */
export const DNS_LOOKUP_TIMEOUT_MS = 3_000;

type Range = readonly [address: string, prefix: number];

/** IPv4 ranges by class, checked most specific first (metadata addresses lie inside link-local and shared space). */
const IPV4_RANGES: readonly (readonly [Exclude<AddressClass, 'PUBLIC'>, readonly Range[]])[] = [
  // AWS/GCP/Azure/OpenStack instance metadata; Alibaba Cloud's; Oracle Cloud's secondary.
  ['METADATA', [['169.254.169.254', 32], ['100.100.100.200', 32], ['192.0.0.192', 32]]],
  ['UNSPECIFIED', [['0.0.0.0', 8]]],
  ['LOOPBACK', [['127.0.0.0', 8]]],
  // RFC 1918, and shared address space (RFC 6598, carrier-grade NAT): not reachable from the internet.
  ['PRIVATE', [['10.0.0.0', 8], ['172.16.0.0', 12], ['192.168.0.0', 16], ['100.64.0.0', 10]]],
  ['LINK_LOCAL', [['169.254.0.0', 16]]],
  ['MULTICAST', [['224.0.0.0', 4]]],
  // IETF protocol assignments, documentation (TEST-NET-1/2/3), benchmarking, 6to4 relay anycast, reserved, broadcast.
  ['RESERVED', [['192.0.0.0', 24], ['192.0.2.0', 24], ['198.51.100.0', 24], ['203.0.113.0', 24], ['198.18.0.0', 15], ['192.88.99.0', 24], ['240.0.0.0', 4]]],
];

/** IPv6 ranges by class (IPv4-embedding prefixes are handled before these: see `embeddedIpv4`). */
const IPV6_RANGES: readonly (readonly [Exclude<AddressClass, 'PUBLIC'>, readonly Range[]])[] = [
  // AWS's IPv6 instance metadata endpoint (inside the unique-local range below).
  ['METADATA', [['fd00:ec2::254', 128]]],
  ['UNSPECIFIED', [['::', 128]]],
  ['LOOPBACK', [['::1', 128]]],
  // Unique local addresses (fc00::/7) and the deprecated site-local range.
  ['PRIVATE', [['fc00::', 7], ['fec0::', 10]]],
  ['LINK_LOCAL', [['fe80::', 10]]],
  ['MULTICAST', [['ff00::', 8]]],
  // Discard-only, IETF protocol assignments (incl. Teredo, ORCHID), documentation, and the rest of ::/8.
  ['RESERVED', [['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['3fff::', 20], ['::', 8]]],
];

function blockLists(ranges: typeof IPV4_RANGES, family: 'ipv4' | 'ipv6'): readonly (readonly [Exclude<AddressClass, 'PUBLIC'>, BlockList])[] {
  return ranges.map(([cls, list]) => {
    const block = new BlockList();
    for (const [address, prefix] of list) block.addSubnet(address, prefix, family);
    return [cls, block] as const;
  });
}

const V4 = blockLists(IPV4_RANGES, 'ipv4');
const V6 = blockLists(IPV6_RANGES, 'ipv6');

/** The 16 bytes of an IPv6 address in text form (any valid notation, including a dotted IPv4 tail). */
function ipv6Bytes(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, null];
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === null || tail === '' ? [] : tail.split(':');
  const groups = tail === null ? headGroups : [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/**
 * The IPv4 address an IPv6 address carries, when it is one of the embedding forms: IPv4-mapped (::ffff:0:0/96),
 * IPv4-compatible (::/96 outside ::/104, deprecated), NAT64 (64:ff9b::/96 and the local-use 64:ff9b:1::/48) or 6to4 (2002::/16).
 */
function embeddedIpv4(address: string): string | null {
  const b = ipv6Bytes(address);
  const v4 = (at: number) => b.slice(at, at + 4).join('.');
  const zero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zero(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4(12);
  // IPv4-compatible, but not :: and ::1 (their IPv4 reading would be 0.0.0.0/8).
  if (zero(0, 12) && b[12] !== 0) return v4(12);
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && (zero(4, 12) || (b[4] === 0 && b[5] === 1))) return v4(12);
  if (b[0] === 0x20 && b[1] === 0x02) return v4(2);
  return null;
}

/** The class of an IP address (text form, IPv4 or IPv6, without brackets or zone). Not an IP address: RESERVED. */
export function classifyAddress(address: string): AddressClass {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return V4.find(([, block]) => block.check(bare, 'ipv4'))?.[0] ?? 'PUBLIC';
  if (family === 6) {
    const inner = embeddedIpv4(bare);
    if (inner !== null) return classifyAddress(inner);
    return V6.find(([, block]) => block.check(bare, 'ipv6'))?.[0] ?? 'PUBLIC';
  }
  return 'RESERVED';
}

/** True when the policy admits an address of this class. */
export function admitsAddress(cls: AddressClass, policy: TargetPolicy): boolean {
  return cls === 'PUBLIC' || (cls === 'LOOPBACK' && policy.allowHttpLoopback);
}

/** A checked target; `addresses` (from `checkWebhookTarget`) are the checked addresses the delivery connects to. */
export type TargetCheck =
  | { readonly ok: true; readonly url: URL; readonly addresses?: readonly ResolvedAddress[] }
  | { readonly ok: false; readonly reason: string };

export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/**
 * The URL's form (no DNS): absolute https (http only to a loopback address or `localhost` under the test flag), a
 * host, no credentials, no fragment, at most MAX_WEBHOOK_URL_LENGTH characters; an IP literal host must pass the
 * address check.
 */
export function checkWebhookUrl(raw: string, policy: TargetPolicy): TargetCheck {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) return { ok: false, reason: `url must be at most ${MAX_WEBHOOK_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'url is not an absolute URL' };
  }
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'url must not carry credentials' };
  if (url.hash !== '') return { ok: false, reason: 'url must not have a fragment' };
  if (url.hostname === '') return { ok: false, reason: 'url must name a host' };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host) !== 0;
  const loopbackName = host === 'localhost' || host.endsWith('.localhost');
  if (url.protocol === 'http:') {
    const toLoopback = loopbackName || (literal && classifyAddress(host) === 'LOOPBACK');
    if (!(policy.allowHttpLoopback && toLoopback)) return { ok: false, reason: 'url must use https' };
  } else if (url.protocol !== 'https:') {
    return { ok: false, reason: 'url must use https' };
  }
  if (literal) {
    const cls = classifyAddress(host);
    if (!admitsAddress(cls, policy)) return { ok: false, reason: `url's address ${host} is ${describe(cls)}: webhooks go to public addresses only` };
  } else if (loopbackName && !policy.allowHttpLoopback) {
    return { ok: false, reason: `url's host ${host} is loopback: webhooks go to public addresses only` };
  }
  return { ok: true, url };
}

export type Lookup = (host: string) => Promise<readonly { address: string; family: number }[]>;

/** Every address of `host` (dns.lookup with all: true, as the HTTP client resolves it), within DNS_LOOKUP_TIMEOUT_MS. */
export const systemLookup: Lookup = (host) =>
  Promise.race([
    dnsLookup(host, { all: true, verbatim: true }),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`DNS lookup of ${host} timed out`)), DNS_LOOKUP_TIMEOUT_MS).unref()),
  ]);

/**
 * The URL's form and every address its host resolves to (an IP literal is its own address). A host that does not
 * resolve is refused.
 */
export async function checkWebhookTarget(raw: string, policy: TargetPolicy, lookup: Lookup = systemLookup): Promise<TargetCheck> {
  const form = checkWebhookUrl(raw, policy);
  if (!form.ok) return form;
  const host = form.url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0) return { ...form, addresses: [{ address: host, family: isIP(host) }] };
  let addresses: readonly ResolvedAddress[];
  try {
    addresses = await lookup(host);
  } catch (error) {
    return { ok: false, reason: `url's host ${host} does not resolve (${error instanceof Error ? error.message : String(error)})` };
  }
  if (addresses.length === 0) return { ok: false, reason: `url's host ${host} does not resolve` };
  for (const { address } of addresses) {
    const cls = classifyAddress(address);
    if (!admitsAddress(cls, policy)) return { ok: false, reason: `url's host ${host} resolves to ${address}, ${describe(cls)}: webhooks go to public addresses only` };
  }
  // The delivery connects to these very addresses (no second resolution a rebinding DNS could answer differently).
  return { ...form, addresses };
}

function describe(cls: AddressClass): string {
  return {
    PUBLIC: 'public',
    LOOPBACK: 'loopback',
    PRIVATE: 'a private address',
    LINK_LOCAL: 'link-local',
    METADATA: 'a cloud metadata address',
    MULTICAST: 'multicast',
    UNSPECIFIED: 'unspecified',
    RESERVED: 'a reserved address',
  }[cls];
}
