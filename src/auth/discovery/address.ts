/**
 * Classifies IP addresses for the private-address guard. Written out by hand rather than with `net.BlockList` so that
 * IPv4 embedded in IPv6 (mapped, compatible, NAT64, 6to4) is unwrapped explicitly and the rules can be read in one place.
 */
import { isIP } from 'node:net';

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
 * The class of an IP address literal (no brackets; an IPv6 zone id is ignored), or undefined when `address` is not an
 * IP literal at all.
 */
export function classifyAddress(address: string): AddressClass | undefined {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const withoutZone = bare.split('%', 1)[0] ?? bare;
  const family = isIP(withoutZone);
  if (family === 4) {
    const v4 = parseIPv4(withoutZone);
    return v4 === undefined ? undefined : classifyIPv4(v4);
  }
  if (family === 6) {
    const v6 = parseIPv6(withoutZone);
    return v6 === undefined ? undefined : classifyIPv6(v6);
  }
  return undefined;
}

function parseIPv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

function inV4(addr: number, base: string, prefix: number): boolean {
  const b = parseIPv4(base);
  if (b === undefined) throw new Error(`bad range ${base}`);
  const size = 2 ** (32 - prefix);
  return Math.floor(addr / size) === Math.floor(b / size);
}

// RFC 6890 special-purpose registry, restricted to what matters for outbound requests.
function classifyIPv4(addr: number): AddressClass {
  if (addr === 0) return 'unspecified';
  if (inV4(addr, '0.0.0.0', 8)) return 'non-unicast'; // "this network"; Linux routes 0.x to the local host
  if (inV4(addr, '127.0.0.0', 8)) return 'loopback';
  if (inV4(addr, '10.0.0.0', 8) || inV4(addr, '172.16.0.0', 12) || inV4(addr, '192.168.0.0', 16)) return 'private'; // RFC 1918
  if (inV4(addr, '169.254.0.0', 16)) return 'link-local'; // RFC 3927; includes cloud metadata 169.254.169.254
  if (inV4(addr, '100.64.0.0', 10)) return 'cgnat'; // RFC 6598
  if (inV4(addr, '192.0.0.0', 24)) return 'private'; // IETF protocol assignments (RFC 6890), not globally reachable
  if (inV4(addr, '198.18.0.0', 15)) return 'private'; // benchmarking (RFC 2544), used inside some networks
  if (inV4(addr, '224.0.0.0', 4) || inV4(addr, '240.0.0.0', 4)) return 'non-unicast'; // multicast, reserved, broadcast
  return 'public';
}

/** Eight 16-bit groups. */
type IPv6Groups = number[];

function parseIPv6(text: string): IPv6Groups | undefined {
  let head = text;
  let tailV4: number | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tailV4 = parseIPv4(text.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    head = text.slice(0, lastColon + 1) + '0:0'; // placeholder groups, replaced below
  }
  const halves = head.split('::');
  if (halves.length > 2) return undefined;
  const toGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const groups: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      groups.push(parseInt(g, 16));
    }
    return groups;
  };
  const left = toGroups(halves[0] ?? '');
  const right = halves.length === 2 ? toGroups(halves[1] ?? '') : [];
  if (left === undefined || right === undefined) return undefined;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - left.length - right.length;
    if (missing < 1) return undefined;
    groups = [...left, ...new Array<number>(missing).fill(0), ...right];
  } else {
    groups = left;
  }
  if (groups.length !== 8) return undefined;
  if (tailV4 !== undefined) {
    groups[6] = Math.floor(tailV4 / 65536);
    groups[7] = tailV4 % 65536;
  }
  return groups;
}

function embeddedV4(groups: IPv6Groups, hi: number, lo: number): number {
  return (groups[hi] ?? 0) * 65536 + (groups[lo] ?? 0);
}

function classifyIPv6(g: IPv6Groups): AddressClass {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const firstSixZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0;
  if (firstSixZero && g6 === 0 && g7 === 0) return 'unspecified'; // ::
  if (firstSixZero && g6 === 0 && g7 === 1) return 'loopback'; // ::1
  // IPv4-mapped ::ffff:a.b.c.d (RFC 4291 section 2.5.5.2): the kernel connects to the IPv4 address.
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) return classifyIPv4(embeddedV4(g, 6, 7));
  // IPv4-compatible ::a.b.c.d (deprecated, RFC 4291 section 2.5.5.1): judge by the IPv4 address it names.
  if (firstSixZero) return classifyIPv4(embeddedV4(g, 6, 7));
  // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052) and local-use 64:ff9b:1::/48 (RFC 8215): a NAT64 gateway would
  // forward to the embedded IPv4 address.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return classifyIPv4(embeddedV4(g, 6, 7));
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return 'private';
  // 6to4 2002::/16 (RFC 3056) carries an IPv4 address in bits 16-47.
  if (g0 === 0x2002) return classifyIPv4(embeddedV4(g, 1, 2));
  if ((g0 & 0xfe00) === 0xfc00) return 'private'; // unique local fc00::/7 (RFC 4193)
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local'; // fe80::/10
  if ((g0 & 0xffc0) === 0xfec0) return 'private'; // deprecated site-local fec0::/10 (RFC 3879)
  if ((g0 & 0xff00) === 0xff00) return 'non-unicast'; // multicast ff00::/8
  if (g0 === 0x100 && g1 === 0 && g2 === 0 && g3 === 0) return 'non-unicast'; // discard-only 100::/64 (RFC 6666)
  return 'public';
}
