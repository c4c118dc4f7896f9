import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyAddress,
  compileAllowList,
  decideDestination,
  parseEgressAllow,
  unwrapEmbeddedIPv4,
} from '../../shared/net/address-policy.ts';

const LOOPBACK_ALLOWED = ['127.0.0.0/8', '::1/128'];

describe('classifyAddress', () => {
  it.each([
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.5', 'private'],
    ['10.255.255.255', 'private'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.254', 'shared'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['169.254.169.254', 'link_local'],
    ['169.254.0.1', 'link_local'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['192.0.0.170', 'reserved'],
    ['192.0.2.10', 'documentation'],
    ['198.18.0.1', 'reserved'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['fe80::1', 'link_local'],
    ['fe80::1%eth0', 'link_local'],
    ['febf::1', 'link_local'],
    ['fc00::1', 'unique_local'],
    ['fd00:ec2::254', 'unique_local'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'reserved'],
    ['2001:db8::1', 'documentation'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'],
    ['100::1', 'reserved'],
    ['4000::1', 'reserved'],
    ['64:ff9b:1::a00:1', 'reserved'],
  ])('%s is forbidden as %s', (ip, range) => {
    expect(classifyAddress(ip)).toMatchObject({ kind: 'forbidden', range });
  });

  it.each([
    ['::ffff:127.0.0.1', 'loopback', '127.0.0.1'],
    ['::ffff:7f00:1', 'loopback', '127.0.0.1'],
    ['0:0:0:0:0:ffff:7f00:1', 'loopback', '127.0.0.1'],
    ['::FFFF:A9FE:A9FE', 'link_local', '169.254.169.254'],
    ['::ffff:10.1.2.3', 'private', '10.1.2.3'],
    ['::ffff:0.0.0.0', 'unspecified', '0.0.0.0'],
    ['::ffff:0:127.0.0.1', 'loopback', '127.0.0.1'],
    ['::127.0.0.1', 'loopback', '127.0.0.1'],
    ['::7f00:1', 'loopback', '127.0.0.1'],
    ['::8.8.8.8', 'reserved', '8.8.8.8'],
    ['::ffff:0:8.8.8.8', 'reserved', '8.8.8.8'],
    ['64:ff9b::127.0.0.1', 'loopback', '127.0.0.1'],
    ['64:ff9b::a9fe:a9fe', 'link_local', '169.254.169.254'],
    ['2002:7f00:1::', 'loopback', '127.0.0.1'],
    ['2002:c0a8:101::1', 'private', '192.168.1.1'],
  ])('%s embeds a forbidden IPv4 (%s, %s)', (ip, range, embeddedIPv4) => {
    expect(classifyAddress(ip)).toEqual({ kind: 'forbidden', range, embeddedIPv4 });
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '192.169.0.1',
    '2606:4700::1111',
    '2a00:1450:4001:80b::200e',
    '::ffff:93.184.215.14',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('%s is public', (ip) => {
    expect(classifyAddress(ip)).toEqual({ kind: 'public' });
  });

  it.each(['', 'localhost', '127.1', '0x7f000001', '2130706433', '1.2.3.4.5', '::g', '999.0.0.1'])(
    'fails closed on %j, which is not a canonical IP address',
    (text) => {
      expect(classifyAddress(text)).toEqual({ kind: 'forbidden', range: 'not_an_ip' });
    },
  );

  it('classifies every address of the private IPv4 ranges as forbidden', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(
        fc.constantFrom('10', '127', '192.168', '169.254', '172.16', '172.31'),
        octet,
        octet,
        octet,
        (prefix, a, b, c) => {
          const ip = `${prefix}.${[a, b, c].slice(0, 4 - prefix.split('.').length).join('.')}`;
          expect(classifyAddress(ip).kind).toBe('forbidden');
          expect(classifyAddress(`::ffff:${ip}`).kind).toBe('forbidden');
        },
      ),
    );
  });
});

describe('unwrapEmbeddedIPv4', () => {
  it('returns the IPv4 address inside mapped, NAT64 and 6to4 forms', () => {
    expect(unwrapEmbeddedIPv4('::ffff:7f00:1')).toBe('127.0.0.1');
    expect(unwrapEmbeddedIPv4('[::ffff:10.0.0.1]')).toBe('10.0.0.1');
    expect(unwrapEmbeddedIPv4('64:ff9b::a00:1')).toBe('10.0.0.1');
    expect(unwrapEmbeddedIPv4('2002:a00:1::5')).toBe('10.0.0.1');
  });

  it('returns null for addresses that carry no IPv4 address', () => {
    expect(unwrapEmbeddedIPv4('::1')).toBeNull();
    expect(unwrapEmbeddedIPv4('::')).toBeNull();
    expect(unwrapEmbeddedIPv4('2606:4700::1111')).toBeNull();
    expect(unwrapEmbeddedIPv4('127.0.0.1')).toBeNull();
  });
});

describe('parseEgressAllow', () => {
  it('returns an empty list when the variable is unset or empty', () => {
    expect(parseEgressAllow(undefined)).toEqual([]);
    expect(parseEgressAllow('')).toEqual([]);
    expect(parseEgressAllow(' , ')).toEqual([]);
  });

  it('parses and normalises IPv4 and IPv6 CIDRs', () => {
    expect(parseEgressAllow(' 127.0.0.0/8, 10.1.2.3/16 ,::1/128,FD00:0:0::/8,192.168.1.7')).toEqual([
      '127.0.0.0/8',
      '10.1.0.0/16',
      '::1/128',
      'fd00::/8',
      '192.168.1.7/32',
    ]);
    expect(parseEgressAllow('2001:db8:0:0:1:0:0:1/128,0.0.0.0/0,::/0')).toEqual([
      '2001:db8::1:0:0:1/128',
      '0.0.0.0/0',
      '::/0',
    ]);
  });

  it.each([
    '10.0.0.0/33',
    '10.0.0/8',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '10.0.0.0/ 8',
    'localhost',
    '::1/129',
    'fe80::1%eth0/64',
    '[::1]/128',
    '0x7f000001/32',
    '10.0.0.0/8/8',
  ])('throws an error naming the bad entry %j', (bad) => {
    expect(() => parseEgressAllow(`127.0.0.0/8,${bad}`)).toThrow(
      `Invalid egress allow-list entry "${bad.trim()}"`,
    );
  });
});

describe('decideDestination', () => {
  it('refuses a forbidden address that is not allowed, whatever the scheme', () => {
    for (const scheme of ['http', 'https'] as const) {
      expect(decideDestination('127.0.0.1', scheme, [])).toMatchObject({
        allowed: false,
        refused: 'blocked_destination',
      });
      expect(decideDestination('169.254.169.254', scheme, ['10.0.0.0/8'])).toMatchObject({
        allowed: false,
        refused: 'blocked_destination',
      });
    }
  });

  it('names the address and its range in the reason', () => {
    const decision = decideDestination('::ffff:a9fe:a9fe', 'https', []);
    expect(decision).toMatchObject({ allowed: false });
    if (decision.allowed) return;
    expect(decision.reason).toContain('::ffff:a9fe:a9fe');
    expect(decision.reason).toContain('169.254.169.254');
    expect(decision.reason).toContain('link-local');
  });

  it('allows a public address over https only', () => {
    expect(decideDestination('93.184.215.14', 'https', [])).toEqual({ allowed: true });
    expect(decideDestination('2606:4700::1111', 'https', [])).toEqual({ allowed: true });
    expect(decideDestination('93.184.215.14', 'http', [])).toMatchObject({
      allowed: false,
      refused: 'insecure_destination',
    });
  });

  it('allows an address inside an allowed CIDR over http and https', () => {
    const allow = compileAllowList(LOOPBACK_ALLOWED);
    for (const scheme of ['http', 'https'] as const) {
      expect(decideDestination('127.0.0.1', scheme, allow)).toEqual({ allowed: true });
      expect(decideDestination('127.8.9.10', scheme, allow)).toEqual({ allowed: true });
      expect(decideDestination('::1', scheme, allow)).toEqual({ allowed: true });
    }
    expect(decideDestination('93.184.215.14', 'http', ['93.184.215.0/24'])).toEqual({ allowed: true });
  });

  it('checks the allow-list against the IPv4 address inside IPv6 forms', () => {
    const allow = compileAllowList(['127.0.0.0/8']);
    expect(decideDestination('::ffff:127.0.0.1', 'http', allow)).toEqual({ allowed: true });
    expect(decideDestination('::ffff:7f00:1', 'http', allow)).toEqual({ allowed: true });
    expect(decideDestination('64:ff9b::7f00:1', 'http', allow)).toEqual({ allowed: true });
    expect(decideDestination('::ffff:10.0.0.1', 'http', allow)).toMatchObject({
      refused: 'blocked_destination',
    });
  });

  it('keeps refusing what the allow-list does not cover', () => {
    const allow = compileAllowList(['10.1.0.0/16']);
    expect(decideDestination('10.1.200.3', 'http', allow)).toEqual({ allowed: true });
    expect(decideDestination('10.2.0.1', 'http', allow)).toMatchObject({ refused: 'blocked_destination' });
    expect(decideDestination('127.0.0.1', 'https', allow)).toMatchObject({ refused: 'blocked_destination' });
    expect(decideDestination('::1', 'https', ['127.0.0.0/8'])).toMatchObject({
      refused: 'blocked_destination',
    });
  });

  it('refuses text that is not an IP address', () => {
    expect(decideDestination('localhost', 'https', [])).toMatchObject({ refused: 'blocked_destination' });
  });

  it('compileAllowList rejects malformed entries', () => {
    expect(() => compileAllowList(['10.0.0.0/8', 'ten'])).toThrow('Invalid egress allow-list entry "ten"');
  });
});
