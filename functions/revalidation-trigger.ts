// EventBridge: a changed credval secret or a RevalidationRequested event queues a re-check. Uses: queue.

import { makeTriggerHandler } from '../shared/app/handlers/revalidation-trigger.ts';
import { lambdaSettings } from '../shared/app/lambda-environment.ts';
import { lambdaObservability } from '../shared/app/observability.ts';
import { lambdaRevalidationQueue } from '../shared/app/queue.ts';
import { ServiceSettings } from '../shared/app/settings/service.ts';

export const handler = makeTriggerHandler(
  lambdaRevalidationQueue(),
  lambdaSettings(ServiceSettings).SECRET_PREFIX,
  lambdaObservability(),
);
