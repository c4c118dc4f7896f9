import { describe, expect, it } from 'vitest';
import { scrubReport, secretForms, secretScrubber } from '../../shared/connectors/scrub.ts';
import { Report } from '../../shared/domain/report.ts';

const KEY = 'Key/With+Odd=Chars 0123456789';
const b64 = (text: string) => Buffer.from(text).toString('base64');
const b64url = (text: string) => Buffer.from(text).toString('base64url');

/** Every way the issue saw a vendor echo a key, inside ordinary text. */
const ECHOES: Array<[string, string]> = [
  ['as given', `key ${KEY} refused`],
  ['upper-cased', `KEY ${KEY.toUpperCase()} REFUSED`],
  ['lower-cased', `key ${KEY.toLowerCase()}`],
  ['URL-encoded', `?api_key=${encodeURIComponent(KEY)}&x=1`],
  [
    'URL-encoded, lower-case hex',
    `?k=${encodeURIComponent(KEY).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())}`,
  ],
  ['form-encoded', `k=${encodeURIComponent(KEY).replaceAll('%20', '+')}`],
  ['base64', `token ${b64(KEY)}`],
  ['base64url', `token ${b64url(KEY)}`],
  ['base64 of "user:key" (HTTP Basic)', `Basic ${b64(`admin:${KEY}`)}`],
  ['base64 of "ab:key" (another alignment)', `Basic ${b64(`ab:${KEY}`)}`],
  ['base64 of "abc:key" (the third alignment)', `Basic ${b64(`abc:${KEY}:tail`)}`],
];

describe('secret scrubbing', () => {
  it.each(ECHOES)('removes a key echoed %s', (_how, text) => {
    const scrubbed = secretScrubber([KEY])(text);
    expect(scrubbed).toContain('[redacted]');
    for (const form of secretForms(KEY)) expect(scrubbed).not.toContain(form);
    expect(scrubbed).not.toContain(KEY.slice(0, 12));
  });

  it('leaves text without the key alone, and ignores secrets too short to mean anything', () => {
    expect(secretScrubber([KEY])('The API key works on Dolibarr 20.0.2.')).toBe(
      'The API key works on Dolibarr 20.0.2.',
    );
    expect(secretForms('abc')).toEqual([]);
    expect(secretScrubber(['abc'])('abc')).toBe('abc');
  });

  const report = (overrides: Partial<Report> = {}): Report => ({
    verdict: 'valid',
    reason: null,
    message: 'The API key works on Dolibarr 20.0.2 as admin over http.',
    field: null,
    retryable: false,
    retryAfterSeconds: null,
    identity: { userId: '1', login: 'admin', name: 'Ad Min', email: null, admin: true, company: null },
    vendor: { product: 'dolibarr', version: '20.0.2', accessLocked: false },
    permissions: [{ resource: 'thirdparties', read: true, write: true }],
    warnings: [{ code: 'admin_credential', message: 'This key belongs to a Dolibarr administrator.' }],
    probes: [
      {
        name: 'status',
        method: 'GET',
        url: 'http://erp.example.com/api/index.php/status',
        status: 200,
        ms: 3,
        outcome: 'ok',
      },
    ],
    checkedAt: '2026-11-23T10:00:00.000Z',
    durationMs: 5,
    ...overrides,
  });

  it.each(['valid', 'http', 'admin', 'invalid', 'GET', '2026'])(
    'keeps a report whole when the secret spells part of a code (%s)',
    (secret) => {
      const scrubbed = scrubReport(report(), [secret]);
      expect(() => Report.parse(scrubbed)).not.toThrow();
      expect(scrubbed).toMatchObject({
        verdict: 'valid',
        reason: null,
        warnings: [{ code: 'admin_credential' }],
        probes: [{ method: 'GET', outcome: 'ok', status: 200 }],
        checkedAt: '2026-11-23T10:00:00.000Z',
      });
      const freeText = [
        scrubbed.message,
        ...Object.values(scrubbed.identity ?? {}),
        ...Object.values(scrubbed.vendor),
        ...scrubbed.permissions.map((p) => p.resource),
        ...scrubbed.warnings.map((w) => w.message),
        ...scrubbed.probes.flatMap((p) => [p.name, p.url]),
      ].filter((v): v is string => typeof v === 'string');
      for (const text of freeText) expect(text).not.toContain(secret);
    },
  );

  it('scrubs every free-text part of a report a vendor could have filled', () => {
    const echoed = (i: number) => ECHOES[i % ECHOES.length]?.[1] ?? '';
    const scrubbed = scrubReport(
      report({
        message: echoed(0),
        identity: {
          userId: echoed(1),
          login: echoed(2),
          name: echoed(3),
          email: echoed(4),
          admin: null,
          company: echoed(5),
        },
        vendor: { version: echoed(6), note: echoed(7), count: 3 },
        permissions: [{ resource: echoed(8), read: null, write: null }],
        warnings: [{ code: 'url_normalized', message: echoed(9) }],
        probes: [
          {
            name: echoed(10),
            method: 'GET',
            url: `https://x.example/${echoed(3)}`,
            status: 200,
            ms: 1,
            outcome: 'ok',
          },
        ],
      }),
      [KEY],
    );
    const text = JSON.stringify(scrubbed);
    for (const form of secretForms(KEY)) expect(text).not.toContain(form);
    expect(scrubbed.vendor.count).toBe(3);
    expect(scrubbed.warnings[0]?.code).toBe('url_normalized');
  });
});
