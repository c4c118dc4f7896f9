// SQS: re-checks queued credentials, reporting partial batch failures. Uses: vendors, table, secrets, and the
// secrets their owners keep (registered credentials, read by ARN).
import { lambdaCheckParts } from '../shared/app/check-parts.ts';
import { lambdaExternalSecrets } from '../shared/app/external-secrets.ts';
import { makeWorkerHandler } from '../shared/app/handlers/revalidation-worker.ts';
import { lambdaObservability } from '../shared/app/observability.ts';
import { RevalidationWorker } from '../shared/service/revalidation-worker.ts';

export const handler = makeWorkerHandler(
  new RevalidationWorker({ ...lambdaCheckParts(), externalSecrets: lambdaExternalSecrets() }),
  lambdaObservability(),
);
