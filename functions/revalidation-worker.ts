// SQS: re-checks queued credentials, reporting partial batch failures.
import { lambdaRevalidation } from '../shared/app/lambda.ts';
import { makeWorkerHandler } from '../shared/app/revalidation-handlers.ts';

const { revalidation, logger, metrics } = lambdaRevalidation();
export const handler = makeWorkerHandler(revalidation, { logger, metrics });
