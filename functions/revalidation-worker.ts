// SQS: re-checks queued credentials, reporting partial batch failures. Uses: vendors, table, secrets.
import { lambdaChecker } from '../shared/app/checker.ts';
import { makeWorkerHandler } from '../shared/app/handlers/revalidation-worker.ts';
import { handledErrorLogger, lambdaObservability } from '../shared/app/observability.ts';
import { lambdaSecretStore } from '../shared/app/secrets.ts';
import { lambdaServiceConfig } from '../shared/app/service-config.ts';
import { lambdaRepository } from '../shared/app/table.ts';
import { RevalidationWorker } from '../shared/service/revalidation-worker.ts';

const worker = new RevalidationWorker({
  repository: lambdaRepository(),
  secrets: lambdaSecretStore(),
  check: lambdaChecker(),
  clock: { now: () => new Date() },
  config: lambdaServiceConfig(),
  onHandledError: handledErrorLogger(lambdaObservability().logger),
});
export const handler = makeWorkerHandler(worker, lambdaObservability());
