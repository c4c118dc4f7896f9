import type { Logger } from '@aws-lambda-powertools/logger';
import type { RevalidationMessage } from '../domain/events.ts';
import type { ReconcileResult } from '../service/reconcile-secrets.ts';
import type { RevalidationWorker } from '../service/revalidation-worker.ts';
import type { Sweep } from '../service/sweep.ts';
import type { MemoryRevalidationQueue } from '../store/memory-queue.ts';

/** How many queued checks run together, like one SQS batch for the Lambda worker. */
const BATCH_SIZE = 10;

export interface LocalRevalidation {
  /** One sweep and a full drain of the queue; what the timer runs. */
  runOnce(): Promise<{ queued: number; processed: number; failed: number }>;
  stop(): Promise<void>;
}

/**
 * Local mode's stand-in for the schedule, SQS and the worker Lambda: every `intervalMs` the same sweep runs
 * and the in-process queue is drained by the same worker code, in batches processed in parallel; then the
 * same reconciliation as the scheduled function's. A message
 * whose check failed is put back for the next round, as SQS would deliver it again.
 */
export function startLocalRevalidation(options: {
  sweep: Sweep;
  worker: RevalidationWorker;
  /** Schedules the deletion of orphaned secrets; run after each sweep. */
  reconcile?: () => Promise<ReconcileResult>;
  queue: MemoryRevalidationQueue;
  intervalMs: number;
  logger: Logger;
}): LocalRevalidation {
  const { sweep: sweeper, worker, reconcile, queue, logger } = options;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;

  const runOnce = async () => {
    const sweep = await sweeper.sweep();
    let processed = 0;
    let failed = 0;
    const retry: RevalidationMessage[] = [];
    while (queue.size > 0) {
      const batch = queue.drain(BATCH_SIZE);
      const results = await Promise.allSettled(batch.map((message) => worker.work(message)));
      results.forEach((result, i) => {
        if (result.status === 'fulfilled') processed += 1;
        else {
          failed += 1;
          const message = batch[i];
          if (message) retry.push(message);
        }
      });
    }
    if (retry.length > 0) await queue.send(retry);
    const reconciled = await reconcile?.();
    if (reconciled && reconciled.orphans > 0) logger.warn('orphaned secrets found', { ...reconciled });
    if (sweep.queued > 0 || failed > 0) logger.info('local sweep', { ...sweep, processed, failed });
    return { queued: sweep.queued, processed, failed };
  };

  const tick = () => {
    if (stopped) return;
    running = runOnce()
      .catch((error) => logger.error('local sweep failed', { error: (error as Error).name }))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.intervalMs);
      });
  };
  let timer: NodeJS.Timeout | undefined = setTimeout(tick, Math.min(options.intervalMs, 1000));

  return {
    runOnce: () => {
      running = running.then(runOnce, runOnce);
      return running as Promise<{ queued: number; processed: number; failed: number }>;
    },
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      await running.catch(() => undefined);
    },
  };
}
