import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../shared/domain/report.ts';
import {
  packedReportDictionaryForTests,
  packReport,
  unpackReport,
} from '../../shared/store/packed-report.ts';

const report: Report = {
  verdict: 'valid',
  reason: null,
  message: 'The credential works on Odoo 19.0 (database acme) as bot@example.com.',
  field: null,
  retryable: false,
  retryAfterSeconds: null,
  identity: { userId: 10, login: 'bot@example.com', name: 'Bot', email: null, admin: false, company: 'Acme' },
  vendor: { product: 'odoo', version: '19.0', major: 19, portalUser: false },
  permissions: [{ resource: 'res.partner', read: true, write: false }],
  warnings: [],
  probes: ['version_info', 'json2 context_get', 'json2 read own user', 'json2 res.partner read'].map(
    (name) => ({
      name,
      method: 'POST',
      url: `https://erp.acme.example/${name.replaceAll(' ', '/')}`,
      status: 200,
      ms: 4,
      outcome: 'ok' as const,
    }),
  ),
  checkedAt: '2026-12-07T10:00:00.000Z',
  durationMs: 17,
};

describe('packed reports', () => {
  it('read back equal to what was packed, in a fraction of the JSON', () => {
    const packed = packReport(report);
    expect(unpackReport(packed)).toEqual(report);
    expect(packed.length).toBeLessThan(JSON.stringify(report).length / 3);
  });

  it('read back from base64, as a Lambda stream event carries binary attributes', () => {
    expect(unpackReport(Buffer.from(packReport(report)).toString('base64'))).toEqual(report);
  });

  it('leave a report stored before packing (a map) as it is', () => {
    expect(unpackReport(report)).toBe(report);
    expect(unpackReport(null)).toBeNull();
  });

  it('refuse an unknown format and damaged bytes', () => {
    const packed = packReport(report);
    expect(() => unpackReport(Uint8Array.of(9, ...packed.subarray(1)))).toThrow(/format 9/);
    expect(() => unpackReport(packed.subarray(0, packed.length - 5))).toThrow();
  });

  it('read back any report whole, whatever its texts and probes (property)', () => {
    const text = fc.string({ unit: 'binary', maxLength: 200 });
    fc.assert(
      fc.property(
        text,
        fc.array(fc.record({ name: text, url: text, status: fc.integer() }), { maxLength: 20 }),
        (message, probes) => {
          const odd: Report = {
            ...report,
            message,
            probes: probes.map((p) => ({ ...p, method: 'GET', ms: 1, outcome: 'ok' as const })),
          };
          expect(unpackReport(packReport(odd))).toEqual(odd);
        },
      ),
    );
  });

  it('turn random bytes into an Error, never a value or a hang (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const stored = Uint8Array.of(1, ...bytes);
        let out: unknown;
        try {
          out = unpackReport(stored);
        } catch (error) {
          expect(error).toBeInstanceOf(Error);
          return;
        }
        // Random bytes that happen to inflate to JSON are possible in principle; anything else is a bug.
        expect(out).toBeDefined();
      }),
    );
  });

  it("keep format 1's dictionary byte for byte: items written with it must stay readable", () => {
    // A failure here means the dictionary was edited: restore it, and add a new format for a new dictionary.
    expect(createHash('sha256').update(packedReportDictionaryForTests).digest('hex')).toBe(
      '6681c326edd9184be4806ac8b554c5c6fc01f5444ef8b59aff028171d3944545',
    );
  });
});
