import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { revalidationFromEvent } from '../../service/triggers.ts';
import type { RevalidationQueue } from '../../store/ports.ts';

/** EventBridge target: secret changes and RevalidationRequested become queued re-checks. */
export function makeTriggerHandler(
  queue: RevalidationQueue,
  secretPrefix: string,
  o: { logger: Logger; metrics: Metrics },
) {
  return middy<unknown, { queued: number }>()
    .use(injectLambdaContext(o.logger, { resetKeys: true }))
    .use(logMetrics(o.metrics))
    .handler(async (event: unknown) => {
      const message = revalidationFromEvent(event, { secretPrefix });
      o.metrics.addMetric('RevalidationTriggers', MetricUnit.Count, message ? 1 : 0);
      if (!message) {
        o.logger.info('event ignored');
        return { queued: 0 };
      }
      await queue.send([message]);
      o.logger.info('revalidation queued', {
        tenant_id: message.tenantId,
        credential_id: message.credentialId,
        cause: message.cause,
      });
      return { queued: 1 };
    });
}
