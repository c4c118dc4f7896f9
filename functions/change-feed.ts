// DynamoDB stream of the credentials table: the history entry and events of every stored check. Uses: table, bus.
import { lambdaEventPublisher } from '../shared/app/bus.ts';
import { makeChangeFeedHandler } from '../shared/app/handlers/change-feed.ts';
import { lambdaObservability } from '../shared/app/observability.ts';
import { lambdaServiceConfig } from '../shared/app/service-config.ts';
import { lambdaRepository } from '../shared/app/table.ts';
import { ChangeFeedConsumer } from '../shared/service/change-feed.ts';

const consumer = new ChangeFeedConsumer({
  repository: lambdaRepository(),
  events: lambdaEventPublisher(),
  historyTtlDays: lambdaServiceConfig().historyTtlDays,
  checkedEvents: lambdaServiceConfig().checkedEvents,
  clock: { now: () => new Date() },
});
export const handler = makeChangeFeedHandler(consumer, lambdaObservability());
