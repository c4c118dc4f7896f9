import { BlockList, isIPv4, isIPv6 } from 'node:net';

/** The URL scheme a connection is made for; plain http is only acceptable to allowed ranges. */
export type Scheme = 'http' | 'https';

/** Why an address is not a public internet destination. */
export type ForbiddenRange =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'shared' // carrier-grade NAT, 100.64.0.0/10
  | 'link_local' // includes the cloud metadata address 169.254.169.254
  | 'unique_local'
  | 'multicast'
  | 'documentation'
  | 'reserved'
  | 'not_an_ip';

export type AddressClass =
  | { kind: 'public' }
  | {
      kind: 'forbidden';
      range: ForbiddenRange;
      /** The IPv4 address an IPv6 form carries (mapped, compatible, NAT64, 6to4), when that decided it. */
      embeddedIPv4?: string;
    };

export type Decision =
  | { allowed: true }
  | {
      allowed: false;
      refused: 'blocked_destination' | 'insecure_destination';
      /** A safe sentence naming the address and why it was refused. */
      reason: string;
    };

/** A compiled operator allow-list (EGRESS_ALLOW). */
export interface AllowList {
  /** The normalised CIDRs it was built from. */
  readonly cidrs: readonly string[];
  contains(address: string): boolean;
}

type Cidr = { family: 4; network: number; prefix: number } | { family: 6; network: bigint; prefix: number };

const RANGE_LABEL: Record<ForbiddenRange, string> = {
  unspecified: 'an unspecified ("this network") address',
  loopback: 'a loopback address',
  private: 'a private address',
  shared: 'a carrier-grade NAT (shared) address',
  link_local: 'a link-local address (the range of cloud metadata services)',
  unique_local: 'a unique-local (private) IPv6 address',
  multicast: 'a multicast address',
  documentation: 'a documentation-only address',
  reserved: 'a reserved address',
  not_an_ip: 'not a valid IP address',
};

// Order matters only for naming: the first matching range names the class.
const IPV4_FORBIDDEN: ReadonlyArray<readonly [string, number, ForbiddenRange]> = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link_local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'], // IETF protocol assignments
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'], // deprecated 6to4 relay anycast
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'reserved'], // benchmarking
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'], // includes the broadcast address 255.255.255.255
];

// Checked after the forms that embed an IPv4 address have been unwrapped.
const IPV6_FORBIDDEN: ReadonlyArray<readonly [string, number, ForbiddenRange]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['64:ff9b:1::', 48, 'reserved'], // local-use NAT64 (RFC 8215)
  ['100::', 64, 'reserved'], // discard-only
  ['2001::', 23, 'reserved'], // IETF protocol assignments, includes Teredo 2001::/32
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['fc00::', 7, 'unique_local'],
  ['fe80::', 10, 'link_local'],
  ['fec0::', 10, 'reserved'], // deprecated site-local
  ['ff00::', 8, 'multicast'],
];

const IPV4_TABLE = IPV4_FORBIDDEN.map(([net, prefix, range]) => ({
  network: ipv4ToInt(net) as number,
  prefix,
  range,
}));
const IPV6_TABLE = IPV6_FORBIDDEN.map(([net, prefix, range]) => ({
  network: groupsToBigInt(parseIPv6(net) as number[]),
  prefix,
  range,
}));
const GLOBAL_UNICAST_V6 = groupsToBigInt(parseIPv6('2000::') as number[]);

/** Classifies an IP address as a public destination or names the forbidden range it falls in. */
export function classifyAddress(ip: string): AddressClass {
  const address = stripDecorations(ip);
  if (isIPv4(address)) {
    const range = ipv4Range(ipv4ToInt(address) as number);
    return range ? { kind: 'forbidden', range } : { kind: 'public' };
  }
  const groups = isIPv6(address) ? parseIPv6(address) : null;
  if (!groups) return { kind: 'forbidden', range: 'not_an_ip' };
  const value = groupsToBigInt(groups);
  if (value === 0n) return { kind: 'forbidden', range: 'unspecified' };
  if (value === 1n) return { kind: 'forbidden', range: 'loopback' };
  const embedded = embeddedIPv4(groups);
  if (embedded) {
    const range = ipv4Range(embedded.value);
    const embeddedIPv4 = intToIPv4(embedded.value);
    if (range) return { kind: 'forbidden', range, embeddedIPv4 };
    // The deprecated IPv4-compatible and SIIT-translated forms are no real route, whatever they embed.
    if (embedded.form === 'compatible' || embedded.form === 'translated') {
      return { kind: 'forbidden', range: 'reserved', embeddedIPv4 };
    }
    return { kind: 'public' };
  }
  for (const entry of IPV6_TABLE) {
    if (inPrefix128(value, entry.network, entry.prefix)) return { kind: 'forbidden', range: entry.range };
  }
  // Only 2000::/3 is allocated for global unicast; anything else is unassigned.
  if (!inPrefix128(value, GLOBAL_UNICAST_V6, 3)) return { kind: 'forbidden', range: 'reserved' };
  return { kind: 'public' };
}

/** Returns the IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), or null. */
export function unwrapEmbeddedIPv4(ip: string): string | null {
  const address = stripDecorations(ip);
  if (!isIPv6(address)) return null;
  const groups = parseIPv6(address);
  if (!groups) return null;
  const value = groupsToBigInt(groups);
  if (value === 0n || value === 1n) return null;
  const embedded = embeddedIPv4(groups);
  return embedded ? intToIPv4(embedded.value) : null;
}

/** Parses the EGRESS_ALLOW value (comma-separated CIDRs) into normalised CIDRs, throwing on a bad entry. */
export function parseEgressAllow(value: string | undefined): string[] {
  if (value === undefined) return [];
  const cidrs: string[] = [];
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue; // tolerate "a, b," and an empty variable
    cidrs.push(formatCidr(parseCidrOrThrow(entry)));
  }
  return cidrs;
}

/** Compiles CIDRs (as accepted by parseEgressAllow) into an allow-list, throwing on a bad entry. */
export function compileAllowList(cidrs: readonly string[]): AllowList {
  const blockList = new BlockList();
  const normalised: string[] = [];
  for (const entry of cidrs) {
    const cidr = parseCidrOrThrow(entry.trim());
    const text = formatCidr(cidr);
    normalised.push(text);
    const [network = '', prefix = ''] = text.split('/');
    blockList.addSubnet(network, Number(prefix), cidr.family === 4 ? 'ipv4' : 'ipv6');
  }
  return {
    cidrs: normalised,
    contains(address: string): boolean {
      if (normalised.length === 0) return false;
      const clean = stripDecorations(address);
      if (isIPv4(clean)) return blockList.check(clean, 'ipv4');
      if (!isIPv6(clean)) return false;
      if (blockList.check(clean, 'ipv6')) return true;
      // An IPv6 form of an allowed IPv4 address reaches the same host, so it is allowed too.
      const v4 = unwrapEmbeddedIPv4(clean);
      return v4 !== null && blockList.check(v4, 'ipv4');
    },
  };
}

/** Decides whether a connection to `address` over `scheme` may be opened under the allow-list. */
export function decideDestination(
  address: string,
  scheme: Scheme,
  allow: AllowList | readonly string[],
): Decision {
  const allowList = isAllowList(allow) ? allow : compileAllowList(allow);
  const clean = stripDecorations(address);
  if (allowList.contains(clean)) return { allowed: true };
  const cls = classifyAddress(clean);
  if (cls.kind === 'forbidden') {
    const via = cls.embeddedIPv4 ? ` (carrying ${cls.embeddedIPv4})` : '';
    return {
      allowed: false,
      refused: 'blocked_destination',
      reason: `${clean}${via} is ${RANGE_LABEL[cls.range]} and is not in the egress allow-list`,
    };
  }
  if (scheme === 'http') {
    return {
      allowed: false,
      refused: 'insecure_destination',
      reason: `${clean} is a public address and plain http to it is not allowed; use https`,
    };
  }
  return { allowed: true };
}

function isAllowList(value: AllowList | readonly string[]): value is AllowList {
  return !Array.isArray(value);
}

/** Removes URL brackets and an IPv6 zone id, which do not change what the address is. */
function stripDecorations(ip: string): string {
  let address = ip.trim();
  if (address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  const zone = address.indexOf('%');
  if (zone !== -1 && address.includes(':')) address = address.slice(0, zone);
  return address.toLowerCase();
}

function ipv4Range(value: number): ForbiddenRange | null {
  for (const entry of IPV4_TABLE) {
    if (inPrefix32(value, entry.network, entry.prefix)) return entry.range;
  }
  return null;
}

function inPrefix32(value: number, network: number, prefix: number): boolean {
  if (prefix === 0) return true;
  const mask = (0xffffffff << (32 - prefix)) >>> 0;
  return (value & mask) >>> 0 === (network & mask) >>> 0;
}

function inPrefix128(value: bigint, network: bigint, prefix: number): boolean {
  const shift = BigInt(128 - prefix);
  return value >> shift === network >> shift;
}

type Embedded = { form: 'mapped' | 'translated' | 'compatible' | 'nat64' | '6to4'; value: number };

function embeddedIPv4(g: readonly number[]): Embedded | null {
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = g;
  const low = ((g6 << 16) | g7) >>> 0;
  const firstFourZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0;
  if (firstFourZero && g4 === 0 && g5 === 0xffff) return { form: 'mapped', value: low };
  if (firstFourZero && g4 === 0xffff && g5 === 0) return { form: 'translated', value: low };
  if (firstFourZero && g4 === 0 && g5 === 0) return { form: 'compatible', value: low };
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) {
    return { form: 'nat64', value: low };
  }
  if (g0 === 0x2002) return { form: '6to4', value: (((g1 ?? 0) << 16) | (g2 ?? 0)) >>> 0 };
  return null;
}

function ipv4ToInt(text: string): number | null {
  if (!isIPv4(text)) return null;
  let value = 0;
  for (const part of text.split('.')) value = value * 256 + Number(part);
  return value >>> 0;
}

function intToIPv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

/** Expands an IPv6 address (already checked by isIPv6, zone removed) into its eight 16-bit groups. */
function parseIPv6(text: string): number[] | null {
  let head = text.toLowerCase();
  const tail: number[] = [];
  const lastColon = head.lastIndexOf(':');
  const last = head.slice(lastColon + 1);
  if (last.includes('.')) {
    const v4 = ipv4ToInt(last);
    if (v4 === null) return null;
    tail.push(v4 >>> 16, v4 & 0xffff);
    head = head.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const toGroups = (part: string | undefined): number[] | null => {
    if (!part) return [];
    const out: number[] = [];
    for (const group of part.split(':')) {
      if (!/^[0-9a-f]{1,4}$/.test(group)) return null;
      out.push(Number.parseInt(group, 16));
    }
    return out;
  };
  const left = toGroups(halves[0]);
  const right = halves.length === 2 ? toGroups(halves[1]) : [];
  if (!left || !right) return null;
  const explicit = left.length + right.length + tail.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return null;
  const zeros = new Array<number>(8 - explicit).fill(0);
  return [...left, ...zeros, ...right, ...tail];
}

function groupsToBigInt(groups: readonly number[]): bigint {
  let value = 0n;
  for (const group of groups) value = (value << 16n) | BigInt(group);
  return value;
}

function bigIntToGroups(value: bigint): number[] {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  return groups;
}

/** Formats eight groups in the RFC 5952 short form (longest run of two or more zero groups as ::). */
function formatIPv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function parseCidrOrThrow(entry: string): Cidr {
  const cidr = parseCidr(entry);
  if (!cidr) {
    throw new Error(
      `Invalid egress allow-list entry "${entry}": expected an IPv4 or IPv6 CIDR such as 10.0.0.0/8 or fd00::/8`,
    );
  }
  return cidr;
}

function parseCidr(entry: string): Cidr | null {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const prefixText = slash === -1 ? null : entry.slice(slash + 1);
  if (prefixText !== null && !/^\d{1,3}$/.test(prefixText)) return null;
  if (isIPv4(address)) {
    const prefix = prefixText === null ? 32 : Number(prefixText);
    if (prefix > 32) return null;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return { family: 4, network: ((ipv4ToInt(address) as number) & mask) >>> 0, prefix };
  }
  // A zone id has no meaning in an allow-list, so it is refused rather than ignored.
  if (isIPv6(address) && !address.includes('%')) {
    const groups = parseIPv6(address);
    if (!groups) return null;
    const prefix = prefixText === null ? 128 : Number(prefixText);
    if (prefix > 128) return null;
    const shift = BigInt(128 - prefix);
    return { family: 6, network: (groupsToBigInt(groups) >> shift) << shift, prefix };
  }
  return null;
}

function formatCidr(cidr: Cidr): string {
  if (cidr.family === 4) return `${intToIPv4(cidr.network)}/${cidr.prefix}`;
  return `${formatIPv6(bigIntToGroups(cidr.network))}/${cidr.prefix}`;
}
