import { withLocalChangeFeed } from '../../shared/app/local-change-feed.ts';
import { ChangeFeedConsumer } from '../../shared/service/change-feed.ts';
import { RevalidationWorker, type RevalidationWorkerDeps } from '../../shared/service/revalidation-worker.ts';
import { Sweep, type SweepDeps } from '../../shared/service/sweep.ts';
import type { EventPublisher } from '../../shared/store/ports.ts';

/**
 * The sweep and the worker over the same ports, as the local server runs them in one process; with `events`,
 * the repository feeds the change-feed consumer in process too (history entries and events of stored checks).
 */
export function revalidationOf(
  deps: Omit<SweepDeps, 'queue'> &
    Partial<Pick<SweepDeps, 'queue'>> &
    RevalidationWorkerDeps & {
      events?: EventPublisher;
      /** Told when the change feed failed (the write itself succeeded); by default the failure is thrown. */
      onFeedError?: (error: unknown) => void;
    },
) {
  const repository = deps.events
    ? withLocalChangeFeed(
        deps.repository,
        new ChangeFeedConsumer({
          repository: deps.repository,
          events: deps.events,
          historyTtlDays: deps.config.historyTtlDays,
          clock: deps.clock,
        }),
        (_what, error) => {
          if (deps.onFeedError) deps.onFeedError(error);
          else throw error;
        },
      )
    : deps.repository;
  const schedule = { intervalMs: deps.config.checkIntervalMs, jitter: deps.config.jitter };
  const sweep = deps.queue ? new Sweep({ ...deps, queue: deps.queue, repository, schedule }) : null;
  const worker = new RevalidationWorker({ ...deps, repository });
  return {
    sweep: (...args: Parameters<Sweep['sweep']>) => {
      if (!sweep) throw new Error('revalidationOf: the sweep needs a queue');
      return sweep.sweep(...args);
    },
    work: (...args: Parameters<RevalidationWorker['work']>) => worker.work(...args),
  };
}
