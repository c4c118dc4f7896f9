// SQS: re-checks queued credentials, reporting partial batch failures. Uses: vendors, table, secrets.
import { lambdaCheckParts } from '../shared/app/check-parts.ts';
import { makeWorkerHandler } from '../shared/app/handlers/revalidation-worker.ts';
import { lambdaObservability } from '../shared/app/observability.ts';
import { RevalidationWorker } from '../shared/service/revalidation-worker.ts';

export const handler = makeWorkerHandler(new RevalidationWorker(lambdaCheckParts()), lambdaObservability());
