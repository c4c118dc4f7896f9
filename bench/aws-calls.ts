// Part 4: AWS calls per operation, counted at the adapters: DynamoDB by an SDK middleware on the real
// DynamoCredentialRepository (and the Powertools idempotency layer) over dynalite; Secrets Manager, EventBridge
// and SQS through the real adapters over clients mocked with aws-sdk-client-mock. The HTTP operations run
// through the real Lambda handlers (shared/http/handlers/) built from the same parts as the functions, so
// Idempotency-Key records are counted too; the scheduled re-check is the worker on a message from a real sweep.
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { meteredChecker } from '../shared/app/checker.ts';
import { parseEnvironment } from '../shared/app/environment.ts';
import { createIdempotency } from '../shared/app/idempotency.ts';
import { serviceConfigOf } from '../shared/app/service-config.ts';
import { makeCreateCredentialHandler } from '../shared/http/handlers/create-credential.ts';
import { makeDeleteCredentialHandler } from '../shared/http/handlers/delete-credential.ts';
import { makeRecheckHandler } from '../shared/http/handlers/recheck-credential.ts';
import { makeUpdateCredentialHandler } from '../shared/http/handlers/update-credential.ts';
import type { HttpResult } from '../shared/http/problem.ts';
import type { HttpEvent } from '../shared/http/route.ts';
import { createGuardedClient } from '../shared/net/guarded-client.ts';
import { ChangeFeedConsumer } from '../shared/service/change-feed.ts';
import { CredentialCommands } from '../shared/service/credential-commands.ts';
import { DynamoCredentialRepository } from '../shared/store/dynamo-credential-repository.ts';
import { EnvelopeSecretStore, secretItemKey } from '../shared/store/envelope-secret-store.ts';
import { EventBridgePublisher } from '../shared/store/eventbridge-publisher.ts';
import { KmsDataKeys } from '../shared/store/kms-data-keys.ts';
import { createDynamoClient } from '../shared/store/local-dynamo.ts';
import { SecretsManagerSecretStore } from '../shared/store/secrets-manager-secret-store.ts';
import { SqsRevalidationQueue } from '../shared/store/sqs-queue.ts';
import { FAKE_KMS_KEY } from '../test/helpers/fake-kms.ts';
import { revalidationOf } from '../test/helpers/revalidation.ts';
import { startDolibarrSimulator } from '../test/simulators/dolibarr.ts';
import { DOLIBARR_KEYS, dolibarrRecordedConfig } from '../test/simulators/fixtures.ts';
import { CallCounter, countDynamoCalls, describeCalls } from './lib/aws-counter.ts';
import { documentClientOf, startDynaliteChild } from './lib/dynamo.ts';
import { fakeEventBridge, fakeKmsCounted, fakeSecretsManager, fakeSqs } from './lib/fake-aws.ts';
import { table, yesNo } from './lib/stats.ts';

const TABLE = 'credval-bench-calls';
const TENANT = 'bench';
/** Goals (issue "the write path"): calls in the request path of each operation. */
export const CALLS_GOAL = 3;
export const IDEMPOTENT_CREATE_GOAL = 4;
export const ROTATION_GOAL = 4;

export interface OperationCalls {
  operation: string;
  /** The request path's goal, where there is one. */
  goal: number | null;
  calls: Record<string, number>;
  byService: Record<string, number>;
  total: number;
  goalMet: boolean | null;
}

export interface AwsCallsResult {
  /** SECRET_STORE of the run. */
  secretStore: 'secretsmanager' | 'envelope';
  operations: OperationCalls[];
  /**
   * The envelope store only: the secret item's size as DynamoDB counts it (attribute names and values), with one
   * version and with two (after a rotation), and what each version adds.
   */
  footprint?: { oneVersion: number; twoVersions: number; perVersion: number; dataKeyBlob: number };
  /** What one sweep cost, for `due` credentials. */
  sweep: { due: number; calls: Record<string, number>; total: number };
}

function httpEvent(options: {
  method: string;
  path: string;
  routePath: string;
  body?: unknown;
  headers?: Record<string, string>;
  pathParameters?: Record<string, string>;
}): HttpEvent {
  const now = new Date();
  return {
    version: '2.0',
    routeKey: `${options.method} ${options.routePath}`,
    rawPath: options.path,
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      ...(options.headers ?? {}),
    },
    ...(options.pathParameters ? { pathParameters: options.pathParameters } : {}),
    requestContext: {
      accountId: '111111111111',
      apiId: 'bench',
      domainName: 'bench.example.com',
      domainPrefix: 'bench',
      http: {
        method: options.method,
        path: options.path,
        protocol: 'HTTP/1.1',
        sourceIp: '127.0.0.1',
        userAgent: 'bench',
      },
      requestId: randomUUID(),
      routeKey: `${options.method} ${options.routePath}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      authorizer: {
        principalId: TENANT,
        integrationLatency: 0,
        jwt: { claims: { tenant_id: TENANT, sub: 'bench' }, scopes: [] },
      },
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    isBase64Encoded: false,
  } as HttpEvent;
}

function lambdaContext(): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'credval-bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:credval-bench',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/credval-bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const byService = (calls: Record<string, number>) => {
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(calls)) {
    const service = key.split(':')[0] ?? key;
    out[service] = (out[service] ?? 0) + n;
  }
  return out;
};

/**
 * An item's size as DynamoDB counts it for storage and capacity: each attribute name's UTF-8 length plus its
 * value (strings and binaries by length, numbers about a byte per two digits plus one, 3 bytes for each list or
 * map plus 1 per element), as the DynamoDB developer guide's "item sizes" describes it.
 */
export function dynamoItemSize(item: Record<string, unknown>): number {
  const valueSize = (value: unknown): number => {
    if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
    if (value instanceof Uint8Array) return value.length;
    if (typeof value === 'number')
      return Math.ceil(String(Math.abs(value)).replace(/[.-]/g, '').length / 2) + 1;
    if (typeof value === 'boolean' || value === null) return 1;
    if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + valueSize(v), 0);
    if (typeof value === 'object') {
      return (
        3 +
        Object.entries(value as Record<string, unknown>).reduce(
          (n, [k, v]) => n + 1 + Buffer.byteLength(k, 'utf8') + valueSize(v),
          0,
        )
      );
    }
    return 0;
  };
  return Object.entries(item).reduce((n, [k, v]) => n + Buffer.byteLength(k, 'utf8') + valueSize(v), 0);
}

export async function benchAwsCalls(
  secretStore: 'secretsmanager' | 'envelope' = 'secretsmanager',
): Promise<AwsCallsResult> {
  // Metrics would print EMF to stdout on every request; Powertools reads this when a Metrics is made.
  const metricsDisabled = process.env.POWERTOOLS_METRICS_DISABLED;
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const dynamo = await startDynaliteChild(TABLE);
  const counter = new CallCounter();
  const lowLevel = createDynamoClient(dynamo.endpoint);
  countDynamoCalls(lowLevel, counter);
  const dolibarr = await startDolibarrSimulator(dolibarrRecordedConfig({ failureDelayMs: 0 }));
  const client = createGuardedClient({ egressAllow: ['127.0.0.0/8'] });
  try {
    const env = parseEnvironment({ TABLE_NAME: TABLE, EGRESS_ALLOW: '127.0.0.0/8', LOG_LEVEL: 'SILENT' });
    const sqs = fakeSqs(counter);
    const storage = {
      repository: new DynamoCredentialRepository({ client: documentClientOf(lowLevel), tableName: TABLE }),
      secrets:
        secretStore === 'envelope'
          ? new EnvelopeSecretStore({
              client: documentClientOf(lowLevel),
              tableName: TABLE,
              keys: new KmsDataKeys({ client: fakeKmsCounted(counter).client, keyId: FAKE_KMS_KEY }),
              secretPrefix: 'credval',
            })
          : new SecretsManagerSecretStore({
              client: fakeSecretsManager(counter),
              kmsKeyId: 'arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-4000-8000-000000000000',
            }),
      idempotency: createIdempotency(lowLevel, TABLE),
      queue: new SqsRevalidationQueue({
        client: sqs.client,
        queueUrl: env.QUEUE_URL ?? 'https://sqs.eu-west-1.amazonaws.com/111111111111/q',
      }),
    };
    const logger = new Logger({ serviceName: 'credval-bench', logLevel: 'SILENT' });
    const metrics = new Metrics({ namespace: 'credval', serviceName: 'credval' });
    const check = meteredChecker(client, metrics);
    const config = serviceConfigOf(env);
    const commands = new CredentialCommands({ ...storage, check, config, clock: { now: () => new Date() } });
    const base = { logger, metrics, tenantClaim: env.TENANT_CLAIM, corsOrigins: env.CORS_ORIGINS };
    const create = makeCreateCredentialHandler({ ...base, commands, idempotency: storage.idempotency });
    const recheck = makeRecheckHandler({ ...base, commands });
    const update = makeUpdateCredentialHandler({ ...base, commands });
    const remove = makeDeleteCredentialHandler({
      ...base,
      deletion: { ...storage, recoveryDays: config.deletionRecoveryDays },
    });
    // What the table's stream feeds on AWS, outside every request: counted on its own below.
    const feed = new ChangeFeedConsumer({
      repository: storage.repository,
      events: new EventBridgePublisher({ client: fakeEventBridge(counter), busName: 'credval-bench' }),
      historyTtlDays: config.historyTtlDays,
      clock: { now: () => new Date() },
    });
    const operations: OperationCalls[] = [];

    const measure = async (
      operation: string,
      goal: number | null,
      run: () => Promise<HttpResult | unknown>,
    ) => {
      counter.reset();
      const result = await run();
      const calls = counter.snapshot();
      operations.push({
        operation,
        goal,
        calls,
        byService: byService(calls),
        total: counter.total,
        goalMet: goal === null ? null : counter.total <= goal,
      });
      return result;
    };
    const expectStatus = (result: unknown, status: number, what: string) => {
      const r = result as HttpResult;
      if (r.statusCode !== status) throw new Error(`${what} answered ${r.statusCode}: ${r.body}`);
      return JSON.parse(r.body) as { id: string; version: number };
    };
    const createBody = (name: string) => ({
      connector: 'dolibarr',
      name,
      fields: { baseUrl: dolibarr.url, apiKey: DOLIBARR_KEYS.admin },
    });
    const createEvent = (name: string, key?: string) =>
      httpEvent({
        method: 'POST',
        path: '/credentials',
        routePath: '/credentials',
        body: createBody(name),
        ...(key ? { headers: { 'idempotency-key': key } } : {}),
      });

    // Once per container: the HMAC key for Idempotency-Key fingerprints (read, or made on the very first use).
    await measure('once per container: the idempotency key (first use: read, then create)', null, () =>
      storage.idempotency.key(),
    );
    // Once per container and BRANCH_KEY_CACHE_MS (envelope): the newest branch key, read and decrypted by KMS, or
    // made on the very first use. Sealed with a secret of its own, so the operations below count a warm container.
    if (secretStore === 'envelope') {
      await measure('once per container and 5 minutes: the branch key (first use: made)', null, () =>
        storage.secrets.create(
          `credval/${TENANT}/warm-up`,
          { apiKey: 'warm-up' },
          {
            requestToken: randomUUID(),
            tags: { tenantId: TENANT, credentialId: 'warm-up', connector: 'dolibarr' },
          },
        ),
      );
    }
    const key = randomUUID();
    const created = expectStatus(
      await measure('create (POST /credentials, Idempotency-Key)', IDEMPOTENT_CREATE_GOAL, () =>
        create(createEvent('bench-1', key), lambdaContext()),
      ),
      201,
      'create',
    );
    expectStatus(
      await measure('create retried with the same Idempotency-Key', null, () =>
        create(createEvent('bench-1', key), lambdaContext()),
      ),
      201,
      'create replay',
    );
    expectStatus(
      await measure('create (POST /credentials, no key)', CALLS_GOAL, () =>
        create(createEvent('bench-2'), lambdaContext()),
      ),
      201,
      'create without key',
    );
    const idPath = (id: string, suffix = '') => ({
      path: `/credentials/${id}${suffix}`,
      pathParameters: { id },
    });
    expectStatus(
      await measure('re-check (POST /credentials/{id}/validate)', CALLS_GOAL, () =>
        recheck(
          httpEvent({
            method: 'POST',
            routePath: '/credentials/{id}/validate',
            ...idPath(created.id, '/validate'),
          }),
          lambdaContext(),
        ),
      ),
      200,
      'recheck',
    );
    // Rotation: the vendor issues a new key, and the credential is updated with it (checked, then written once).
    const newKey = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const admin = dolibarrRecordedConfig().users.find((u) => u.apiKey === DOLIBARR_KEYS.admin);
    dolibarr.setApiKey(admin?.login ?? 'admin', newKey);
    const secretItem = async () =>
      (
        await documentClientOf(createDynamoClient(dynamo.endpoint)).send(
          new GetCommand({ TableName: TABLE, Key: secretItemKey(`credval/${TENANT}/${created.id}`) }),
        )
      ).Item;
    const before = secretStore === 'envelope' ? await secretItem() : undefined;
    expectStatus(
      await measure('rotation (PATCH /credentials/{id} with a new secret)', ROTATION_GOAL, () =>
        update(
          httpEvent({
            method: 'PATCH',
            routePath: '/credentials/{id}',
            ...idPath(created.id),
            body: { fields: { apiKey: newKey } },
          }),
          lambdaContext(),
        ),
      ),
      200,
      'rotation',
    );
    dolibarr.setApiKey(admin?.login ?? 'admin', DOLIBARR_KEYS.admin);
    const after = secretStore === 'envelope' ? await secretItem() : undefined;
    const footprint =
      before && after
        ? {
            oneVersion: dynamoItemSize(before),
            twoVersions: dynamoItemSize(after),
            perVersion: dynamoItemSize(after) - dynamoItemSize(before),
            // Versions sealed under a branch key carry no KMS blob of their own.
            dataKeyBlob: ((before.versions as Array<{ key?: Uint8Array }>)[0]?.key ?? new Uint8Array())
              .length,
          }
        : undefined;

    // Scheduled re-check: a sweep once both credentials are due, then the worker on one queued message.
    const later = { now: () => new Date(Date.now() + 7 * 3_600_000) };
    const revalidation = revalidationOf({ ...storage, check, config, clock: later });
    counter.reset();
    const swept = await revalidation.sweep();
    const sweepCalls = counter.snapshot();
    const sweepTotal = counter.total;
    const message = sqs.received.find((m) => m.credentialId === created.id);
    if (!message) throw new Error('the sweep did not queue the credential');
    const outcome = await measure('scheduled re-check (the worker)', CALLS_GOAL, () =>
      revalidation.work(message),
    );
    if (outcome !== 'checked') throw new Error(`the worker answered ${String(outcome)}`);

    // Outside the request path: what the stream consumer does for one stored check (a history entry and the
    // events), and a delete.
    const stored = await storage.repository.get(TENANT, created.id);
    await measure('change feed, per stored check (stream consumer, not the request)', null, () =>
      feed.handle({ before: null, after: stored }),
    );
    const deleted = await measure('delete (DELETE /credentials/{id})', CALLS_GOAL, () =>
      remove(
        httpEvent({ method: 'DELETE', routePath: '/credentials/{id}', ...idPath(created.id) }),
        lambdaContext(),
      ),
    );
    if ((deleted as HttpResult).statusCode !== 204) throw new Error('delete did not answer 204');
    return {
      secretStore,
      operations,
      sweep: { due: swept.due, calls: sweepCalls, total: sweepTotal },
      ...(footprint ? { footprint } : {}),
    };
  } finally {
    await client.close();
    await dolibarr.close();
    lowLevel.destroy();
    await dynamo.stop();
    if (metricsDisabled === undefined) delete process.env.POWERTOOLS_METRICS_DISABLED;
    else process.env.POWERTOOLS_METRICS_DISABLED = metricsDisabled;
  }
}

export function printAwsCalls(r: AwsCallsResult): string {
  return [
    `AWS calls per operation, SECRET_STORE=${r.secretStore} (counted at the adapters; goals: create <= 3, with Idempotency-Key <= 4, re-check <= 3, rotation <= 4)`,
    table(
      ['operation', 'DynamoDB', 'Secrets Manager', 'KMS', 'EventBridge', 'total', 'goal'],
      r.operations.map((o) => [
        o.operation,
        o.byService.DynamoDB ?? 0,
        o.byService.SecretsManager ?? 0,
        o.byService.KMS ?? 0,
        o.byService.EventBridge ?? 0,
        o.total,
        o.goal === null ? '-' : `<= ${o.goal}: ${yesNo(o.goalMet === true)}`,
      ]),
    ),
    ...r.operations.map((o) => `  ${o.operation}: ${describeCalls(o.calls)}`),
    `one sweep (${r.sweep.due} due credentials): ${r.sweep.total} calls (${describeCalls(r.sweep.calls)})`,
    ...(r.footprint
      ? [
          `secret item (DynamoDB item size): ${r.footprint.oneVersion} bytes with one version, ${r.footprint.twoVersions} with two: ${r.footprint.perVersion} bytes per version${r.footprint.dataKeyBlob > 0 ? `, of which ${r.footprint.dataKeyBlob} the encrypted data key (the test double's; KMS's own blob is larger)` : ' (sealed under a branch key: a salt and the key id, no KMS blob)'}`,
        ]
      : []),
  ].join('\n');
}
