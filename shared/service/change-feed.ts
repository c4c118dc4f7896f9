import type { CheckRecord } from '../domain/credential.ts';
import type { CredentialEvent } from '../domain/events.ts';
import type { Clock, CredentialChange, CredentialRepository, EventPublisher } from '../store/ports.ts';

/** What a change means for the outside world: the history entry and the events of a check it stored. */
export interface ChangeOutcome {
  history: CheckRecord | null;
  events: CredentialEvent[];
}

/** Which checks publish `CredentialChecked` (CHECKED_EVENTS): all, or those that say something new. */
export type CheckedEvents = 'all' | 'changes';

/**
 * The history entry and events of a change, derived from the two images alone (docs/architecture.md "Write
 * path"): a check was stored when the item carries a check id it did not carry before; its status changed when
 * the two images' statuses differ. Leases, renames and deletes store no check and announce nothing. The same
 * change always gives the same outcome, so a redelivered change rewrites the same history entry (its key is the
 * check id) and republishes events with the same `checkId`, which consumers use to deduplicate. With
 * `checkedEvents: 'changes'` a scheduled check that found what the check before it found (same verdict and
 * reason) publishes no `CredentialChecked`: at a million credentials that is most of 4 million events a day.
 */
export function outcomeOf(
  { before, after }: CredentialChange,
  checkedEvents: CheckedEvents = 'all',
): ChangeOutcome {
  const checkId = after?.monitor.lastCheckId;
  const report = after?.lastCheck;
  if (!after || !checkId || !report || before?.monitor.lastCheckId === checkId) {
    return { history: null, events: [] };
  }
  const common = { tenantId: after.tenantId, credentialId: after.id, connector: after.connector };
  const trigger = after.monitor.lastTrigger ?? (checkId.startsWith('sched:') ? 'schedule' : 'manual');
  const previous = before?.lastCheck;
  const routine =
    trigger === 'schedule' && previous?.verdict === report.verdict && previous.reason === report.reason;
  const events: CredentialEvent[] =
    checkedEvents === 'changes' && routine
      ? []
      : [
          {
            detailType: 'CredentialChecked',
            detail: {
              ...common,
              checkId,
              verdict: report.verdict,
              reason: report.reason,
              status: after.status,
              checkedAt: report.checkedAt,
            },
          },
        ];
  if (before && before.status !== after.status) {
    events.push({
      detailType: 'CredentialStatusChanged',
      detail: {
        ...common,
        from: before.status,
        to: after.status,
        reason: report.reason,
        checkedAt: report.checkedAt,
        checkId,
      },
    });
  }
  return {
    history: {
      tenantId: after.tenantId,
      credentialId: after.id,
      checkId,
      checkedAt: report.checkedAt,
      trigger,
      statusBefore: after.monitor.lastStatusBefore,
      statusAfter: after.status,
      report,
    },
    events,
  };
}

export interface ChangeFeedDeps {
  repository: Pick<CredentialRepository, 'putCheck'>;
  events: EventPublisher;
  historyTtlDays: number;
  clock: Clock;
  /** CHECKED_EVENTS; `all` by default. */
  checkedEvents?: CheckedEvents;
}

/**
 * The consumer of the credential items' change feed: the table's DynamoDB stream on AWS
 * (functions/change-feed.ts), the local repository in process (shared/app/local-change-feed.ts). It writes the
 * history entry, then publishes the events; both are idempotent, so a change that fails here is simply handled
 * again. Throws when either failed.
 */
export class ChangeFeedConsumer {
  constructor(private readonly deps: ChangeFeedDeps) {}

  async handle(change: CredentialChange): Promise<ChangeOutcome> {
    const outcome = outcomeOf(change, this.deps.checkedEvents);
    if (outcome.history) {
      const ttlMs = this.deps.historyTtlDays * 86_400_000;
      await this.deps.repository.putCheck(outcome.history, new Date(this.deps.clock.now().getTime() + ttlMs));
    }
    if (outcome.events.length > 0) await this.deps.events.publish(outcome.events);
    return outcome;
  }
}
