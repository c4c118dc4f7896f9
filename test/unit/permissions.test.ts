import { describe, expect, it } from 'vitest';
import { failed, passed } from '../../shared/connectors/findings.ts';
import { readAccessWarnings } from '../../shared/connectors/permissions.ts';
import type { Permission } from '../../shared/domain/report.ts';

const row = (resource: string, read: boolean | null): Permission => ({ resource, read, write: null });
const valid = (...permissions: Permission[]) => passed('works', { permissions });

describe('the warning for a credential that may read nothing', () => {
  it('warns when every resource checked is known to be unreadable', () => {
    expect(readAccessWarnings(valid(row('res.partner', false), row('purchase.order', false)))).toEqual([
      {
        code: 'no_read_access',
        message: expect.stringContaining(
          'may read none of the resources checked (res.partner, purchase.order)',
        ),
      },
    ]);
  });

  it('warns when the unknown rows are the only ones not refused', () => {
    expect(readAccessWarnings(valid(row('thirdparties', false), row('products', null)))).toHaveLength(1);
  });

  it.each([
    ['one resource is readable', valid(row('a', false), row('b', true))],
    ['nothing could be determined', valid(row('a', null))],
    ['nothing was checked', valid()],
    ['the check is not valid', failed('invalid_credentials', 'no', { permissions: [row('a', false)] })],
  ])('stays quiet when %s', (_case, finding) => {
    expect(readAccessWarnings(finding)).toEqual([]);
  });
});
