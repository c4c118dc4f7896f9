import { describe, expect, it } from 'vitest';
import { serviceConfigOf } from '../../shared/app/service-config.ts';
import { parseSettings } from '../../shared/app/settings/parse.ts';
import { ServiceSettings } from '../../shared/app/settings/service.ts';
import { type Credential, FRESH_MONITOR } from '../../shared/domain/credential.ts';
import type { Report } from '../../shared/domain/report.ts';
import { outcomeOf } from '../../shared/service/change-feed.ts';
import { baseReport } from '../store/credential-repository.contract.ts';

const report = (verdict: Report['verdict'], reason: Report['reason'] = null): Report => ({
  ...baseReport,
  verdict,
  reason,
});

const stored = (
  checkId: string,
  trigger: Credential['monitor']['lastTrigger'],
  lastCheck: Report | null,
  status: Credential['status'] = 'valid',
): Credential => ({
  tenantId: 't',
  id: 'c',
  connector: 'dolibarr',
  name: 'c',
  description: '',
  fields: {},
  requirements: [],
  status,
  lastCheck,
  version: 1,
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
  nextCheckAt: null,
  secretName: 'credval/t/c',
  monitor: { ...FRESH_MONITOR, lastCheckId: checkId, lastTrigger: trigger },
});

const kinds = (before: Credential | null, after: Credential, checkedEvents: 'all' | 'changes') =>
  outcomeOf({ before, after }, checkedEvents).events.map((e) => e.detailType);

describe('CHECKED_EVENTS', () => {
  const valid = stored('sched:c:1', 'schedule', report('valid'));

  it('all (the default): every stored check publishes CredentialChecked', () => {
    const again = stored('sched:c:2', 'schedule', report('valid'));
    expect(outcomeOf({ before: valid, after: again }).events.map((e) => e.detailType)).toEqual([
      'CredentialChecked',
    ]);
    expect(kinds(valid, again, 'all')).toEqual(['CredentialChecked']);
  });

  it('changes: a scheduled check that found what the one before found publishes nothing, but keeps its history entry', () => {
    const again = stored('sched:c:2', 'schedule', report('valid'));
    expect(kinds(valid, again, 'changes')).toEqual([]);
    expect(outcomeOf({ before: valid, after: again }, 'changes').history).toMatchObject({
      checkId: 'sched:c:2',
    });
  });

  it('changes: a scheduled check with another verdict or reason still publishes, and a status change always does', () => {
    const rejected = stored('sched:c:2', 'schedule', report('invalid', 'invalid_credentials'));
    expect(kinds(valid, rejected, 'changes')).toEqual(['CredentialChecked']);
    const timeout = stored('sched:c:3', 'schedule', report('inconclusive', 'timeout'));
    const rateLimited = stored('sched:c:4', 'schedule', report('inconclusive', 'rate_limited'));
    expect(kinds(timeout, rateLimited, 'changes')).toEqual(['CredentialChecked']);
    const flipped = stored('sched:c:5', 'schedule', report('invalid', 'invalid_credentials'), 'invalid');
    expect(kinds(rejected, flipped, 'changes')).toEqual(['CredentialStatusChanged']);
  });

  it('changes: checks someone asked for (create, re-check, rotation, an event) always publish', () => {
    for (const trigger of ['create', 'manual', 'rotate', 'update', 'event'] as const) {
      expect(kinds(valid, stored(`${trigger}-2`, trigger, report('valid')), 'changes'), trigger).toEqual([
        'CredentialChecked',
      ]);
    }
    expect(kinds(null, stored('v1', 'create', report('valid')), 'changes')).toEqual(['CredentialChecked']);
  });

  it('is read from CHECKED_EVENTS: all by default, changes, or a clear error', () => {
    expect(serviceConfigOf(parseSettings(ServiceSettings, {})).checkedEvents).toBe('all');
    expect(serviceConfigOf(parseSettings(ServiceSettings, { CHECKED_EVENTS: 'changes' })).checkedEvents).toBe(
      'changes',
    );
    expect(() => parseSettings(ServiceSettings, { CHECKED_EVENTS: 'some' })).toThrow(
      'Invalid configuration: CHECKED_EVENTS: all or changes',
    );
  });
});
