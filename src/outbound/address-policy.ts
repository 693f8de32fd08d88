/**
 * Which IP addresses the server may connect to when it fetches a URL named by someone else (a client's
 * jwks_uri today; sector_identifier_uri, request_uri and upstream metadata later). A URL from a
 * self-registered client must not become a probe of the server's own network (SSRF, OWASP ASVS V12.6): every
 * address that is not globally routable is refused unless the operator allowed it, and the check is made on
 * the addresses DNS returned for the connection itself, so a name that resolves differently later (DNS
 * rebinding) is checked again when it is used.
 *
 * Ranges: RFC 6890 special-purpose registries (IPv4 and IPv6), RFC 1918 private, RFC 6598 CGNAT, RFC 3927 /
 * RFC 4291 link-local, RFC 4193 unique-local, multicast, documentation and benchmarking ranges. IPv6 forms that
 * carry an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, which node's BlockList matches against the IPv4 rules;
 * IPv4-compatible `::a.b.c.d`; NAT64 64:ff9b::/96 and 6to4 2002::/16) are refused as a whole: an operator on
 * an IPv6-only network can allow the NAT64 prefix explicitly.
 */
import { BlockList, isIP } from 'node:net';

export type AddressClass = 'public' | 'loopback' | 'private' | 'link-local' | 'reserved' | 'invalid';

const RANGES: Record<Exclude<AddressClass, 'public' | 'invalid'>, [string, number, 'ipv4' | 'ipv6'][]> = {
  loopback: [
    ['127.0.0.0', 8, 'ipv4'],
    ['::1', 128, 'ipv6'],
  ],
  private: [
    ['10.0.0.0', 8, 'ipv4'],
    ['172.16.0.0', 12, 'ipv4'],
    ['192.168.0.0', 16, 'ipv4'],
    ['100.64.0.0', 10, 'ipv4'], // CGNAT, RFC 6598
    ['fc00::', 7, 'ipv6'], // unique-local, RFC 4193
    ['fec0::', 10, 'ipv6'], // site-local (deprecated, RFC 3879)
  ],
  'link-local': [
    ['169.254.0.0', 16, 'ipv4'], // includes cloud metadata endpoints (169.254.169.254)
    ['fe80::', 10, 'ipv6'],
  ],
  reserved: [
    ['0.0.0.0', 8, 'ipv4'], // "this network", includes the unspecified address
    ['192.0.0.0', 24, 'ipv4'],
    ['192.0.2.0', 24, 'ipv4'],
    ['198.18.0.0', 15, 'ipv4'],
    ['198.51.100.0', 24, 'ipv4'],
    ['203.0.113.0', 24, 'ipv4'],
    ['224.0.0.0', 4, 'ipv4'], // multicast
    ['240.0.0.0', 4, 'ipv4'], // reserved, includes broadcast
    ['::', 96, 'ipv6'], // unspecified and IPv4-compatible
    ['64:ff9b::', 96, 'ipv6'], // NAT64
    ['64:ff9b:1::', 48, 'ipv6'], // local-use NAT64
    ['100::', 64, 'ipv6'], // discard
    ['2001::', 23, 'ipv6'], // IETF protocol assignments (Teredo, ORCHID, benchmarking)
    ['2001:db8::', 32, 'ipv6'], // documentation
    ['2002::', 16, 'ipv6'], // 6to4
    ['ff00::', 8, 'ipv6'], // multicast
  ],
};

const LISTS = Object.entries(RANGES).map(([cls, ranges]) => {
  const list = new BlockList();
  for (const [net, prefix, family] of ranges) list.addSubnet(net, prefix, family);
  return [cls as AddressClass, list] as const;
});

function familyOf(address: string): 'ipv4' | 'ipv6' | undefined {
  const v = isIP(address);
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : undefined;
}

/** Classifies an IP address (v4 or v6, no brackets); anything unparsable is `invalid`. */
export function classifyAddress(address: string): AddressClass {
  const family = familyOf(address);
  // A zone index (fe80::1%eth0) names an interface: never a public destination.
  if (!family || address.includes('%')) return 'invalid';
  for (const [cls, list] of LISTS) if (list.check(address, family)) return cls;
  return 'public';
}

export interface AddressPolicyOptions {
  /** Development only: loopback destinations (and http to them) are allowed. */
  allowInsecureLoopback: boolean;
  /** CIDRs (`10.1.0.0/16`, `fd00::/8`, a bare address) the operator allows besides public addresses. */
  allowPrivateNetworks: readonly string[];
}

/** Parses `net/prefix` or a bare address; undefined when malformed (config validation reports it). */
export function parseCidr(cidr: string): { net: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [net = '', prefixText, extra] = cidr.trim().split('/');
  const family = familyOf(net);
  if (!family || extra !== undefined) return undefined;
  const max = family === 'ipv4' ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { net, prefix, family };
}

/** Decides, for one connection, whether its destination address may be used. */
export class AddressPolicy {
  readonly allowInsecureLoopback: boolean;
  private readonly allowed = new BlockList();

  constructor(options: AddressPolicyOptions) {
    this.allowInsecureLoopback = options.allowInsecureLoopback;
    for (const cidr of options.allowPrivateNetworks) {
      const parsed = parseCidr(cidr);
      if (!parsed) throw new Error(`outbound.allowPrivateNetworks: ${cidr} is not an address or CIDR`);
      this.allowed.addSubnet(parsed.net, parsed.prefix, parsed.family);
    }
  }

  /** Undefined when allowed, else the class that made it refused (for the log, never for the client). */
  refusal(address: string): AddressClass | undefined {
    const cls = classifyAddress(address);
    if (cls === 'public' || (cls === 'loopback' && this.allowInsecureLoopback)) return undefined;
    if (cls !== 'invalid' && this.allowed.check(address, familyOf(address)!)) return undefined;
    return cls;
  }
}
