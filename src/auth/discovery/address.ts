/**
 * Classifies IP addresses for the private-address guard. The special-purpose ranges are ipaddr.js's (its `range()`
 * names, after the IANA registries of RFC 6890); this module only decides what each means for an outbound request,
 * and unwraps IPv4 embedded in IPv6 (mapped, translated, NAT64, 6to4), which a kernel or gateway would connect to.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unspecified'
  | 'cgnat'
  /** Multicast, broadcast, "this network" and reserved ranges: never a legitimate metadata or token endpoint. */
  | 'non-unicast';

/** Whether an address of this class may only be reached when the policy allows private networks. */
export function isRestrictedClass(c: AddressClass): boolean {
  return c !== 'public';
}

/**
 * What each ipaddr.js IPv4 range means here. `unspecified` is all of 0.0.0.0/8 ("this network", RFC 791), which
 * Linux routes to the local host; only 0.0.0.0 itself is reported as unspecified.
 */
const IPV4_CLASSES: Readonly<Record<string, AddressClass>> = {
  unicast: 'public',
  unspecified: 'non-unicast',
  broadcast: 'non-unicast',
  multicast: 'non-unicast', // RFC 5771
  linkLocal: 'link-local', // RFC 3927; includes cloud metadata 169.254.169.254
  loopback: 'loopback',
  carrierGradeNat: 'cgnat', // RFC 6598
  private: 'private', // RFC 1918
  reserved: 'non-unicast', // IETF assignments, documentation, benchmarking, 240/4 (RFC 6890)
  as112: 'public', // anycast DNS sinks (RFC 7534), reachable on the Internet
  amt: 'public', // multicast relays (RFC 7450), reachable on the Internet
};

/** IPv6 ranges that are not decided by an IPv4 address inside them (those are handled in classifyIPv6). */
const IPV6_CLASSES: Readonly<Record<string, AddressClass>> = {
  unicast: 'public',
  unspecified: 'unspecified',
  loopback: 'loopback',
  linkLocal: 'link-local', // fe80::/10
  uniqueLocal: 'private', // fc00::/7 (RFC 4193)
  deprecatedSiteLocal: 'private', // fec0::/10 (RFC 3879)
  multicast: 'non-unicast',
  discard: 'non-unicast', // 100::/64 (RFC 6666)
  teredo: 'public', // 2001::/32 (RFC 4380): a relay on the Internet carries it
  benchmarking: 'non-unicast', // RFC 5180
  amt: 'public',
  as112v6: 'public',
  deprecatedOrchid: 'non-unicast', // identifiers, not locators (RFC 4843, 7343, 9374)
  orchid2: 'non-unicast',
  droneRemoteIdProtocolEntityTags: 'non-unicast',
  segmentRouting: 'private', // SRv6 SIDs, meaningful inside one domain only (RFC 9602)
  reserved: 'non-unicast', // IETF assignments and documentation (RFC 3849, RFC 9637)
};

/** NAT64's well-known prefix (RFC 6052 section 2.1): the gateway connects to the IPv4 address in the last 32 bits. */
const NAT64_WELL_KNOWN = ipaddr.IPv6.parseCIDR('64:ff9b::/96');

/**
 * The class of an IP address literal (no brackets; an IPv6 zone id is ignored), or undefined when `address` is not an
 * IP literal at all. Only the forms node's `net.isIP` accepts count as literals (four-part decimal IPv4, RFC 4291
 * IPv6 text): the URL parser has already turned other spellings (`2130706433`, octal) into those.
 */
export function classifyAddress(address: string): AddressClass | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const withoutZone = bare.split('%', 1)[0] ?? bare;
  const family = isIP(withoutZone);
  if (family === 4) return classifyIPv4(ipaddr.IPv4.parse(withoutZone));
  if (family === 6) return classifyIPv6(ipaddr.IPv6.parse(withoutZone));
  return undefined;
}

/** A range ipaddr.js names that the tables above do not know is special-purpose: refused until it is classified. */
function lookUp(table: Readonly<Record<string, AddressClass>>, range: string): AddressClass {
  return Object.hasOwn(table, range) ? table[range]! : 'non-unicast';
}

function classifyIPv4(address: ipaddr.IPv4): AddressClass {
  if (address.octets.every((octet) => octet === 0)) return 'unspecified';
  return lookUp(IPV4_CLASSES, address.range());
}

function classifyIPv6(address: ipaddr.IPv6): AddressClass {
  const p = address.parts;
  const v4 = (hi: number, lo: number) => classifyIPv4(new ipaddr.IPv4([p[hi]! >> 8, p[hi]! & 0xff, p[lo]! >> 8, p[lo]! & 0xff]));
  const range = address.range();
  switch (range) {
    // IPv4-mapped ::ffff:a.b.c.d (RFC 4291 section 2.5.5.2): the kernel connects to the IPv4 address.
    // IPv4-translated ::ffff:0:a.b.c.d (RFC 6145): a translator forwards to the IPv4 address.
    case 'ipv4Mapped':
    case 'rfc6145':
      return v4(6, 7);
    // NAT64 64:ff9b::/96 carries the IPv4 address in its last 32 bits; the local-use 64:ff9b:1::/48 (RFC 8215) may
    // put it anywhere, and only exists inside a network.
    case 'rfc6052':
      return address.match(NAT64_WELL_KNOWN) ? v4(6, 7) : 'private';
    // 6to4 2002::/16 (RFC 3056) carries an IPv4 address in bits 16-47.
    case '6to4':
      return v4(1, 2);
    default:
      // IPv4-compatible ::a.b.c.d (deprecated, RFC 4291 section 2.5.5.1): judge by the IPv4 address it names.
      if (range === 'unicast' && p.slice(0, 6).every((group) => group === 0)) return v4(6, 7);
      return lookUp(IPV6_CLASSES, range);
  }
}
