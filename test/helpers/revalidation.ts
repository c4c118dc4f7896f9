import { Sweep, type SweepDeps } from '../../shared/service/revalidation.ts';
import { RevalidationWorker, type RevalidationWorkerDeps } from '../../shared/service/revalidation-worker.ts';

/** The sweep and the worker over the same ports, as the local server runs them in one process. */
export function revalidationOf(deps: SweepDeps & RevalidationWorkerDeps) {
  const sweep = new Sweep(deps);
  const worker = new RevalidationWorker(deps);
  return {
    sweep: (...args: Parameters<Sweep['sweep']>) => sweep.sweep(...args),
    work: (...args: Parameters<RevalidationWorker['work']>) => worker.work(...args),
  };
}
