// Scheduled (EventBridge Scheduler): queues every credential due for a re-check.
import { lambdaRevalidation } from '../shared/app/lambda.ts';
import { makeSweepHandler } from '../shared/app/revalidation-handlers.ts';

const { revalidation, logger, metrics } = lambdaRevalidation();
export const handler = makeSweepHandler(revalidation, { logger, metrics });
