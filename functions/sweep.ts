// Scheduled (EventBridge Scheduler): queues every credential due for a re-check. Uses: table, due index, queue,
// CHECK_INTERVAL (a lease lasts until the next regular check).
import { makeSweepHandler } from '../shared/app/handlers/sweep.ts';
import { lambdaObservability } from '../shared/app/observability.ts';
import { lambdaRevalidationQueue } from '../shared/app/queue.ts';
import { lambdaServiceConfig } from '../shared/app/service-config.ts';
import { lambdaRepository } from '../shared/app/table.ts';
import { Sweep } from '../shared/service/sweep.ts';

const sweep = new Sweep({
  repository: lambdaRepository(),
  queue: lambdaRevalidationQueue(),
  clock: { now: () => new Date() },
  schedule: { intervalMs: lambdaServiceConfig().checkIntervalMs, jitter: lambdaServiceConfig().jitter },
});
export const handler = makeSweepHandler(sweep, lambdaObservability());
