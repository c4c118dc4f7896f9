import type { CheckRecord, CheckTrigger, Credential } from '../domain/credential.ts';
import type { CredentialEvent } from '../domain/events.ts';
import type { CredentialRepository, EventPublisher } from '../store/ports.ts';

/**
 * The history entry of the check that produced a credential's last report. Keyed by the check id and the
 * report's time, so writing it again (a retry, a redelivered message) overwrites instead of duplicating.
 */
export function checkRecordOf(
  credential: Credential,
  checkId: string,
  trigger: CheckTrigger,
): CheckRecord | null {
  const report = credential.lastCheck;
  if (!report) return null;
  return {
    tenantId: credential.tenantId,
    credentialId: credential.id,
    checkId,
    checkedAt: report.checkedAt,
    trigger,
    statusBefore: credential.monitor.lastStatusBefore,
    statusAfter: credential.status,
    report,
  };
}

/** `CredentialChecked`, and `CredentialStatusChanged` when the check moved an existing credential's status. */
export function eventsOf(credential: Credential, checkId: string): CredentialEvent[] {
  const report = credential.lastCheck;
  if (!report) return [];
  const before = credential.monitor.lastStatusBefore;
  const common = {
    tenantId: credential.tenantId,
    credentialId: credential.id,
    connector: credential.connector,
  };
  const events: CredentialEvent[] = [
    {
      detailType: 'CredentialChecked',
      detail: {
        ...common,
        checkId,
        verdict: report.verdict,
        reason: report.reason,
        status: credential.status,
        checkedAt: report.checkedAt,
      },
    },
  ];
  if (before !== null && before !== credential.status) {
    events.push({
      detailType: 'CredentialStatusChanged',
      detail: {
        ...common,
        from: before,
        to: credential.status,
        reason: report.reason,
        checkedAt: report.checkedAt,
        checkId,
      },
    });
  }
  return events;
}

/** Writes the history entry and publishes the events of a finished check. Throws if either fails. */
export async function recordAndAnnounce(
  deps: {
    repository: CredentialRepository;
    events?: EventPublisher | undefined;
    historyTtlDays: number;
    now: Date;
  },
  credential: Credential,
  checkId: string,
  trigger: CheckTrigger,
): Promise<void> {
  const record = checkRecordOf(credential, checkId, trigger);
  if (!record) return;
  await deps.repository.putCheck(record, new Date(deps.now.getTime() + deps.historyTtlDays * 86_400_000));
  await deps.events?.publish(eventsOf(credential, checkId));
}
