import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, type IAlarmAction, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Effect, Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, type CfnFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource, type SqsEventSourceProps } from 'aws-cdk-lib/aws-lambda-event-sources';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { SecretUse, Uses } from '../shared/app/uses.ts';
import { EVENT_SOURCE } from '../shared/domain/event-names.ts';
import {
  BRANCH_KEY_CONTEXT_KEY,
  branchKeyContext,
  SECRET_CONTEXT_KEY,
} from '../shared/domain/secret-context.ts';
import { TABLE_LAYOUT } from '../shared/domain/table-layout.ts';

/** The repository root (for entries, the lock file and asset paths). */
export const PROJECT_ROOT = join(import.meta.dirname, '..');
/** One Lambda entry per file: `functions/<name>.ts`. */
export const FUNCTIONS_DIR = join(PROJECT_ROOT, 'functions');

/** The newest Node.js runtime the code is tested on (local Node is 20; Lambda runs 22). */
export const RUNTIME = Runtime.NODEJS_22_X;
export const ARCHITECTURE = Architecture.ARM_64;

/** ESM bundles still contain CommonJS dependencies (xmlrpc, sax, undici internals) that call `require`. */
export const ESM_REQUIRE_BANNER =
  "import{createRequire}from'module';const require=createRequire(import.meta.url);";

/**
 * How every function is bundled: local esbuild only (no Docker), one minified ESM file with a source map.
 *
 * The AWS SDK is bundled (`externalModules: []`) rather than taken from the runtime: the bundle then runs the
 * exact SDK versions the lockfile pins and the tests ran against, a runtime SDK update cannot change behaviour
 * under us, and DEPENDENCIES.md section 3 measured the bundled SDK importing faster (90-260 ms) than the
 * runtime's unbundled CommonJS tree (150-490 ms). The price is ~350 KB per bundle.
 *
 * `test/bundles/bundles.bundle.ts` runs the bundles that exactly these options produce.
 */
export const BUNDLING = {
  format: OutputFormat.ESM,
  target: 'node22',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  externalModules: [],
  forceDockerBundling: false,
} as const satisfies BundlingOptions;

/** Where secrets live (SECRET_STORE): infra/config.ts `secretStore`. */
export type SecretStoreKind = 'secretsmanager' | 'envelope';

/**
 * BUNDLING for a deployment's secret store: `process.env.SECRET_STORE` becomes a constant, so esbuild drops the
 * store the deployment does not use (shared/app/secrets.ts), and with it its AWS client.
 */
export function bundlingFor(secretStore: SecretStoreKind) {
  return { ...BUNDLING, define: { 'process.env.SECRET_STORE': JSON.stringify(secretStore) } };
}

let esbuildChecked = false;

/**
 * NodejsFunction falls back to Docker when it finds no local esbuild; there is no Docker here (nor in CI), so say
 * what is missing instead of failing on a Docker error.
 */
function assertLocalEsbuild(): void {
  if (esbuildChecked) return;
  try {
    createRequire(join(PROJECT_ROOT, 'package.json')).resolve('esbuild');
  } catch {
    throw new Error(
      'esbuild is not installed: functions are bundled by the local esbuild only (npm i -D esbuild).',
    );
  }
  esbuildChecked = true;
}

/** Non-resource configuration every function gets, the same everywhere so that no two can disagree. */
export type FunctionConfig = Record<string, string>;

export interface CredvalFunctionProps {
  /** The entry's file name without `.ts` in `functions/`, e.g. `create-credential`. */
  name: string;
  description: string;
  /** Configuration (not resource names: those come with their grant, see the `bind*` methods). */
  config: FunctionConfig;
  logRetention: RetentionDays;
  memorySize?: number;
  timeout?: Duration;
  /** Folders (relative to the repository root) copied next to the bundle, e.g. static files. */
  copyDirs?: string[];
  /** The deployment's secret store, fixed in the bundle (`bundlingFor`). */
  secretStore: SecretStoreKind;
}

export type TableAccess = 'read' | 'readwrite' | 'lease';

/**
 * The table's item actions by access level. The repository (shared/store/dynamo-credential-repository.ts) reads
 * with GetItem and Query and writes whole items with conditional PutItem; DeleteItem and UpdateItem are added
 * only where a function deletes credentials or keeps Powertools idempotency records (see `bindTable`).
 */
export const TABLE_ACTIONS: Record<TableAccess, string[]> = {
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  readwrite: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem'],
  // The sweep's leases: an UpdateItem of the lease attributes only (GetItem when a lease's condition fails).
  lease: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
};

/**
 * The Secrets Manager calls behind each use of secrets (shared/app/uses.ts), as the adapter
 * (shared/store/secrets-manager-secret-store.ts) makes them.
 */
export const SECRET_ACTIONS: Record<SecretUse, SecretAction[]> = {
  // DeleteSecret: compensation when the item cannot be written after the secret was.
  create: ['CreateSecret', 'TagResource', 'DeleteSecret'],
  read: ['GetSecretValue'],
  // A checked value becomes current; UpdateSecretVersionStage gives AWSCURRENT back when a rotation loses a race.
  rotate: ['PutSecretValue', 'UpdateSecretVersionStage'],
  // DescribeSecret: recognising a retried deletion.
  delete: ['DeleteSecret', 'DescribeSecret'],
  list: ['ListSecrets'],
};

/**
 * A use of secrets in the envelope store: item actions on the secret items, KMS actions on branch keys, and on the
 * per-secret data keys of versions sealed before branch keys.
 */
export interface EnvelopeSecretActions {
  items: string[];
  branchKeys: Array<'kms:GenerateDataKey' | 'kms:Decrypt'>;
  keys: Array<'kms:GenerateDataKey' | 'kms:Decrypt'>;
}

/**
 * The calls behind each use of secrets with SECRET_STORE=envelope, as the adapter
 * (shared/store/envelope-secret-store.ts) makes them: item actions only on the secret items' partitions, and key
 * actions only for the deployment's branch keys and for data keys of secrets under the prefix. Writers seal under
 * the newest branch key, so they decrypt it too (and may make the next one): with branch keys, whoever seals can
 * open (README "Security model"). Readers decrypt branch keys, and the data keys of versions sealed before them.
 */
export const ENVELOPE_SECRET_ACTIONS: Record<SecretUse, EnvelopeSecretActions> = {
  // GetItem: a create whose name exists reads it; DeleteItem: compensation when the item cannot be written;
  // Query: the newest branch key.
  create: {
    items: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Query'],
    branchKeys: ['kms:GenerateDataKey', 'kms:Decrypt'],
    keys: [],
  },
  // GetItem: the secret's item and the branch key it names.
  read: { items: ['dynamodb:GetItem'], branchKeys: ['kms:Decrypt'], keys: ['kms:Decrypt'] },
  // Read, add the version, write conditionally on the revision read; a revert moves the label the same way.
  rotate: {
    items: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
    branchKeys: ['kms:GenerateDataKey', 'kms:Decrypt'],
    keys: [],
  },
  // One conditional UpdateItem; GetItem and PutItem when it is not live, DeleteItem once its window has passed.
  delete: {
    items: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
    branchKeys: [],
    keys: [],
  },
  list: { items: ['dynamodb:Query'], branchKeys: [], keys: [] },
};

/** The resources a function's uses may name. */
export interface UseResources {
  table: ITable;
  secrets: SecretScope;
  bus: IEventBus;
  queue: IQueue;
}

export interface TableOptions {
  /** Query on the sparse due index (the sweep). */
  dueIndex?: boolean;
  /** DeleteItem: the function removes credential items. */
  deleteItems?: boolean;
  /** UpdateItem and DeleteItem: Powertools idempotency records (`Idempotency-Key`) in the same table. */
  idempotencyRecords?: boolean;
}

/** Secrets Manager calls the SecretStore adapter makes (shared/store/secrets-manager-secret-store.ts). */
export type SecretAction =
  | 'CreateSecret'
  | 'TagResource'
  | 'DeleteSecret'
  | 'DescribeSecret'
  | 'ListSecrets'
  | 'GetSecretValue'
  | 'PutSecretValue'
  | 'UpdateSecretVersionStage';

/** Where credval's secrets live: a name prefix, the key that encrypts them, and the store. */
export interface SecretScope {
  prefix: string;
  key: IKey;
  store: SecretStoreKind;
}

/**
 * A credval Lambda function with the project's defaults (runtime, architecture, ESM bundling, its own log group
 * with retention, active tracing, an alarm on errors and one on throttles) and a role that starts empty but for
 * writing to its own log group. Access is added only through the `bind*` methods, each of which grants exactly
 * the actions the code calls and sets the environment variable that names the resource, so a function cannot
 * know a resource it may not use or hold a grant it cannot find.
 */
export class CredvalFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly errorsAlarm: Alarm;
  readonly throttlesAlarm: Alarm;

  constructor(scope: Construct, id: string, props: CredvalFunctionProps) {
    super(scope, id);
    const entry = join(FUNCTIONS_DIR, `${props.name}.ts`);
    if (!existsSync(entry)) throw new Error(`No Lambda entry ${entry} for function "${props.name}".`);
    assertLocalEsbuild();

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      // Function logs are operational and bounded by retention; nothing is lost that a redeploy needs.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // Not AWSLambdaBasicExecutionRole (logs:CreateLogGroup and PutLogEvents on every log group): only this
    // function's own group, which the stack creates, so CreateLogGroup is not needed either.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `credval ${props.name}: only what this function calls`,
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    const copyDirs = props.copyDirs ?? [];
    this.function = new NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      description: props.description,
      runtime: RUNTIME,
      architecture: ARCHITECTURE,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      environment: { ...props.config, NODE_OPTIONS: '--enable-source-maps' },
      bundling: {
        ...bundlingFor(props.secretStore),
        mainFields: [...BUNDLING.mainFields],
        externalModules: [...BUNDLING.externalModules],
        ...(copyDirs.length > 0
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) =>
                  copyDirs.map((dir) => `cp -R "${join(inputDir, dir)}" "${join(outputDir, dir)}"`),
              },
            }
          : {}),
      },
    });
    const cfnFunction = this.function.node.defaultChild as CfnFunction;
    Validations.of(cfnFunction).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x on purpose: the newest Node.js the code and its dependencies are tested on (DEPENDENCIES.md); ' +
        'move to the next runtime once the test suite runs on it.',
    });

    // Active tracing, with its two X-Ray actions in a policy of their own, so that the acknowledgement of their
    // `*` resource cannot cover anything else.
    cfnFunction.tracingConfig = { mode: 'Active' };
    const tracing = new Policy(this, 'Tracing', {
      statements: [
        new PolicyStatement({
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
      ],
    });
    tracing.attachToRole(this.role);
    this.function.node.addDependency(tracing);
    Validations.of(tracing).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions; AWS requires "*" ' +
        '(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html). ' +
        'This policy holds only those two actions.',
    });

    this.errorsAlarm = new Alarm(this, 'Errors', {
      alarmDescription: `credval ${props.name}: the function failed (uncaught error or timeout)`,
      metric: this.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.throttlesAlarm = new Alarm(this, 'Throttles', {
      alarmDescription: `credval ${props.name}: invocations were throttled (concurrency limit)`,
      metric: this.function.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
  }

  /**
   * Grants exactly what `uses` lists (shared/app/uses.ts), each grant with the variable that names its resource,
   * and nothing else. The function's entry builds the same list of parts (test/infra/function-uses.test.ts).
   */
  bindUses(uses: Uses, resources: UseResources): this {
    if (uses.table) {
      this.bindTable(resources.table, uses.table === 'write' ? 'readwrite' : uses.table, {
        ...(uses.dueIndex ? { dueIndex: true } : {}),
        ...(uses.idempotency ? { idempotencyRecords: true } : {}),
        ...(uses.deletes ? { deleteItems: true } : {}),
      });
    } else if (uses.dueIndex || uses.idempotency || uses.deletes) {
      throw new Error(
        'The due index, idempotency records and deletes are table uses: add `table` to the uses.',
      );
    }
    if (uses.secrets?.length && resources.secrets.store === 'envelope') {
      this.bindEnvelopeSecrets(resources.secrets, resources.table, uses.secrets);
    } else if (uses.secrets?.length) {
      this.bindSecrets(
        resources.secrets,
        uses.secrets.flatMap((use) => SECRET_ACTIONS[use]),
      );
    }
    if (uses.queue) this.bindQueue(resources.queue, 'send');
    if (uses.bus) this.bindBus(resources.bus);
    return this;
  }

  /** Sends both alarms to `action`. */
  addAlarmAction(action: IAlarmAction): this {
    this.errorsAlarm.addAlarmAction(action);
    this.throttlesAlarm.addAlarmAction(action);
    return this;
  }

  private setEnvironment(variable: string, value: string): void {
    this.function.addEnvironment(variable, value);
  }

  /**
   * The credentials table: TABLE_NAME and the item actions of `access` (plus `options`) on the table. The table's
   * key is usable only through DynamoDB.
   */
  bindTable(table: ITable, access: TableAccess, options: TableOptions = {}): this {
    const actions = new Set(TABLE_ACTIONS[access]);
    if (options.deleteItems) actions.add('dynamodb:DeleteItem');
    if (options.idempotencyRecords) {
      actions.add('dynamodb:UpdateItem');
      actions.add('dynamodb:DeleteItem');
    }
    if (access === 'read' && options.idempotencyRecords) {
      throw new Error('Idempotency records are written: they need readwrite access.');
    }
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: [...actions], resources: [table.tableArn] }),
    );
    if (options.dueIndex) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['dynamodb:Query'],
          resources: [`${table.tableArn}/index/${TABLE_LAYOUT.dueIndex.name}`],
        }),
      );
    }
    if (table.encryptionKey) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions:
            access === 'read' ? ['kms:Decrypt'] : ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
          resources: [table.encryptionKey.keyArn],
          conditions: {
            StringEquals: {
              'kms:ViaService': `dynamodb.${Stack.of(this).region}.${Stack.of(this).urlSuffix}`,
            },
          },
        }),
      );
    }
    this.setEnvironment('TABLE_NAME', table.tableName);
    return this;
  }

  /**
   * Secrets under `<prefix>/`: the given Secrets Manager actions on `secret:<prefix>/*`, and the key uses they
   * imply (GenerateDataKey and Decrypt to write a value, Decrypt to read one) only through Secrets Manager and
   * only for secrets under the prefix. CreateSecret also gets KMS_KEY_ID, the key it names.
   */
  bindSecrets(secrets: SecretScope, actions: SecretAction[]): this {
    const stack = Stack.of(this);
    const secretArns = stack.formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${secrets.prefix}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const onSecrets = [...new Set(actions)].filter((action) => action !== 'ListSecrets');
    if (onSecrets.length > 0) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: onSecrets.map((action) => `secretsmanager:${action}`),
          resources: [secretArns],
        }),
      );
    }
    if (actions.includes('ListSecrets')) {
      // ListSecrets has no resource-level permission: it is granted on "*" in a policy of its own, so that the
      // acknowledgement below cannot cover anything else. It returns names and dates, never a value.
      const listing = new Policy(this, 'ListSecrets', {
        statements: [new PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] })],
      });
      listing.attachToRole(this.role);
      Validations.of(listing).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'secretsmanager:ListSecrets supports no resource-level permissions; AWS requires "*" ' +
          '(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html). ' +
          'It lists metadata only; the reconciliation filters by the credval prefix.',
      });
    }
    const writes = actions.includes('CreateSecret') || actions.includes('PutSecretValue');
    const reads = actions.includes('GetSecretValue');
    if (writes || reads) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: writes ? ['kms:GenerateDataKey', 'kms:Decrypt'] : ['kms:Decrypt'],
          resources: [secrets.key.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.${stack.urlSuffix}` },
            StringLike: { 'kms:EncryptionContext:SecretARN': secretArns },
          },
        }),
      );
    }
    if (actions.includes('CreateSecret')) this.setEnvironment('KMS_KEY_ID', secrets.key.keyArn);
    this.setEnvironment('SECRET_PREFIX', secrets.prefix);
    const policy = this.role.node.tryFindChild('DefaultPolicy');
    if (policy) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResourceOf(secrets.prefix)}]`,
        reason:
          'One secret per credential, created at run time as <prefix>/<tenant>/<credentialId> (docs/architecture.md "Write path"), ' +
          "so the names are not known at deploy time; the wildcard is limited to credval's own prefix.",
      });
    }
    return this;
  }

  /**
   * Secrets in the envelope store (SECRET_STORE=envelope): the item actions of `uses` on the table, only on the
   * secret items' partitions (`dynamodb:LeadingKeys`), and GenerateDataKey (writers) or Decrypt (readers) on the
   * key, only for data keys whose encryption context names a secret under the prefix and nothing else. Sets
   * SECRET_STORE, TABLE_NAME (the secrets' table), KMS_KEY_ID and SECRET_PREFIX.
   */
  bindEnvelopeSecrets(secrets: SecretScope, table: ITable, uses: readonly SecretUse[]): this {
    const items = [...new Set(uses.flatMap((use) => ENVELOPE_SECRET_ACTIONS[use].items))];
    const keys = [...new Set(uses.flatMap((use) => ENVELOPE_SECRET_ACTIONS[use].keys))];
    const branchKeys = [...new Set(uses.flatMap((use) => ENVELOPE_SECRET_ACTIONS[use].branchKeys))];
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: items,
        resources: [table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${TABLE_LAYOUT.secretPartitionPrefix}*`] },
        },
      }),
    );
    if (keys.length > 0) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: keys,
          resources: [secrets.key.keyArn],
          conditions: {
            StringLike: { [`kms:EncryptionContext:${SECRET_CONTEXT_KEY}`]: `${secrets.prefix}/*` },
            'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [SECRET_CONTEXT_KEY] },
          },
        }),
      );
    }
    if (branchKeys.length > 0) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: branchKeys,
          resources: [secrets.key.keyArn],
          conditions: {
            StringLike: {
              [`kms:EncryptionContext:${BRANCH_KEY_CONTEXT_KEY}`]: branchKeyContext(secrets.prefix, '*'),
            },
            'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [BRANCH_KEY_CONTEXT_KEY] },
          },
        }),
      );
    }
    this.setEnvironment('SECRET_STORE', 'envelope');
    this.setEnvironment('TABLE_NAME', table.tableName);
    this.setEnvironment('KMS_KEY_ID', secrets.key.keyArn);
    this.setEnvironment('SECRET_PREFIX', secrets.prefix);
    return this;
  }

  /** The revalidation queue, to send to: QUEUE_URL and sqs:SendMessage (SendMessageBatch needs the same). */
  bindQueue(queue: IQueue, access: 'send'): this {
    if (access !== 'send') throw new Error(`Unknown queue access ${access as string}`);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
    );
    if (queue.encryptionMasterKey) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [queue.encryptionMasterKey.keyArn],
        }),
      );
    }
    this.setEnvironment('QUEUE_URL', queue.queueUrl);
    return this;
  }

  /** Makes the function the queue's consumer (the event source grants receive, delete and change visibility). */
  consumeQueue(queue: IQueue, props: SqsEventSourceProps): this {
    this.function.addEventSource(new SqsEventSource(queue, props));
    return this;
  }

  /** The event bus, to publish to: EVENT_BUS_NAME and events:PutEvents for source `credval` only. */
  bindBus(bus: IEventBus): this {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['events:PutEvents'],
        resources: [bus.eventBusArn],
        conditions: { StringEquals: { 'events:source': EVENT_SOURCE } },
      }),
    );
    this.setEnvironment('EVENT_BUS_NAME', bus.eventBusName);
    return this;
  }
}

/** How cdk-nag renders `arn:${Partition}:secretsmanager:${Region}:${AccountId}:secret:<prefix>/*`. */
export function nagResourceOf(prefix: string): string {
  return `arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${prefix}/*`;
}
