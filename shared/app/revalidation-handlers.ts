import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { RevalidationMessage } from '../domain/events.ts';
import type { Revalidation, SweepResult } from '../service/revalidation.ts';
import { revalidationFromEvent } from '../service/triggers.ts';
import type { RevalidationQueue } from '../store/ports.ts';

interface Observability {
  logger: Logger;
  metrics: Metrics;
}

/** The scheduled sweep: queues every due credential. */
export function makeSweepHandler(revalidation: Revalidation, o: Observability) {
  return middy<unknown, SweepResult>()
    .use(injectLambdaContext(o.logger, { resetKeys: true }))
    .use(logMetrics(o.metrics))
    .handler(async () => {
      const result = await revalidation.sweep();
      o.metrics.addMetric('CredentialsQueued', MetricUnit.Count, result.queued);
      o.logger.info('sweep finished', { ...result });
      return result;
    });
}

/**
 * The worker on the revalidation queue, with partial batch failure reporting: a message whose check should
 * be retried (a storage outage, a failed event publication) is reported alone and delivered again; the rest
 * of the batch is done. A message that is not a revalidation request is logged and dropped, not retried.
 */
export function makeWorkerHandler(revalidation: Revalidation, o: Observability) {
  const processor = new BatchProcessor(EventType.SQS);
  const handleRecord = async (record: SQSRecord) => {
    let message: RevalidationMessage;
    try {
      message = RevalidationMessage.parse(JSON.parse(record.body));
    } catch {
      o.logger.error('dropped a malformed revalidation message', { messageId: record.messageId });
      return;
    }
    const outcome = await revalidation.work(message);
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

/** EventBridge target: secret changes and RevalidationRequested become queued re-checks. */
export function makeTriggerHandler(queue: RevalidationQueue, secretPrefix: string, o: Observability) {
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
