import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { runCheck } from '../connectors/check.ts';
import type { HttpDeps } from '../http/route.ts';
import { createGuardedClient } from '../net/guarded-client.ts';
import type { GuardedClient } from '../net/types.ts';
import { ServiceConfig } from '../service/config.ts';
import { type Checker, CredentialService } from '../service/credential-service.ts';
import { Revalidation } from '../service/revalidation.ts';
import { DynamoCredentialRepository } from '../store/dynamo-credential-repository.ts';
import { EventBridgePublisher } from '../store/eventbridge-publisher.ts';
import type {
  Clock,
  CredentialRepository,
  EventPublisher,
  RevalidationQueue,
  SecretStore,
} from '../store/ports.ts';
import { SecretsManagerSecretStore } from '../store/secrets-manager-secret-store.ts';
import { SqsRevalidationQueue } from '../store/sqs-queue.ts';
import { TABLE_LAYOUT } from '../store/table-layout.ts';
import type { Environment } from './environment.ts';

/** Where credentials live, whichever the backend. */
export interface Storage {
  repository: CredentialRepository;
  secrets: SecretStore;
  idempotencyStore?: BasePersistenceLayer;
  /** Where checks and status changes are announced. */
  events?: EventPublisher;
  /** Where re-checks are queued. */
  queue?: RevalidationQueue;
}

/** The shared idempotency records for `Idempotency-Key`, in the credentials table (their own partition). */
export function idempotencyStoreFor(client: DynamoDBClient, tableName: string): BasePersistenceLayer {
  return new DynamoDBPersistenceLayer({
    tableName,
    awsSdkV3Client: client,
    keyAttr: TABLE_LAYOUT.partitionKey,
    sortKeyAttr: TABLE_LAYOUT.sortKey,
    staticPkValue: 'IDEMPOTENCY',
    expiryAttr: TABLE_LAYOUT.timeToLiveAttribute,
  });
}

/** Real AWS: DynamoDB and Secrets Manager with the SDK's default credential chain. */
export function awsStorage(env: Environment): Storage {
  const endpoint = env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {};
  const region = env.AWS_REGION ? { region: env.AWS_REGION } : {};
  const dynamo = new DynamoDBClient({ ...region, ...endpoint });
  return {
    repository: new DynamoCredentialRepository({
      client: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
      tableName: env.TABLE_NAME,
    }),
    secrets: new SecretsManagerSecretStore({
      client: new SecretsManagerClient({ ...region, ...endpoint }),
      ...(env.KMS_KEY_ID ? { kmsKeyId: env.KMS_KEY_ID } : {}),
    }),
    idempotencyStore: idempotencyStoreFor(dynamo, env.TABLE_NAME),
    ...(env.EVENT_BUS_NAME
      ? {
          events: new EventBridgePublisher({
            client: new EventBridgeClient({ ...region, ...endpoint }),
            busName: env.EVENT_BUS_NAME,
          }),
        }
      : {}),
    ...(env.QUEUE_URL
      ? {
          queue: new SqsRevalidationQueue({
            client: new SQSClient({ ...region, ...endpoint }),
            queueUrl: env.QUEUE_URL,
          }),
        }
      : {}),
  };
}

/** Runs checks through the guarded client and counts them (EMF: checks by connector and verdict, latency). */
export function meteredChecker(client: GuardedClient, metrics: Metrics, deadlineMs?: number): Checker {
  return async (check) => {
    const report = await runCheck(check, { client, ...(deadlineMs ? { deadlineMs } : {}) });
    const metric = metrics.singleMetric();
    metric.addDimensions({ connector: check.connector.id, verdict: report.verdict });
    metric.addMetric('Checks', MetricUnit.Count, 1);
    metric.addMetric('CheckLatency', MetricUnit.Milliseconds, report.durationMs);
    return report;
  };
}

type BuildOptions = { clock?: Clock; client?: GuardedClient; logger?: Logger; metrics?: Metrics };

/** What the service and revalidation share: observability, the guarded client, the clock, the checker. */
function runtimeParts(env: Environment, options: BuildOptions) {
  const made = options.logger && options.metrics ? null : observability(env);
  const logger = options.logger ?? (made as ReturnType<typeof observability>).logger;
  const metrics = options.metrics ?? (made as ReturnType<typeof observability>).metrics;
  const client =
    options.client ?? createGuardedClient({ egressAllow: env.EGRESS_ALLOW, timeoutMs: env.CHECK_TIMEOUT });
  return {
    logger,
    metrics,
    client,
    check: meteredChecker(client, metrics, env.CHECK_DEADLINE),
    clock: options.clock ?? { now: () => new Date() },
    config: serviceConfigOf(env),
    // Handled failures are logged by name only: their messages could come from anywhere.
    onHandledError: (what: string, error: unknown) =>
      logger.warn(what, { error: (error as Error)?.name ?? 'unknown' }),
  };
}

/** Builds everything the HTTP handlers need, once per container or local server. */
export function buildHttpDeps(
  env: Environment,
  storage: Storage,
  options: BuildOptions = {},
): HttpDeps & { client: GuardedClient } {
  const { logger, metrics, client, check, clock, config, onHandledError } = runtimeParts(env, options);
  const service = new CredentialService({
    repository: storage.repository,
    secrets: storage.secrets,
    check,
    clock,
    config,
    ...(storage.events ? { events: storage.events } : {}),
    onHandledError,
  });
  return {
    service,
    logger,
    metrics,
    tenantClaim: env.TENANT_CLAIM,
    corsOrigins: env.CORS_ORIGINS,
    client,
    ...(storage.idempotencyStore ? { idempotencyStore: storage.idempotencyStore } : {}),
  };
}

/** The service tunables from the environment. */
export function serviceConfigOf(env: Environment) {
  return ServiceConfig.parse({
    secretPrefix: env.SECRET_PREFIX,
    checkIntervalMs: env.CHECK_INTERVAL,
    invalidConfirmAfterMs: env.INVALID_CONFIRM_AFTER,
    historyTtlDays: env.HISTORY_TTL_DAYS,
    deletionRecoveryDays: env.SECRET_RECOVERY_DAYS,
  });
}

/** Revalidation (sweep and worker) over the given storage, queue and event publisher. */
export function buildRevalidation(
  env: Environment,
  storage: Storage,
  options: BuildOptions = {},
): { revalidation: Revalidation; logger: Logger; metrics: Metrics; client: GuardedClient } {
  const { logger, metrics, client, check, clock, config, onHandledError } = runtimeParts(env, options);
  const revalidation = new Revalidation({
    repository: storage.repository,
    secrets: storage.secrets,
    ...(storage.queue ? { queue: storage.queue } : {}),
    ...(storage.events ? { events: storage.events } : {}),
    check,
    clock,
    config,
    onHandledError,
  });
  return { revalidation, logger, metrics, client };
}

/** Logger and metrics named by POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE (default credval). */
export function observability(env: Environment): { logger: Logger; metrics: Metrics } {
  return {
    logger: new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME, logLevel: env.LOG_LEVEL }),
    metrics: new Metrics({
      namespace: env.POWERTOOLS_METRICS_NAMESPACE,
      serviceName: env.POWERTOOLS_SERVICE_NAME,
    }),
  };
}
