// Scheduled (EventBridge Scheduler): queues every credential due for a re-check. Uses: table, due index, queue.
import { makeSweepHandler } from '../shared/app/handlers/sweep.ts';
import { lambdaObservability } from '../shared/app/observability.ts';
import { lambdaRevalidationQueue } from '../shared/app/queue.ts';
import { lambdaRepository } from '../shared/app/table.ts';
import { Sweep } from '../shared/service/sweep.ts';

const sweep = new Sweep({
  repository: lambdaRepository(),
  queue: lambdaRevalidationQueue(),
  clock: { now: () => new Date() },
});
export const handler = makeSweepHandler(sweep, lambdaObservability());
