import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CfnResource } from 'aws-cdk-lib';
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import type { CredvalConfig } from '../../infra/config.ts';
import { FUNCTIONS_DIR } from '../../infra/credval-function.ts';
import type { StatefulStack } from '../../infra/stateful-stack.ts';
import { REVALIDATION_FUNCTIONS, type StatelessStack } from '../../infra/stateless-stack.ts';
import { CONSTRUCT_FUNCTIONS } from '../../shared/app/functions.ts';
import { parseDuration } from '../../shared/domain/durations.ts';
import { SECRET_CHANGE_EVENT_NAMES } from '../../shared/domain/event-names.ts';
import { TABLE_LAYOUT } from '../../shared/domain/table-layout.ts';
import { ROUTES } from '../../shared/http/routes.ts';
import { newApp } from './support.ts';

/** Settings other than the defaults, so that the tests see them come through. */
const OVERRIDES = {
  jwtIssuer: 'https://login.example.com/realms/acme',
  jwtAudience: ['credval-api', 'credval-console'],
  tenantClaim: 'org_id',
  sweepRate: Duration.minutes(10),
  logRetention: RetentionDays.TWO_WEEKS,
  egressAllow: ['10.20.0.0/16'],
} satisfies Partial<CredvalConfig>;

type Json = Record<string, unknown>;
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Json;
}

const READ = ['dynamodb:GetItem on table', 'dynamodb:Query on table', 'kms:Decrypt on key via dynamodb'];
const READWRITE = [
  ...READ,
  'dynamodb:PutItem on table',
  'kms:Encrypt on key via dynamodb',
  'kms:GenerateDataKey on key via dynamodb',
];
const SECRETS_WRITE_KEY = [
  'kms:GenerateDataKey on key via secretsmanager',
  'kms:Decrypt on key via secretsmanager',
];
const SECRETS_READ_KEY = ['kms:Decrypt on key via secretsmanager'];
const PUBLISH = ['events:PutEvents on bus'];

/**
 * Every grant of every function, besides writing to its own log group and X-Ray (checked separately): the action
 * and what it is on. Anything more or less fails.
 */
const EXPECTED_GRANTS: Record<string, string[]> = {
  console: [],
  health: [],
  openapi: [],
  'list-connectors': [],
  'validate-credential': [],
  'create-credential': [
    ...READWRITE,
    'dynamodb:UpdateItem on table',
    'dynamodb:DeleteItem on table',
    'secretsmanager:CreateSecret on secrets',
    'secretsmanager:TagResource on secrets',
    'secretsmanager:DeleteSecret on secrets',
    ...SECRETS_WRITE_KEY,
  ],
  'list-credentials': READ,
  'get-credential': READ,
  'list-checks': READ,
  'update-credential': [
    ...READWRITE,
    'secretsmanager:GetSecretValue on secrets',
    'secretsmanager:PutSecretValue on secrets',
    'secretsmanager:UpdateSecretVersionStage on secrets',
    ...SECRETS_WRITE_KEY,
  ],
  'delete-credential': [
    ...READ,
    'dynamodb:DeleteItem on table',
    'secretsmanager:DeleteSecret on secrets',
    'secretsmanager:DescribeSecret on secrets',
  ],
  'recheck-credential': [...READWRITE, 'secretsmanager:GetSecretValue on secrets', ...SECRETS_READ_KEY],
  sweep: [
    ...READ,
    'dynamodb:UpdateItem on table',
    'kms:Encrypt on key via dynamodb',
    'kms:GenerateDataKey on key via dynamodb',
    'dynamodb:Query on due-index',
    'sqs:SendMessage on queue',
  ],
  'revalidation-worker': [
    ...READWRITE,
    'secretsmanager:GetSecretValue on secrets',
    ...SECRETS_READ_KEY,
    'sqs:ReceiveMessage on queue',
    'sqs:ChangeMessageVisibility on queue',
    'sqs:GetQueueUrl on queue',
    'sqs:DeleteMessage on queue',
    'sqs:GetQueueAttributes on queue',
  ],
  'revalidation-trigger': ['sqs:SendMessage on queue'],
  'change-feed': [
    ...READWRITE,
    ...PUBLISH,
    // Reading the stream of a table under a customer-managed key (DynamoDB event source's own grant).
    'kms:Decrypt on key',
    'kms:DescribeKey on key',
    'dynamodb:DescribeStream on stream',
    'dynamodb:GetRecords on stream',
    'dynamodb:GetShardIterator on stream',
    'dynamodb:ListStreams on *',
    'sqs:SendMessage on change-feed-failures',
    'sqs:GetQueueAttributes on change-feed-failures',
    'sqs:GetQueueUrl on change-feed-failures',
  ],
  reconcile: [
    ...READ,
    'secretsmanager:DeleteSecret on secrets',
    'secretsmanager:DescribeSecret on secrets',
    'secretsmanager:ListSecrets on *',
  ],
  // Registrations from CredentialCheck resources: credential items only, never a secret.
  'register-credential': [...READWRITE, 'dynamodb:DeleteItem on table'],
};

const VENDOR_CALLING_HTTP = [
  'validate-credential',
  'create-credential',
  'update-credential',
  'recheck-credential',
];

/** Reads a synthesized app's roles back as "action on kind" grants (the same rendering for every deployment). */
function grantReader(built: { stateful: StatefulStack; stateless: StatelessStack; config: CredvalConfig }) {
  const { stateful, stateless, config } = built;
  const template = Template.fromStack(stateless);
  const resources = template.toJSON().Resources as Record<
    string,
    { Type: string; Properties: Json; DependsOn?: string[] }
  >;
  /** JSON of a resource reference as it appears in the template -> what it is. */
  const kinds = new Map<string, string>();

  const idOf = (construct: { node: { defaultChild?: unknown } }) =>
    stateless.getLogicalId(construct.node.defaultChild as CfnResource);
  const fnNamed = (name: string) => {
    const fn = stateless.functions.get(name);
    if (!fn) throw new Error(`no function ${name}`);
    return fn;
  };

  /** Every policy statement attached to the role, as "action on kind" strings. */
  function statementsOf(name: string): Statement[] {
    const roleId = idOf(fnNamed(name).role);
    const role = resources[roleId];
    expect(role?.Properties.ManagedPolicyArns, `${name} has managed policies`).toBeUndefined();
    expect(role?.Properties.Policies, `${name} has inline role policies`).toBeUndefined();
    return Object.values(resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .filter((r) => JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  }

  function kindOf(resource: unknown, name: string): string {
    const own = JSON.stringify({ 'Fn::GetAtt': [idOf(fnNamed(name).logGroup), 'Arn'] });
    const json = JSON.stringify(resource);
    if (json === own) return 'own-log-group';
    return kinds.get(json) ?? `UNKNOWN ${json}`;
  }

  /**
   * What a statement is limited to, beyond its resource: `via <service>` (kms:ViaService), `[SECRET#*]` (the
   * secret items' partitions), `for <prefix>/*` (data keys of secrets under the prefix). Anything else is named.
   */
  function scopeOf(s: Statement): string {
    const condition = (s.Condition ?? {}) as Record<string, Json>;
    const parts: string[] = [];
    for (const [operator, tests] of Object.entries(condition)) {
      for (const [key, value] of Object.entries(tests)) {
        const text = JSON.stringify(value);
        if (operator === 'StringEquals' && key === 'kms:ViaService') {
          parts.push(`via ${text.match(/"(\w+)\./)?.[1]}`);
        } else if (
          (operator === 'StringLike' && key === 'kms:EncryptionContext:SecretARN') ||
          (operator === 'StringEquals' && key === 'events:source')
        ) {
          // Secrets Manager's own context and the event source: checked by tests of their own.
        } else if (operator === 'ForAllValues:StringLike' && key === 'dynamodb:LeadingKeys') {
          parts.push(`[${(value as string[]).join(',')}]`);
        } else if (operator === 'StringLike' && key === 'kms:EncryptionContext:credval:secret') {
          parts.push(`for ${String(value)}`);
        } else if (operator === 'StringLike' && key === 'kms:EncryptionContext:credval:branch-key') {
          parts.push(`branch keys ${String(value)}`);
        } else if (operator === 'ForAllValues:StringEquals' && key === 'kms:EncryptionContextKeys') {
          parts.push(`context ${(value as string[]).join(',')}`);
        } else if (operator === 'Null' && key === 'kms:EncryptionContext:credval:secret') {
          parts.push('for any secret');
        } else if (operator === 'Null' && key === 'kms:EncryptionContext:credval:branch-key') {
          parts.push('for any branch key');
        } else {
          parts.push(`UNKNOWN CONDITION ${operator} ${key}=${text}`);
        }
      }
    }
    return parts.length > 0 ? ` ${parts.join(' ')}` : '';
  }

  function grantsOf(name: string): string[] {
    return statementsOf(name)
      .filter((s) => {
        const actions = [s.Action].flat();
        return !actions.every((a) => a.startsWith('logs:') || a.startsWith('xray:'));
      })
      .flatMap((s) => {
        const effect = s.Effect === 'Deny' ? 'DENY ' : '';
        if (s.Effect !== 'Deny') expect(s.Effect).toBe('Allow');
        return [s.Action]
          .flat()
          .flatMap((action) =>
            [s.Resource].flat().map((r) => `${effect}${action} on ${kindOf(r, name)}${scopeOf(s)}`),
          );
      })
      .sort();
  }

  const exportOf = (logicalId: string, attribute: 'Arn' | 'StreamArn' | 'Ref') => {
    const outputs = Template.fromStack(stateful).toJSON().Outputs as Record<string, Json>;
    const value = attribute === 'Ref' ? { Ref: logicalId } : { 'Fn::GetAtt': [logicalId, attribute] };
    const output = Object.values(outputs).find((o) => JSON.stringify(o.Value) === JSON.stringify(value));
    const exportName = (output?.Export as { Name: string } | undefined)?.Name;
    if (!exportName) throw new Error(`no export of ${logicalId}`);
    return { 'Fn::ImportValue': exportName };
  };
  const tableId = stateful.getLogicalId(stateful.table.node.defaultChild as CfnResource);
  const keyId = stateful.getLogicalId(stateful.key.node.defaultChild as CfnResource);
  const tableArn = exportOf(tableId, 'Arn');
  kinds.set(JSON.stringify(tableArn), 'table');
  kinds.set(
    JSON.stringify({ 'Fn::Join': ['', [tableArn, `/index/${TABLE_LAYOUT.dueIndex.name}`]] }),
    'due-index',
  );
  kinds.set(JSON.stringify(exportOf(keyId, 'Arn')), 'key');
  kinds.set(JSON.stringify({ 'Fn::GetAtt': [idOf(stateless.queue), 'Arn'] }), 'queue');
  kinds.set(JSON.stringify({ 'Fn::GetAtt': [idOf(stateless.deadLetterQueue), 'Arn'] }), 'dead-letter-queue');
  kinds.set(JSON.stringify({ 'Fn::GetAtt': [idOf(stateless.bus), 'Arn'] }), 'bus');
  kinds.set(JSON.stringify(exportOf(tableId, 'StreamArn')), 'stream');
  kinds.set(
    JSON.stringify({ 'Fn::GetAtt': [idOf(stateless.changeFeedFailures), 'Arn'] }),
    'change-feed-failures',
  );
  kinds.set('"*"', '*');
  kinds.set(
    JSON.stringify({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':secretsmanager:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:secret:${config.secretPrefix}/*`,
        ],
      ],
    }),
    'secrets',
  );
  kinds.set(JSON.stringify({ 'Fn::GetAtt': [idOf(fnNamed('sweep').function), 'Arn'] }), 'sweep-function');
  return { template, resources, idOf, fnNamed, statementsOf, kindOf, grantsOf };
}

describe('stateless stack', () => {
  let stateful: StatefulStack;
  let stateless: StatelessStack;
  let template: Template;
  let resources: Record<string, { Type: string; Properties: Json; DependsOn?: string[] }>;
  let reader: ReturnType<typeof grantReader>;

  const idOf = (construct: { node: { defaultChild?: unknown } }) => reader.idOf(construct);
  const fnNamed = (name: string) => reader.fnNamed(name);
  const propsOf = (id: string): Json => {
    const resource = resources[id];
    if (!resource) throw new Error(`no resource ${id}`);
    return resource.Properties;
  };
  const deployedRoutes = () => ROUTES.filter((r) => !stateless.skippedRoutes.includes(r.name));
  const statementsOf = (name: string) => reader.statementsOf(name);
  const kindOf = (resource: unknown, name: string) => reader.kindOf(resource, name);
  const grantsOf = (name: string) => reader.grantsOf(name);

  beforeAll(() => {
    const built = buildApp(newApp(), OVERRIDES);
    stateful = built.stateful;
    stateless = built.stateless;
    reader = grantReader(built);
    template = reader.template;
    resources = reader.resources;
  }, 60_000);

  describe('functions', () => {
    it('deploys one function per route and per revalidation entry, and every Lambda entry in functions/', () => {
      const expected = [...deployedRoutes().map((r) => r.name), ...REVALIDATION_FUNCTIONS].sort();
      expect([...stateless.functions.keys()].sort()).toEqual(expected);
      const entries = readdirSync(FUNCTIONS_DIR)
        .filter((f) => f.endsWith('.ts'))
        .map((f) => f.replace(/\.ts$/, ''))
        .sort();
      expect(entries).toEqual([...expected, ...Object.keys(CONSTRUCT_FUNCTIONS)].sort());
      template.resourceCountIs('AWS::Lambda::Function', expected.length);
      // A route is left out only while its entry file does not exist.
      for (const name of stateless.skippedRoutes)
        expect(existsSync(join(FUNCTIONS_DIR, `${name}.ts`))).toBe(false);
      expect(Object.keys(EXPECTED_GRANTS).sort()).toEqual(
        [...ROUTES.map((r) => r.name), ...REVALIDATION_FUNCTIONS].sort(),
      );
    });

    it('runs every function on nodejs22.x, arm64, ESM bundle, active tracing and its own log group with retention', () => {
      for (const [name, fn] of stateless.functions) {
        const props = resources[idOf(fn.function)]?.Properties;
        expect(props, name).toMatchObject({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          TracingConfig: { Mode: 'Active' },
          LoggingConfig: { LogGroup: { Ref: idOf(fn.logGroup) } },
        });
        expect(resources[idOf(fn.logGroup)]?.Properties.RetentionInDays, name).toBe(14);
      }
      template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
    });

    it('sizes memory and timeouts: API-facing vendor calls end before API Gateway does, the worker outlasts 6 vendor calls', () => {
      const timeoutOf = (name: string) =>
        resources[idOf(fnNamed(name).function)]?.Properties.Timeout as number;
      for (const route of deployedRoutes()) {
        expect(timeoutOf(route.name), route.name).toBe(VENDOR_CALLING_HTTP.includes(route.name) ? 29 : 10);
      }
      const checkTimeout = 15;
      expect(timeoutOf('revalidation-worker')).toBeGreaterThan(6 * checkTimeout);
      expect(resources[idOf(fnNamed('revalidation-worker').function)]?.Properties.MemorySize).toBe(1024);
      expect(timeoutOf('sweep')).toBe(300);
    });

    it('bounds each check by a deadline that ends before its function does: the API inside API Gateway, the worker its own', () => {
      const fnOf = (name: string) => propsOf(idOf(fnNamed(name).function));
      const deadlineOf = (name: string) =>
        parseDuration(String((fnOf(name).Environment as { Variables: Json }).Variables.CHECK_DEADLINE));
      const timeoutMsOf = (name: string) => (fnOf(name).Timeout as number) * 1000;
      for (const name of VENDOR_CALLING_HTTP.filter((n) => stateless.functions.has(n))) {
        expect(deadlineOf(name), name).toBe(20_000);
        expect(deadlineOf(name) + 5_000, name).toBeLessThan(timeoutMsOf(name));
      }
      // The worker runs a batch of 10, at most 4 against one host at once: three deadlines in a row.
      expect(deadlineOf('revalidation-worker')).toBe(30_000);
      expect(3 * deadlineOf('revalidation-worker')).toBeLessThan(timeoutMsOf('revalidation-worker'));
    });

    it('gives every function the same configuration, and resource names only with their grant', () => {
      for (const [name, fn] of stateless.functions) {
        const env = (propsOf(idOf(fn.function)).Environment as { Variables: Json }).Variables;
        expect(env, name).toMatchObject({
          SECRET_PREFIX: 'credval/dev',
          TENANT_CLAIM: 'org_id',
          CHECK_INTERVAL: '6h',
          INVALID_CONFIRM_AFTER: '5m',
          CHECK_TIMEOUT: '15s',
          EGRESS_ALLOW: '10.20.0.0/16',
          LOG_LEVEL: 'INFO',
          POWERTOOLS_SERVICE_NAME: 'credval',
          POWERTOOLS_METRICS_NAMESPACE: 'credval',
          NODE_OPTIONS: '--enable-source-maps',
        });
        const grants = EXPECTED_GRANTS[name] ?? [];
        const has = (variable: string) => Object.hasOwn(env, variable);
        expect(has('TABLE_NAME'), `${name} TABLE_NAME`).toBe(grants.some((g) => g.endsWith(' on table')));
        expect(has('KMS_KEY_ID'), `${name} KMS_KEY_ID`).toBe(
          grants.includes('secretsmanager:CreateSecret on secrets'),
        );
        expect(has('EVENT_BUS_NAME'), `${name} EVENT_BUS_NAME`).toBe(
          grants.includes('events:PutEvents on bus'),
        );
        expect(has('QUEUE_URL'), `${name} QUEUE_URL`).toBe(grants.includes('sqs:SendMessage on queue'));
        if (has('EVENT_BUS_NAME')) expect(env.EVENT_BUS_NAME).toEqual({ Ref: idOf(stateless.bus) });
        if (has('QUEUE_URL')) expect(env.QUEUE_URL).toEqual({ Ref: idOf(stateless.queue) });
      }
    });
  });

  describe('IAM', () => {
    it('grants each function exactly the actions it calls, on the table, its index, the prefix, the key, the queue or the bus', () => {
      for (const name of stateless.functions.keys()) {
        expect(grantsOf(name), name).toEqual(
          [...(EXPECTED_GRANTS[name] ?? ['(missing expectation)'])].sort(),
        );
      }
    });

    it('lets every function write only to its own log group (no AWSLambdaBasicExecutionRole)', () => {
      for (const name of stateless.functions.keys()) {
        const logs = statementsOf(name).filter((s) => [s.Action].flat().some((a) => a.startsWith('logs:')));
        expect(logs, name).toEqual([
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: expect.anything(),
          },
        ]);
        expect(kindOf(logs[0]?.Resource, name)).toBe('own-log-group');
      }
    });

    it('has Resource "*" only in the X-Ray policies and for ListSecrets and ListStreams, which have no resource-level permissions', () => {
      const policies = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::IAM::Policy');
      const tracingIds = new Set(
        [...stateless.functions.values()].map((fn) =>
          stateless.getLogicalId(fn.node.findChild('Tracing').node.defaultChild as CfnResource),
        ),
      );
      expect(tracingIds.size).toBe(stateless.functions.size);
      for (const [id, policy] of policies) {
        const statements = (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
        for (const s of statements) {
          const wildcard = [s.Resource].flat().some((r) => r === '*');
          const allowed =
            tracingIds.has(id) ||
            s.Action === 'secretsmanager:ListSecrets' ||
            s.Action === 'dynamodb:ListStreams';
          if (wildcard) expect(allowed, `${id} ${JSON.stringify(s)}`).toBe(true);
          if (tracingIds.has(id)) expect(wildcard, id).toBe(true);
        }
        if (tracingIds.has(id)) {
          expect(statements).toEqual([
            {
              Effect: 'Allow',
              Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
              Resource: '*',
            },
          ]);
        }
      }
    });

    it('uses the data key only through the service that needs it, and for secrets only under the prefix', () => {
      for (const name of stateless.functions.keys()) {
        for (const s of statementsOf(name)) {
          const actions = [s.Action].flat();
          if (!actions.some((a) => a.startsWith('kms:'))) continue;
          // The change feed reads the table's encrypted stream directly (the event source's grant).
          if (name === 'change-feed' && !s.Condition) continue;
          const via = JSON.stringify(s.Condition?.StringEquals?.['kms:ViaService' as never]);
          expect(via, name).toMatch(/"(dynamodb|secretsmanager)\."/);
          if (via.includes('secretsmanager')) {
            expect(
              kindOf(
                (s.Condition?.StringLike as Json | undefined)?.['kms:EncryptionContext:SecretARN'],
                name,
              ),
            ).toBe('secrets');
          }
        }
      }
    });

    it('publishes only events with source credval', () => {
      const publishers = [...stateless.functions.keys()].filter((n) =>
        EXPECTED_GRANTS[n]?.includes('events:PutEvents on bus'),
      );
      // Only the change feed: a request makes one write, the item, and its events follow from the table's stream.
      expect(publishers.sort()).toEqual(['change-feed']);
      for (const name of publishers) {
        const statement = statementsOf(name).find((s) => s.Action === 'events:PutEvents');
        expect(statement?.Condition).toEqual({ StringEquals: { 'events:source': 'credval' } });
      }
    });
  });

  describe('revalidation queue', () => {
    it('is encrypted (SSE-SQS), refuses plain HTTP, and sends a message to the dead-letter queue after 5 receives', () => {
      const queue = resources[idOf(stateless.queue)]?.Properties;
      const dlq = resources[idOf(stateless.deadLetterQueue)]?.Properties;
      expect(queue).toMatchObject({
        SqsManagedSseEnabled: true,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [idOf(stateless.deadLetterQueue), 'Arn'] },
          maxReceiveCount: 5,
        },
      });
      expect(dlq).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 86_400 });
      for (const q of [stateless.queue, stateless.deadLetterQueue]) {
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: idOf(q) }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 'sqs:*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ]),
          },
        });
      }
      template.resourceCountIs('AWS::SQS::Queue', 3);
    });

    it('hides a message from other consumers for 6 times the worker timeout', () => {
      const queue = stateless.queue.node.defaultChild as CfnQueue;
      const worker = fnNamed('revalidation-worker').function.node.defaultChild as CfnFunction;
      expect(queue.visibilityTimeout).toBeGreaterThanOrEqual(6 * (worker.timeout ?? 0));
    });

    it('feeds the worker in batches of 10, reporting partial failures, with bounded concurrency', () => {
      template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [idOf(stateless.queue), 'Arn'] },
        FunctionName: { Ref: idOf(fnNamed('revalidation-worker').function) },
        BatchSize: 10,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 5 },
      });
    });
  });

  describe('change feed', () => {
    it("reads the table's stream of credential items, bisecting, reporting partial failures, then setting records aside", () => {
      const stream = stateful.table.tableStreamArn;
      expect(stream).toBeDefined();
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: idOf(fnNamed('change-feed').function) },
        StartingPosition: 'TRIM_HORIZON',
        BisectBatchOnFunctionError: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        MaximumRetryAttempts: 10,
        DestinationConfig: {
          OnFailure: { Destination: { 'Fn::GetAtt': [idOf(stateless.changeFeedFailures), 'Arn'] } },
        },
        FilterCriteria: {
          Filters: [{ Pattern: JSON.stringify({ dynamodb: { Keys: { sk: { S: [{ prefix: 'C#' }] } } } }) }],
        },
      });
      expect(resources[idOf(stateless.changeFeedFailures)]?.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 86_400,
      });
    });

    it('is fed new and old images by the table', () => {
      const table = Template.fromStack(stateful).findResources('AWS::DynamoDB::Table');
      expect(Object.values(table)[0]?.Properties).toMatchObject({
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      });
    });
  });

  describe('HTTP API', () => {
    it('has a JWT authorizer with the configured issuer and audience', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: { Issuer: OVERRIDES.jwtIssuer, Audience: OVERRIDES.jwtAudience },
      });
    });

    it('routes exactly ROUTES, each to its own function, with the authorizer on every route but the public ones', () => {
      const authorizerId = Object.entries(resources).find(
        ([, r]) => r.Type === 'AWS::ApiGatewayV2::Authorizer',
      )?.[0];
      const routes = Object.values(resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route');
      expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(
        deployedRoutes()
          .map((r) => `${r.method} ${r.path}`)
          .sort(),
      );
      for (const route of deployedRoutes()) {
        const cfn = routes.find((r) => r.Properties.RouteKey === `${route.method} ${route.path}`)?.Properties;
        if (!route.auth) {
          expect(cfn?.AuthorizationType, route.path).toBe('NONE');
          expect(cfn?.AuthorizerId, route.path).toBeUndefined();
        } else {
          expect(cfn?.AuthorizationType, route.path).toBe('JWT');
          expect(cfn?.AuthorizerId, route.path).toEqual({ Ref: authorizerId });
        }
        const integrationId = JSON.stringify(cfn?.Target).match(/"Ref":"(\w+)"/)?.[1] ?? '';
        expect(resources[integrationId]?.Properties, route.path).toMatchObject({
          IntegrationType: 'AWS_PROXY',
          PayloadFormatVersion: '2.0',
          IntegrationUri: { 'Fn::GetAtt': [idOf(fnNamed(route.name).function), 'Arn'] },
        });
      }
      const publicPaths = ROUTES.filter((r) => !r.auth).map((r) => r.path);
      expect(publicPaths).toEqual(expect.arrayContaining(['/health', '/openapi.json']));
    });

    it('throttles the default stage and writes JSON access logs to a log group with retention', () => {
      template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
      const stage = resources[idOf(stateless.stage)]?.Properties;
      expect(stage).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
        AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': [idOf(stateless.accessLogs), 'Arn'] } },
      });
      const format = JSON.parse(
        (propsOf(idOf(stateless.stage)).AccessLogSettings as { Format: string }).Format,
      );
      expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status' });
      expect((resources[idOf(stateless.accessLogs)] as unknown as Json).DeletionPolicy).toBe('Retain');
      expect(resources[idOf(stateless.accessLogs)]?.Properties.RetentionInDays).toBe(14);
    });
  });

  describe('sweep schedule', () => {
    it('invokes the sweep at the configured rate, and the reconciliation, through a role that may invoke only those', () => {
      template.resourceCountIs('AWS::Scheduler::Schedule', 2);
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(6 hours)',
        Target: { Arn: { 'Fn::GetAtt': [idOf(fnNamed('reconcile').function), 'Arn'] } },
      });
      const roleId = idOf(stateless.sweepScheduleRole);
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(10 minutes)',
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: { 'Fn::GetAtt': [idOf(fnNamed('sweep').function), 'Arn'] },
          RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0 },
        },
      });
      expect(resources[roleId]?.Properties.AssumeRolePolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'sts:AssumeRole',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      });
      const statements = Object.values(resources)
        .filter((r) => r.Type === 'AWS::IAM::Policy')
        .filter((r) => JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
        .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: [
            { 'Fn::GetAtt': [idOf(fnNamed('sweep').function), 'Arn'] },
            { 'Fn::GetAtt': [idOf(fnNamed('reconcile').function), 'Arn'] },
          ],
        },
      ]);
    });
  });

  describe('events', () => {
    it('has its own bus, named after the stage', () => {
      template.resourceCountIs('AWS::Events::EventBus', 1);
      template.hasResourceProperties('AWS::Events::EventBus', { Name: 'credval-dev' });
    });

    it('sends Secrets Manager changes (default bus) and RevalidationRequested (credval bus) to the trigger', () => {
      const trigger = { 'Fn::GetAtt': [idOf(fnNamed('revalidation-trigger').function), 'Arn'] };
      const rules = Object.values(resources).filter((r) => r.Type === 'AWS::Events::Rule');
      expect(rules).toHaveLength(3);
      for (const rule of rules) {
        expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: trigger })]);
      }
      const onDefaultBus = rules
        .filter((r) => r.Properties.EventBusName === undefined)
        .map((r) => r.Properties.EventPattern);
      expect(onDefaultBus).toEqual(
        expect.arrayContaining([
          {
            source: ['aws.secretsmanager'],
            'detail-type': ['AWS API Call via CloudTrail', 'AWS Service Event via CloudTrail'],
            detail: {
              eventSource: ['secretsmanager.amazonaws.com'],
              eventName: expect.arrayContaining([...SECRET_CHANGE_EVENT_NAMES]),
            },
          },
          { source: ['aws.secretsmanager'], 'detail-type': ['Secret Label Updated'] },
        ]),
      );
      const onCredvalBus = rules.filter((r) => r.Properties.EventBusName !== undefined);
      expect(onCredvalBus.map((r) => [r.Properties.EventBusName, r.Properties.EventPattern])).toEqual([
        [
          { Ref: idOf(stateless.bus) },
          { source: [{ 'anything-but': ['credval'] }], 'detail-type': ['RevalidationRequested'] },
        ],
      ]);
      // EventBridge may invoke the trigger for exactly these three rules.
      const permissions = Object.values(resources).filter(
        (r) => r.Type === 'AWS::Lambda::Permission' && r.Properties.Principal === 'events.amazonaws.com',
      );
      expect(permissions).toHaveLength(3);
      for (const p of permissions) expect(p.Properties.FunctionName).toEqual(trigger);
    });
  });

  describe('alarms', () => {
    const alarmOn = (metric: string, dimension: Json) =>
      Object.values(resources).filter(
        (r) =>
          r.Type === 'AWS::CloudWatch::Alarm' &&
          r.Properties.MetricName === metric &&
          JSON.stringify(r.Properties.Dimensions).includes(JSON.stringify(dimension)),
      );

    it('alarms on anything in the dead-letter queue and on a stuck queue', () => {
      const dlq = alarmOn('ApproximateNumberOfMessagesVisible', {
        'Fn::GetAtt': [idOf(stateless.deadLetterQueue), 'QueueName'],
      });
      expect(dlq).toHaveLength(1);
      expect(dlq[0]?.Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      expect(
        alarmOn('ApproximateAgeOfOldestMessage', { 'Fn::GetAtt': [idOf(stateless.queue), 'QueueName'] }),
      ).toHaveLength(1);
    });

    it('alarms on errors and throttles of every function', () => {
      for (const [name, fn] of stateless.functions) {
        for (const metric of ['Errors', 'Throttles']) {
          const alarms = alarmOn(metric, { Ref: idOf(fn.function) });
          expect(alarms, `${name} ${metric}`).toHaveLength(1);
          expect(alarms[0]?.Properties).toMatchObject({
            Namespace: 'AWS/Lambda',
            Threshold: 1,
            Statistic: 'Sum',
          });
        }
      }
      template.resourceCountIs('AWS::CloudWatch::Alarm', 2 * stateless.functions.size + 4);
    });
  });

  describe('stateful data it uses', () => {
    it('keeps the table encrypted with the data key, with point-in-time recovery', () => {
      Template.fromStack(stateful).hasResourceProperties('AWS::DynamoDB::Table', {
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      });
    });
  });
});

const SECRET_ITEMS = (...actions: string[]) => actions.map((a) => `dynamodb:${a} on table [SECRET#*]`);
const DATA_KEYS = (...actions: string[]) =>
  actions.map((a) => `kms:${a} on key for credval/dev/* context credval:secret`);
const BRANCH_KEYS = (...actions: string[]) =>
  actions.map((a) => `kms:${a} on key branch keys credval/dev/branch-keys/* context credval:branch-key`);

/**
 * The same deployment with `secretStore=envelope`: no Secrets Manager action anywhere; secrets are item actions
 * limited to the secret items' partitions, branch key actions limited to the deployment's branch keys (writers
 * generate and decrypt, readers decrypt), and data key actions limited to secrets under the prefix (readers, for
 * versions sealed before branch keys). Everything else as in EXPECTED_GRANTS.
 */
const EXPECTED_ENVELOPE_GRANTS: Record<string, string[]> = {
  ...EXPECTED_GRANTS,
  'create-credential': [
    ...READWRITE,
    'dynamodb:UpdateItem on table',
    'dynamodb:DeleteItem on table',
    ...SECRET_ITEMS('GetItem', 'PutItem', 'DeleteItem', 'Query'),
    ...BRANCH_KEYS('GenerateDataKey', 'Decrypt'),
  ],
  'update-credential': [
    ...READWRITE,
    ...SECRET_ITEMS('GetItem', 'PutItem', 'Query'),
    ...BRANCH_KEYS('Decrypt', 'GenerateDataKey'),
    ...DATA_KEYS('Decrypt'),
  ],
  'delete-credential': [
    ...READ,
    'dynamodb:DeleteItem on table',
    ...SECRET_ITEMS('GetItem', 'UpdateItem', 'PutItem', 'DeleteItem'),
  ],
  'recheck-credential': [
    ...READWRITE,
    ...SECRET_ITEMS('GetItem'),
    ...BRANCH_KEYS('Decrypt'),
    ...DATA_KEYS('Decrypt'),
  ],
  'revalidation-worker': [
    ...READWRITE,
    ...SECRET_ITEMS('GetItem'),
    ...BRANCH_KEYS('Decrypt'),
    ...DATA_KEYS('Decrypt'),
    'sqs:ReceiveMessage on queue',
    'sqs:ChangeMessageVisibility on queue',
    'sqs:GetQueueUrl on queue',
    'sqs:DeleteMessage on queue',
    'sqs:GetQueueAttributes on queue',
  ],
  'change-feed': [
    ...(EXPECTED_GRANTS['change-feed'] ?? []),
    // The event source's grant decrypts with the key directly; the stream carries the envelope items.
    'DENY kms:Decrypt on key for any secret',
    'DENY kms:Decrypt on key for any branch key',
  ],
  reconcile: [...READ, ...SECRET_ITEMS('Query', 'GetItem', 'UpdateItem', 'PutItem', 'DeleteItem')],
  'register-credential': EXPECTED_GRANTS['register-credential'] ?? [],
};

describe('stateless stack with secretStore=envelope', () => {
  let reader: ReturnType<typeof grantReader>;
  let stateless: StatelessStack;

  beforeAll(() => {
    // A larger worker concurrency rides along on this second synth (README "Scale").
    const built = buildApp(newApp(), { ...OVERRIDES, secretStore: 'envelope', workerConcurrency: 40 });
    stateless = built.stateless;
    reader = grantReader(built);
  }, 60_000);

  it('lets the queue run as many worker invocations at once as workerConcurrency says', () => {
    Template.fromStack(stateless).hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [reader.idOf(stateless.queue), 'Arn'] },
      ScalingConfig: { MaximumConcurrency: 40 },
    });
  });

  it('grants each function exactly the actions it calls: secret items and data keys, no Secrets Manager', () => {
    expect(Object.keys(EXPECTED_ENVELOPE_GRANTS).sort()).toEqual([...stateless.functions.keys()].sort());
    for (const name of stateless.functions.keys()) {
      expect(reader.grantsOf(name), name).toEqual([...(EXPECTED_ENVELOPE_GRANTS[name] ?? [])].sort());
    }
  });

  it('tells the functions that touch secrets the store, the table and the key, and the others nothing of it', () => {
    for (const [name, fn] of stateless.functions) {
      const props = reader.resources[reader.idOf(fn.function)]?.Properties as Json;
      const env = (props.Environment as { Variables: Json }).Variables;
      const grants = EXPECTED_ENVELOPE_GRANTS[name] ?? [];
      const touchesSecrets = grants.some((g) => g.includes('[SECRET#*]'));
      expect(env.SECRET_STORE, name).toBe(touchesSecrets ? 'envelope' : undefined);
      expect(Object.hasOwn(env, 'KMS_KEY_ID'), `${name} KMS_KEY_ID`).toBe(touchesSecrets);
      if (touchesSecrets) expect(Object.hasOwn(env, 'TABLE_NAME'), name).toBe(true);
    }
  });
});
