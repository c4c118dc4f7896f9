import { describe, expect, it } from 'vitest';
import { egressAllowFor, refusalAdvice } from '../../shared/connectors/egress-advice.ts';
import { networkFinding } from '../../shared/connectors/findings.ts';
import type { NetworkFailure } from '../../shared/net/types.ts';

const refused = (refusedAddress: string | undefined, failure: NetworkFailure = 'blocked_destination') => ({
  ok: false as const,
  failure,
  detail: 'Refused.',
  ms: 1,
  ...(refusedAddress ? { refusedAddress } : {}),
});

describe('the advice for a refused destination', () => {
  it('does not blame the URL of a private address, and names both forms of the fix with its CIDRs', () => {
    const advice = refusalAdvice(refused('192.168.1.20'), 'baseUrl', 'erp.lan:8080');
    expect(advice.field).toBeNull();
    expect(advice.message).toBe(
      'erp.lan:8080 resolves to 192.168.1.20, a private address, which credval calls only when its operator allows it: set EGRESS_ALLOW=192.168.1.20/32 (or 192.168.1.0/24 for its network) on the server, or pass --egress-allow 192.168.1.20/32 to the CLI.',
    );
  });

  it('says an IP literal once', () => {
    expect(refusalAdvice(refused('10.0.0.5'), 'baseUrl', '10.0.0.5').message).toMatch(
      /^10\.0\.0\.5 is a private address, which credval calls only when/,
    );
  });

  it.each([
    ['127.0.0.1', 'loopback', undefined, ['127.0.0.1/32']],
    ['10.20.30.40', 'private', undefined, ['10.20.30.40/32', '10.20.30.0/24']],
    ['100.101.102.103', 'shared', undefined, ['100.101.102.103/32', '100.101.102.0/24']],
    ['fd12:3456::1', 'unique_local', undefined, ['fd12:3456::1/128', 'fd12:3456::/64']],
    ['::1', 'loopback', undefined, ['::1/128']],
    ['::ffff:a00:1', 'private', '10.0.0.1', ['10.0.0.1/32', '10.0.0.0/24']],
  ] as const)('suggests %s as %j', (address, range, embedded, expected) => {
    expect(egressAllowFor(address, range, embedded)).toEqual(expected);
  });

  it('allows an IPv6 form of a private IPv4 address through its IPv4 form', () => {
    const advice = refusalAdvice(refused('::ffff:10.1.2.3'), 'serverUrl', '[::ffff:a01:203]');
    expect(advice).toMatchObject({
      field: null,
      message: expect.stringContaining('EGRESS_ALLOW=10.1.2.3/32'),
    });
  });

  it.each([
    ['169.254.169.254', /link-local address \(the range of cloud metadata services\)/],
    ['224.0.0.1', /multicast/],
    ['192.0.2.10', /documentation/],
  ])('blames the URL for %s, where no vendor lives, and suggests no allow-list entry', (address, words) => {
    const advice = refusalAdvice(refused(address), 'baseUrl', address);
    expect(advice.field).toBe('baseUrl');
    expect(advice.message).toMatch(words);
    expect(advice.message).not.toMatch(/EGRESS_ALLOW|--egress-allow/);
  });

  it('blames the URL of a public server reached over plain http', () => {
    expect(
      refusalAdvice(refused('93.184.215.14', 'insecure_destination'), 'baseUrl', 'erp.example.com'),
    ).toEqual({
      message: 'erp.example.com is a public server: use an https:// URL.',
      field: 'baseUrl',
    });
  });

  it('still names the fix when the client did not say which address it refused', () => {
    const advice = refusalAdvice(refused(undefined), 'baseUrl', 'erp.lan');
    expect(advice.field).toBeNull();
    expect(advice.message).toMatch(/EGRESS_ALLOW=<its CIDR>.*--egress-allow <its CIDR>/);
  });

  it('makes an inconclusive, not retryable finding out of it', () => {
    expect(networkFinding(refused('10.0.0.1'), 'baseUrl', '10.0.0.1')).toMatchObject({
      verdict: 'inconclusive',
      reason: 'blocked_destination',
      field: null,
      retryable: false,
      retryAfterSeconds: null,
    });
  });
});
