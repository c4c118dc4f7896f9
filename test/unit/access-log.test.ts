import { describe, expect, it } from 'vitest';
import { formatAccessLine } from '../../bin/local-logging.ts';

const base = {
  at: new Date('2026-11-23T10:00:00.000Z'),
  method: 'POST',
  path: '/credentials',
  status: 201,
  ms: 41.26,
  correlationId: '5b1e0c9a-1111-2222-3333-444455556666',
  aborted: false,
};

describe('formatAccessLine', () => {
  it('says when, method, path, status, time and correlation id on one line', () => {
    expect(formatAccessLine(base)).toBe(
      '2026-11-23T10:00:00.000Z POST /credentials 201 41 ms correlation-id=5b1e0c9a-1111-2222-3333-444455556666',
    );
  });

  it('keeps a tenth of a millisecond below 10 ms, and marks a missing id and a client that left', () => {
    expect(formatAccessLine({ ...base, ms: 0.54, correlationId: null, aborted: true })).toBe(
      '2026-11-23T10:00:00.000Z POST /credentials 201 0.5 ms correlation-id=- (client went away)',
    );
  });

  it('caps a long path', () => {
    const line = formatAccessLine({ ...base, path: `/${'a'.repeat(500)}` });
    expect(line).toContain(` /${'a'.repeat(199)}... 201 `);
  });
});
