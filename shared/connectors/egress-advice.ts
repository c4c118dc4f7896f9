import { classifyAddress, type ForbiddenRange, parseEgressAllow } from '../net/address-policy.ts';
import type { OutboundResult } from '../net/types.ts';

type Failure = Extract<OutboundResult, { ok: false }>;

/** What a refused destination tells the user: one sentence, and the form field to blame (null when none). */
export interface RefusalAdvice {
  message: string;
  field: string | null;
}

/**
 * Ranges where a self-hosted vendor plausibly lives (an office LAN, a VPN, a container next door, this very
 * machine): the URL is right and only the operator's allow-list is missing. The other forbidden ranges
 * (link-local and its cloud metadata address, multicast, documentation, reserved) never host an ERP, so
 * there the URL itself is what to fix.
 */
const ALLOWABLE: ReadonlySet<ForbiddenRange> = new Set(['loopback', 'private', 'shared', 'unique_local']);

const RANGE_WORDS: Partial<Record<ForbiddenRange, string>> = {
  loopback: 'a loopback address (this machine)',
  private: 'a private address',
  shared: 'a carrier-grade NAT or VPN (100.64.0.0/10) address',
  unique_local: 'a private (unique-local) IPv6 address',
  link_local: 'a link-local address (the range of cloud metadata services)',
  multicast: 'a multicast address',
  documentation: 'an address reserved for documentation',
  unspecified: 'an unspecified address',
  reserved: 'a reserved address',
};

/**
 * The CIDRs that would let credval reach a refused address: the address itself, then its usual network
 * (/24 for IPv4, /64 for IPv6) unless it is a loopback address. An IPv6 form of an IPv4 address is allowed
 * through its IPv4 form, which is what people recognise.
 */
export function egressAllowFor(address: string, range: ForbiddenRange, embeddedIPv4?: string): string[] {
  const ip = embeddedIPv4 ?? address;
  const v6 = ip.includes(':');
  const single = `${ip}/${v6 ? 128 : 32}`;
  if (range === 'loopback') return parseEgressAllow(single);
  return parseEgressAllow(`${single},${ip}/${v6 ? 64 : 24}`);
}

/**
 * Explains a destination the egress policy refused. A private address is not a wrong URL: the advice blames
 * no field and names the operator's fix in both forms (the server's `EGRESS_ALLOW`, the CLI's
 * `--egress-allow`) with the CIDR to add. A public http URL, or an address no vendor lives at, is the URL's fault.
 */
export function refusalAdvice(failure: Failure, urlField: string | null, host: string): RefusalAdvice {
  if (failure.failure === 'insecure_destination')
    return { message: `${host} is a public server: use an https:// URL.`, field: urlField };
  const address = failure.refusedAddress;
  const cls = address ? classifyAddress(address) : null;
  if (!address || !cls || cls.kind !== 'forbidden') {
    return {
      message: `${host} is a private or reserved address that credval calls only when its operator allows it: set EGRESS_ALLOW=<its CIDR> on the server, or pass --egress-allow <its CIDR> to the CLI.`,
      field: null,
    };
  }
  const hostname = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  const subject = hostname === address ? `${address} is` : `${host} resolves to ${address},`;
  const what = RANGE_WORDS[cls.range] ?? 'not a public address';
  if (!ALLOWABLE.has(cls.range)) {
    return {
      message: `${subject} ${what}, which credval does not call: enter the address of the server itself.`,
      field: urlField,
    };
  }
  const [exact, network] = egressAllowFor(address, cls.range, cls.embeddedIPv4);
  const alternative = network ? ` (or ${network} for its network)` : '';
  return {
    message: `${subject} ${what}, which credval calls only when its operator allows it: set EGRESS_ALLOW=${exact}${alternative} on the server, or pass --egress-allow ${exact} to the CLI.`,
    field: null,
  };
}
