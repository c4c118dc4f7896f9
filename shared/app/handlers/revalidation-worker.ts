import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { RevalidationMessage } from '../../domain/events.ts';
import type { RevalidationWorker } from '../../service/revalidation-worker.ts';

/**
 * The worker on the revalidation queue, with partial batch failure reporting: a message whose check should
 * be retried (a storage outage, a failed event publication) is reported alone and delivered again; the rest
 * of the batch is done. A message that is not a revalidation request is logged and dropped, not retried.
 */
export function makeWorkerHandler(
  worker: Pick<RevalidationWorker, 'work'>,
  o: { logger: Logger; metrics: Metrics },
) {
  const processor = new BatchProcessor(EventType.SQS);
  const handleRecord = async (record: SQSRecord) => {
    let message: RevalidationMessage;
    try {
      message = RevalidationMessage.parse(JSON.parse(record.body));
    } catch {
      o.logger.error('dropped a malformed revalidation message', { messageId: record.messageId });
      return;
    }
    const outcome = await worker.work(message);
    o.metrics.addMetric(`Revalidation_${outcome}`, MetricUnit.Count, 1);
    o.logger.info('revalidated', {
      tenant_id: message.tenantId,
      credential_id: message.credentialId,
      outcome,
    });
  };
  return middy<SQSEvent, SQSBatchResponse>()
    .use(injectLambdaContext(o.logger, { resetKeys: true }))
    .use(logMetrics(o.metrics))
    .handler(async (event: SQSEvent, context: Context) =>
      processPartialResponse(event, handleRecord, processor, { context }),
    );
}
