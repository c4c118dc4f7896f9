import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { ReconcileResult } from '../../service/reconcile-secrets.ts';

/** The scheduled reconciliation: schedules the deletion of secrets no credential item describes, and says so. */
export function makeReconcileHandler(
  reconcile: () => Promise<ReconcileResult>,
  o: { logger: Logger; metrics: Metrics },
) {
  return middy<unknown, ReconcileResult>()
    .use(injectLambdaContext(o.logger, { resetKeys: true }))
    .use(logMetrics(o.metrics))
    .handler(async () => {
      const result = await reconcile();
      o.metrics.addMetric('OrphanSecretsScheduled', MetricUnit.Count, result.scheduled);
      o.metrics.addMetric('OrphanSecretsFailed', MetricUnit.Count, result.failed);
      // Orphans are rare (a crash between two writes): each one is worth a line.
      if (result.orphans > 0) o.logger.warn('orphaned secrets found', { ...result });
      else o.logger.info('reconciliation finished', { ...result });
      return result;
    });
}
