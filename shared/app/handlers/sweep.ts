import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Sweep, SweepResult } from '../../service/sweep.ts';

/** The scheduled sweep: queues every due credential. */
export function makeSweepHandler(sweep: Pick<Sweep, 'sweep'>, o: { logger: Logger; metrics: Metrics }) {
  return middy<unknown, SweepResult>()
    .use(injectLambdaContext(o.logger, { resetKeys: true }))
    .use(logMetrics(o.metrics))
    .handler(async () => {
      const result = await sweep.sweep();
      o.metrics.addMetric('CredentialsQueued', MetricUnit.Count, result.queued);
      o.logger.info('sweep finished', { ...result });
      return result;
    });
}
