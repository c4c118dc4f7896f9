import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import type { ChangeFeedConsumer } from '../../service/change-feed.ts';
import { credentialChangeOf } from '../../store/dynamo-stream.ts';

/**
 * The table's change feed on AWS: every record of the DynamoDB stream that changes a credential item becomes its
 * history entry and events (shared/service/change-feed.ts). A record that fails (EventBridge down, a malformed
 * image) is reported alone, so the stream retries from it, bisects and finally sends it to the on-failure queue;
 * the rest of the batch is done.
 */
export function makeChangeFeedHandler(
  consumer: Pick<ChangeFeedConsumer, 'handle'>,
  o: { logger: Logger; metrics: Metrics },
) {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  const handleRecord = async (record: DynamoDBRecord) => {
    const change = credentialChangeOf(record);
    if (!change) return;
    const outcome = await consumer.handle(change);
    o.metrics.addMetric('ChecksRecorded', MetricUnit.Count, outcome.history ? 1 : 0);
    o.metrics.addMetric('EventsPublished', MetricUnit.Count, outcome.events.length);
  };
  return middy<DynamoDBStreamEvent, DynamoDBBatchResponse>()
    .use(injectLambdaContext(o.logger, { resetKeys: true }))
    .use(logMetrics(o.metrics))
    .handler(async (event: DynamoDBStreamEvent, context: Context) =>
      processPartialResponse(event, handleRecord, processor, { context }),
    );
}
