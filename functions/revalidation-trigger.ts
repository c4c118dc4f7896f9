// EventBridge: a changed credval secret or a RevalidationRequested event queues a re-check.
import { lambdaTrigger } from '../shared/app/lambda.ts';
import { makeTriggerHandler } from '../shared/app/revalidation-handlers.ts';

const { queue, secretPrefix, logger, metrics } = lambdaTrigger();
export const handler = makeTriggerHandler(queue, secretPrefix, { logger, metrics });
