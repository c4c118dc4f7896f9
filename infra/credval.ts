import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, type CfnResource, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus, Match, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BACKGROUND_FUNCTIONS } from '../shared/app/functions.ts';
import { parseDuration } from '../shared/domain/durations.ts';
import {
  CLOUDTRAIL_API_CALL,
  CLOUDTRAIL_SERVICE_EVENT,
  EVENT_SOURCE,
  REVALIDATION_REQUESTED,
  SECRET_CHANGE_EVENT_NAMES,
  SECRET_LABEL_UPDATED,
  SECRETS_MANAGER_SOURCE,
} from '../shared/domain/event-names.ts';
import { BRANCH_KEY_CONTEXT_KEY, SECRET_CONTEXT_KEY } from '../shared/domain/secret-context.ts';
import { TABLE_LAYOUT } from '../shared/domain/table-layout.ts';
import { ROUTES } from '../shared/http/routes.ts';
import { type CredvalConfig, type CredvalSettings, checkSettings } from './config.ts';
import type { CredvalRegistry } from './credential-check.ts';
import { CredvalData, type ICredvalData } from './credval-data.ts';
import {
  CredvalFunction,
  FUNCTIONS_DIR,
  type FunctionConfig,
  type UseResources,
} from './credval-function.ts';

interface ScheduleProps {
  description: string;
  expression: string;
  window: CfnSchedule.FlexibleTimeWindowProperty;
  maxAgeSeconds: number;
}

interface FunctionOptions {
  summary: string;
  memorySize?: number;
  timeout?: Duration;
  copyDirs?: string[];
}

/** Folders copied next to a function's bundle: the console's page, script and style. */
export const COPY_DIRS: Partial<Record<string, string[]>> = { console: ['console'] };

/** API Gateway ends an HTTP API integration at 30 s: a function that calls a vendor answers before that. */
const VENDOR_CALLING_HTTP_TIMEOUT = Duration.seconds(29);
/** One check's deadline behind the API: its report comes back well inside the function's 29 s. */
export const API_CHECK_DEADLINE = '20s';
/**
 * The worker's own, longer check deadline: a batch of 10 against one host runs at most 4 checks at once, so
 * three deadlines in a row still end inside the worker's timeout.
 */
export const WORKER_CHECK_DEADLINE = '30s';

/** The revalidation functions' names (their entries are `functions/<name>.ts`). */
export const REVALIDATION_FUNCTIONS = Object.keys(BACKGROUND_FUNCTIONS) as Array<
  keyof typeof BACKGROUND_FUNCTIONS
>;

export interface CredvalProps extends CredvalSettings {
  /**
   * The table and key to work on, usually a `CredvalData` of a stack of their own (as `npm run deploy` does it).
   * Left out, `Credval` creates its own `CredvalData` (id `Data`) inside itself: one stack then holds everything.
   */
  data?: ICredvalData;
  /** The SNS topic the alarms notify; or `alarmTopicArn` (not both). Without either, alarms only change state. */
  alarmTopic?: ITopic;
}

/**
 * A whole credval deployment but its data: the HTTP API and its functions, the revalidation queue, schedule, worker
 * and trigger, the change feed on the table's stream, the event bus and its rules, and the alarms. Settings are
 * checked as `-c` context is (`checkSettings`), with the same defaults; a bad one fails the synth naming it.
 *
 * ```ts
 * new Credval(stack, 'Credval', { jwtIssuer: 'https://login.example.com/', jwtAudience: ['credval'] });
 * ```
 */
export class Credval extends Construct {
  /** The checked settings, defaults filled in. */
  readonly config: CredvalConfig;
  /** The table and key in use: `props.data`, or the `CredvalData` created here. */
  readonly data: ICredvalData;
  readonly table: ITable;
  readonly key: IKey;
  /** Every function by its entry name (`create-credential`, `sweep`, ...). */
  readonly functions: ReadonlyMap<string, CredvalFunction>;
  readonly api: HttpApi;
  /** The API's `$default` stage (throttled, access-logged). */
  readonly stage: HttpStage;
  /** Base URL of the HTTP API (a token until deployed). */
  readonly url: string;
  readonly accessLogs: LogGroup;
  /** The revalidation queue (the worker consumes it). */
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  /** The event bus `credval-<stage>`: credval's events, and RevalidationRequested from consumers. */
  readonly bus: EventBus;
  readonly sweepSchedule: CfnSchedule;
  readonly reconcileSchedule: CfnSchedule;
  /** The role EventBridge Scheduler invokes the sweep and the reconciliation with. */
  readonly sweepScheduleRole: Role;
  /** Stream records the change feed gave up on (after retries and bisection), kept for 14 days. */
  readonly changeFeedFailures: Queue;
  /** Every alarm: failure queues, queue backlog, change feed lag, errors and throttles of each function. */
  readonly alarms: readonly Alarm[];
  /** The topic the alarms notify, if any. */
  readonly alarmTopic?: ITopic;
  /** Routes of ROUTES left out because their Lambda entry does not exist (yet). */
  readonly skippedRoutes: readonly string[];
  /** What a `CredentialCheck` with `register` needs: the register function and the roles that read registered secrets. */
  readonly registry: CredvalRegistry;

  constructor(scope: Construct, id: string, props: CredvalProps = {}) {
    super(scope, id);
    const { data, alarmTopic, ...settings } = props;
    if (alarmTopic && settings.alarmTopicArn !== undefined) {
      throw new Error('Invalid Credval prop "alarmTopic": give alarmTopic or alarmTopicArn, not both');
    }
    const config = checkSettings(settings, 'props');
    this.config = config;
    this.data = data ?? new CredvalData(this, 'Data');
    this.table = this.data.table;
    this.key = this.data.key;
    const functions = new Map<string, CredvalFunction>();
    this.functions = functions;
    const alarms: Alarm[] = [];
    this.alarms = alarms;
    const skippedRoutes: string[] = [];
    this.skippedRoutes = skippedRoutes;

    const functionConfig: FunctionConfig = {
      SECRET_PREFIX: config.secretPrefix,
      TENANT_CLAIM: config.tenantClaim,
      CHECK_INTERVAL: config.checkInterval,
      INVALID_CONFIRM_AFTER: config.invalidConfirmAfter,
      CHECK_TIMEOUT: config.checkTimeout,
      CHECK_DEADLINE: API_CHECK_DEADLINE,
      LOG_LEVEL: config.logLevel,
      POWERTOOLS_SERVICE_NAME: 'credval',
      POWERTOOLS_METRICS_NAMESPACE: 'credval',
      ...(config.egressAllow.length > 0 ? { EGRESS_ALLOW: config.egressAllow.join(',') } : {}),
      ...(config.checkedEvents === 'all' ? {} : { CHECKED_EVENTS: config.checkedEvents }),
    };
    const newFunction = (name: string, spec: FunctionOptions) => {
      const fn = new CredvalFunction(this, pascal(name), {
        name,
        description: `credval ${config.stage}: ${spec.summary}`,
        config: functionConfig,
        logRetention: config.logRetention,
        secretStore: config.secretStore,
        ...(spec.memorySize ? { memorySize: spec.memorySize } : {}),
        ...(spec.timeout ? { timeout: spec.timeout } : {}),
        ...(spec.copyDirs ? { copyDirs: spec.copyDirs } : {}),
      });
      functions.set(name, fn);
      return fn;
    };

    // Revalidation queue. SSE-SQS: encrypted at rest without a key grant on every sender and the consumer.
    // The worker may run 6 vendor-call timeouts and then some; SQS redelivers only after 6 times that.
    const checkTimeoutSeconds = Math.ceil(parseDuration(config.checkTimeout) / 1000);
    const workerTimeout = Duration.seconds(6 * checkTimeoutSeconds + 30);
    this.deadLetterQueue = new Queue(this, 'RevalidationDeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Revalidation', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(6 * workerTimeout.toSeconds()),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
    });

    this.bus = new EventBus(this, 'Bus', { eventBusName: `credval-${config.stage}` });

    const resources: UseResources = {
      table: this.table,
      secrets: { prefix: config.secretPrefix, key: this.key, store: config.secretStore },
      bus: this.bus,
      queue: this.queue,
    };

    // HTTP API: JWT on every route but the public ones; throttled; access-logged.
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: config.logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const authorizer = new HttpJwtAuthorizer('Jwt', config.jwtIssuer, {
      authorizerName: 'jwt',
      jwtAudience: config.jwtAudience,
    });
    this.api = new HttpApi(this, 'Api', {
      apiName: `credval-${config.stage}`,
      description: 'credval: validates, stores and re-checks business-system credentials',
      defaultAuthorizer: authorizer,
      createDefaultStage: false,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: config.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationStatus: '$context.integrationStatus',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
            subject: '$context.authorizer.claims.sub',
          }),
        ),
      },
    });

    this.url = this.stage.url;

    for (const route of ROUTES) {
      if (!existsSync(join(FUNCTIONS_DIR, `${route.name}.ts`))) {
        skippedRoutes.push(route.name);
        Annotations.of(this).addWarningV2(
          'credval:route-without-entry',
          `Route ${route.method} ${route.path} is not deployed: functions/${route.name}.ts does not exist.`,
        );
        continue;
      }
      const fn = newFunction(route.name, {
        summary: `${route.method} ${route.path}: ${route.summary}${route.auth ? '' : ' (public)'}`,
        ...('vendors' in route.uses ? { timeout: VENDOR_CALLING_HTTP_TIMEOUT } : {}),
        ...(COPY_DIRS[route.name] ? { copyDirs: COPY_DIRS[route.name] } : {}),
      });
      fn.bindUses(route.uses, resources);
      const [httpRoute] = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method as keyof typeof HttpMethod]],
        integration: new HttpLambdaIntegration(`${pascal(route.name)}Integration`, fn.function),
        ...(route.auth ? {} : { authorizer: new HttpNoneAuthorizer() }),
      });
      if (!route.auth && httpRoute) {
        Validations.of(httpRoute).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${route.method} ${route.path} is public by design (README "HTTP API"): it reads no tenant data.`,
        });
      }
    }

    // Revalidation: schedule -> sweep -> queue -> worker; secret changes and RevalidationRequested -> trigger.
    const background = (name: keyof typeof BACKGROUND_FUNCTIONS, options: Omit<FunctionOptions, 'summary'>) =>
      newFunction(name, { summary: BACKGROUND_FUNCTIONS[name].summary, ...options }).bindUses(
        BACKGROUND_FUNCTIONS[name].uses,
        resources,
      );
    const sweep = background('sweep', { timeout: Duration.minutes(5) });
    const worker = background('revalidation-worker', { memorySize: 1024, timeout: workerTimeout });
    worker.function.addEnvironment('CHECK_DEADLINE', WORKER_CHECK_DEADLINE);
    worker.consumeQueue(this.queue, {
      batchSize: 10,
      reportBatchItemFailures: true,
      maxConcurrency: config.workerConcurrency,
    });
    const trigger = background('revalidation-trigger', {});

    // The change feed: the table's stream -> each stored check's history entry and events. Records are read in
    // order per credential (one batch per shard at a time); a failing record is retried, the batch bisected
    // around it, and after that it waits in its own queue instead of blocking the credentials behind it.
    const changeFeed = background('change-feed', { timeout: Duration.minutes(1) });
    this.changeFeedFailures = new Queue(this, 'ChangeFeedFailures', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.changeFeedFailures.node.defaultChild as CfnResource).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is a dead-letter queue: the on-failure destination of the change feed (the table stream), ' +
        "where records wait after their retries. cdk-nag recognises only queues named in another queue's redrive policy.",
    });
    changeFeed.function.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: 10,
        maxRecordAge: Duration.days(1),
        onFailure: new SqsDlq(this.changeFeedFailures),
        // Only credential items: history entries, idempotency records and configuration change nothing to announce.
        filters: [
          FilterCriteria.filter({
            dynamodb: {
              Keys: {
                [TABLE_LAYOUT.sortKey]: { S: FilterRule.beginsWith(TABLE_LAYOUT.credentialSortKeyPrefix) },
              },
            },
          }),
        ],
      }),
    );

    const streamPolicy = changeFeed.role.node.tryFindChild('DefaultPolicy');
    if (streamPolicy) {
      Validations.of(streamPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'dynamodb:ListStreams, which the DynamoDB event source grants, supports no resource-level permissions ' +
          '(https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html); every ' +
          'other action of this policy names its resource.',
      });
    }

    if (config.secretStore === 'envelope') {
      // The stream's images carry the envelope items (ciphertext, encrypted branch keys and data keys), and the
      // event source's grant lets this role decrypt with the key directly: refuse it every branch key and every data
      // key of a secret, so reading the stream never amounts to reading secrets.
      for (const contextKey of [SECRET_CONTEXT_KEY, BRANCH_KEY_CONTEXT_KEY]) {
        changeFeed.role.addToPrincipalPolicy(
          new PolicyStatement({
            effect: Effect.DENY,
            actions: ['kms:Decrypt'],
            resources: [this.key.keyArn],
            conditions: { Null: { [`kms:EncryptionContext:${contextKey}`]: 'false' } },
          }),
        );
      }
    }

    const reconcile = background('reconcile', { timeout: Duration.minutes(10) });

    // Registrations from CredentialCheck resources (invoked directly by their functions, which the construct grants
    // lambda:InvokeFunction on this one); the worker and POST /credentials/{id}/validate read those credentials' secrets by ARN,
    // with a read grant per secret that each CredentialCheck adds.
    const register = background('register-credential', {});
    const recheck = functions.get('recheck-credential');
    this.registry = {
      registerFunction: register.function,
      triggerFunction: trigger.function,
      secretReaders: [worker.role, ...(recheck ? [recheck.role] : [])],
    };

    this.sweepScheduleRole = new Role(this, 'SweepScheduleRole', {
      description: 'EventBridge Scheduler: invokes the credval sweep',
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    });
    // Only the functions themselves (no `:*` qualifier wildcard, as grantInvoke would add).
    this.sweepScheduleRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [sweep.function.functionArn, reconcile.function.functionArn],
      }),
    );
    // A missed run is made up by the next one: no retries that would pile up behind it.
    const schedule = (id: string, fn: CredvalFunction, props: ScheduleProps) => {
      const created = new CfnSchedule(this, id, {
        description: `credval ${config.stage}: ${props.description}`,
        scheduleExpression: props.expression,
        flexibleTimeWindow: props.window,
        state: 'ENABLED',
        target: {
          arn: fn.function.functionArn,
          roleArn: this.sweepScheduleRole.roleArn,
          input: '{}',
          retryPolicy: { maximumRetryAttempts: 0, maximumEventAgeInSeconds: props.maxAgeSeconds },
        },
      });
      created.node.addDependency(this.sweepScheduleRole);
      return created;
    };
    const minutes = config.sweepRate.toMinutes();
    this.sweepSchedule = schedule('SweepSchedule', sweep, {
      description: 'start a sweep of due credentials',
      expression: `rate(${minutes} ${minutes === 1 ? 'minute' : 'minutes'})`,
      window: { mode: 'OFF' },
      maxAgeSeconds: 60,
    });
    this.reconcileSchedule = schedule('ReconcileSchedule', reconcile, {
      description: 'schedule the deletion of secrets no credential describes',
      expression: 'rate(6 hours)',
      window: { mode: 'FLEXIBLE', maximumWindowInMinutes: 30 },
      maxAgeSeconds: 3600,
    });

    const triggerTarget = () =>
      new LambdaFunction(trigger.function, { retryAttempts: 4, maxEventAge: Duration.hours(2) });
    // Secret changes arrive on the default bus: CloudTrail API calls (needs a trail that logs management
    // events) and the native "Secret Label Updated" event. The trigger filters by secret prefix.
    new Rule(this, 'SecretChangedApiCall', {
      description: 'credval: Secrets Manager calls that change a secret value -> revalidation trigger',
      eventPattern: {
        source: [SECRETS_MANAGER_SOURCE],
        detailType: [CLOUDTRAIL_API_CALL, CLOUDTRAIL_SERVICE_EVENT],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: [...SECRET_CHANGE_EVENT_NAMES, 'RotationSucceeded'],
        },
      },
      targets: [triggerTarget()],
    });
    new Rule(this, 'SecretLabelUpdated', {
      description: 'credval: a staging label moved (e.g. AWSCURRENT) -> revalidation trigger',
      eventPattern: { source: [SECRETS_MANAGER_SOURCE], detailType: [SECRET_LABEL_UPDATED] },
      targets: [triggerTarget()],
    });
    new Rule(this, 'RevalidationRequested', {
      description: 'credval: a consumer saw the credential refused -> revalidation trigger',
      eventBus: this.bus,
      eventPattern: { source: Match.anythingBut(EVENT_SOURCE), detailType: [REVALIDATION_REQUESTED] },
      targets: [triggerTarget()],
    });

    // Alarms: anything in the dead-letter queues, a stuck queue or stream, and per function errors and throttles.
    alarms.push(
      this.anyMessageAlarm(
        'ChangeFeedFailuresAlarm',
        this.changeFeedFailures,
        'credval: stored changes whose history entry or events could not be written wait in the change-feed failure queue',
      ),
      new Alarm(this, 'ChangeFeedLagAlarm', {
        alarmDescription:
          'credval: the change feed is more than 5 minutes behind the table (history and events late)',
        metric: changeFeed.function.metric('IteratorAge', {
          period: Duration.minutes(5),
          statistic: 'Maximum',
        }),
        threshold: 5 * 60_000,
        evaluationPeriods: 3,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      this.anyMessageAlarm(
        'DeadLettersAlarm',
        this.deadLetterQueue,
        'credval: revalidation messages failed 5 times and wait in the dead-letter queue',
      ),
      new Alarm(this, 'QueueBacklogAlarm', {
        alarmDescription: 'credval: the oldest revalidation message has waited more than 30 minutes',
        metric: this.queue.metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(5),
          statistic: 'Maximum',
        }),
        threshold: 30 * 60,
        evaluationPeriods: 3,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    for (const fn of this.functions.values()) alarms.push(fn.errorsAlarm, fn.throttlesAlarm);
    const topic =
      alarmTopic ??
      (config.alarmTopicArn ? Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn) : undefined);
    if (topic) {
      this.alarmTopic = topic;
      const action = new SnsAction(topic);
      for (const alarm of alarms) alarm.addAlarmAction(action);
    }
  }

  /** An alarm as soon as any message waits in `queue` (a queue of failures, where one is too many). */
  private anyMessageAlarm(id: string, queue: Queue, description: string): Alarm {
    return new Alarm(this, id, {
      alarmDescription: description,
      metric: queue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }
}

/** `revalidation-worker` -> `RevalidationWorker`. */
function pascal(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}
