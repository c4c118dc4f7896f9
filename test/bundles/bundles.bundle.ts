// Runs only under `npm run test:bundles` (vitest.bundles.config.ts); `npm test` never collects *.bundle.ts.
//
// Every function is bundled exactly as the stack bundles it (a real synth of the app, NodejsFunction with the
// BUNDLING options of infra/credval-function.ts and local esbuild), then each bundle is loaded in a fresh Node
// process and its handler invoked once with a real-shaped event: HTTP functions with API Gateway v2 events,
// the sweep with a schedule event, the worker with an SQS batch, the trigger with an EventBridge event.
// DynamoDB is dynalite behind a recording proxy; Secrets Manager, EventBridge and SQS cannot run here, so each
// scenario avoids them, and the proxy proves it (every AWS call is recorded by its X-Amz-Target). The processes
// may reach loopback only (loopback-only.mjs). Bundle sizes go to test/artifacts/bundle-sizes.json.
import { spawn } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  type AttributeValue,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { type CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASELINE_SOURCE, esbuildOptionsOf } from '../../bench/bundles.ts';
import { buildApp } from '../../infra/app.ts';
import { CredentialCheck } from '../../infra/credential-check.ts';
import { BUNDLING, ESM_REQUIRE_BANNER, PROJECT_ROOT } from '../../infra/credval-function.ts';
import type { StatelessStack } from '../../infra/stateless-stack.ts';
import type { Credential } from '../../shared/domain/credential.ts';
import { TABLE_LAYOUT } from '../../shared/domain/table-layout.ts';
import { ROUTES } from '../../shared/http/routes.ts';
import { DynamoCredentialRepository } from '../../shared/store/dynamo-credential-repository.ts';
import { secretItemKey } from '../../shared/store/envelope-secret-store.ts';
import {
  createDocumentClient,
  createDynamoClient,
  ensureCredentialsTable,
  type LocalDynamo,
  startLocalDynamo,
} from '../../shared/store/local-dynamo.ts';
import { newApp, synthesize } from '../infra/support.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';
import { bundleBudget } from './budgets.ts';

const HERE = import.meta.dirname;
const TABLE = 'credval-bundles';
const EMPTY_TABLE = 'credval-bundles-empty';
/** The envelope runs' own table, so that the default runs see only what they seeded. */
const ENVELOPE_TABLE = 'credval-bundles-envelope';
const TENANT = 'tenant-a';
const SEEDED_ID = 'seeded-credential-1';
const MISSING_ID = 'no-such-credential';
const API_KEY = 'bundle-test-dolibarr-key';
const DYNAMO = 'DynamoDB_20120810.';

/** The key-encryption key of the KMS stand-in (per test run). */
const STAND_IN_KEK = randomBytes(32);

/**
 * KMS GenerateDataKey and Decrypt as the envelope store calls them, really encrypting: a data key is wrapped with
 * AES-256-GCM under STAND_IN_KEK, the key id and the encryption context as authenticated data, so Decrypt under
 * another context is refused with KMS's own error (InvalidCiphertextException).
 */
function kmsStandIn(
  target: string,
  input: { KeyId?: string; EncryptionContext?: Record<string, string>; CiphertextBlob?: string },
): { status: number; body: unknown } {
  const aad = Buffer.from(
    JSON.stringify([input.KeyId ?? '', Object.entries(input.EncryptionContext ?? {}).sort()]),
  );
  if (target === 'TrentService.GenerateDataKey') {
    const plaintext = randomBytes(32);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', STAND_IN_KEK, iv);
    cipher.setAAD(aad);
    const wrapped = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return {
      status: 200,
      body: {
        KeyId: input.KeyId,
        Plaintext: plaintext.toString('base64'),
        CiphertextBlob: wrapped.toString('base64'),
      },
    };
  }
  try {
    const blob = Buffer.from(input.CiphertextBlob ?? '', 'base64');
    const decipher = createDecipheriv('aes-256-gcm', STAND_IN_KEK, blob.subarray(0, 12));
    decipher.setAAD(aad);
    decipher.setAuthTag(blob.subarray(blob.length - 16));
    const plaintext = Buffer.concat([decipher.update(blob.subarray(12, blob.length - 16)), decipher.final()]);
    return { status: 200, body: { KeyId: input.KeyId, Plaintext: plaintext.toString('base64') } };
  } catch {
    return { status: 400, body: { __type: 'InvalidCiphertextException', message: 'invalid ciphertext' } };
  }
}

/** One recorded AWS API call: its X-Amz-Target (e.g. DynamoDB_20120810.GetItem), or method and path. */
type AwsCalls = string[];

/**
 * Forwards DynamoDB calls to dynalite, answers Secrets Manager's ListSecrets with `secretList` (the
 * reconciliation's one read) and GetSecretValue from `secretValues`, and every other AWS API with an error,
 * recording them all.
 */
async function startAwsProxy(dynamoEndpoint: string) {
  const calls: AwsCalls = [];
  const state = {
    secretList: [] as Array<{ Name: string; CreatedDate: number }>,
    /** GetSecretValue answers by ARN (the CredentialCheck provider's one read). */
    secretValues: {} as Record<string, { SecretString: string; VersionId: string }>,
  };
  const upstream = new URL(dynamoEndpoint);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? `${req.method} ${req.url}`);
      calls.push(target);
      if (target === 'secretsmanager.ListSecrets') {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ SecretList: state.secretList }));
        return;
      }
      if (target === 'secretsmanager.GetSecretValue') {
        const { SecretId } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { SecretId: string };
        const secret = state.secretValues[SecretId];
        res.writeHead(secret ? 200 : 400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(
          JSON.stringify(
            secret
              ? { ARN: SecretId, ...secret }
              : { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the secret." },
          ),
        );
        return;
      }
      if (target === 'TrentService.GenerateDataKey' || target === 'TrentService.Decrypt') {
        const answer = kmsStandIn(target, JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(answer.body));
        return;
      }
      if (!target.startsWith(DYNAMO)) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'UnrecognizedClientException', message: 'not emulated here' }));
        return;
      }
      const headers: IncomingHttpHeaders = { ...req.headers, host: upstream.host };
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

interface Invocation {
  result?: unknown;
  error?: { name?: string; message?: string; stack?: string; phase?: string };
  importMs?: number;
  invokeMs?: number;
  calls: AwsCalls;
  network: string[];
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

interface HttpAnswer {
  statusCode: number;
  headers?: Record<string, string>;
  body?: string;
}

/** An API Gateway HTTP API (payload 2.0) event for a route of ROUTES, as the JWT authorizer passes it on. */
function httpEvent(
  name: string,
  options: { id?: string; body?: unknown; headers?: Record<string, string>; tenant?: string | null } = {},
) {
  const route = ROUTES.find((r) => r.name === name);
  if (!route) throw new Error(`no route ${name}`);
  const rawPath = route.path.replace('{id}', options.id ?? '');
  const tenant = options.tenant === undefined ? TENANT : options.tenant;
  const now = new Date();
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return {
    version: '2.0',
    routeKey: `${route.method} ${route.path}`,
    rawPath,
    rawQueryString: '',
    headers: {
      accept: 'application/json',
      host: 'api.example.com',
      'user-agent': 'bundle-test',
      'x-forwarded-for': '203.0.113.9',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(!route.auth ? {} : { authorization: 'Bearer (verified by API Gateway)' }),
      ...options.headers,
    },
    requestContext: {
      accountId: '111111111111',
      apiId: 'bundletest',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: {
        method: route.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.9',
        userAgent: 'bundle-test',
      },
      requestId: `req-${now.getTime()}`,
      routeKey: `${route.method} ${route.path}`,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      ...(!route.auth || tenant === null
        ? {}
        : {
            authorizer: {
              jwt: {
                claims: { sub: 'user-1', iss: 'https://issuer.example.com/', tenant_id: tenant },
                scopes: null,
              },
            },
          }),
    },
    ...(options.id === undefined ? {} : { pathParameters: { id: options.id } }),
    ...(body === undefined ? {} : { body }),
    isBase64Encoded: false,
  };
}

/** One record of the table's DynamoDB stream (NEW_AND_OLD_IMAGES), as Lambda receives it. */
function streamRecord(
  sequence: string,
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE',
  oldImage: Record<string, unknown> | null,
  newImage: Record<string, unknown> | null,
) {
  const image = newImage ?? oldImage ?? {};
  return {
    eventID: `event-${sequence}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'eu-west-1',
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
      Keys: { pk: image.pk, sk: image.sk },
      ...(oldImage ? { OldImage: oldImage } : {}),
      ...(newImage ? { NewImage: newImage } : {}),
      SequenceNumber: sequence,
      SizeBytes: 1024,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    eventSourceARN:
      'arn:aws:dynamodb:eu-west-1:111111111111:table/credval-bundles/stream/2026-12-07T00:00:00.000',
  };
}

/** An SQS event of one message, as the event source mapping delivers it to the worker. */
function sqsEvent(messageId: string, message: Record<string, unknown>) {
  return {
    Records: [
      {
        messageId,
        receiptHandle: `AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0-${messageId.slice(0, 4)}`,
        body: JSON.stringify(message),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: String(Date.now()),
          SenderId: 'AIDAIENQZJOLO23YVJ4VO',
          ApproximateFirstReceiveTimestamp: String(Date.now()),
        },
        messageAttributes: {},
        md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:eu-west-1:111111111111:credval-revalidation',
        awsRegion: 'eu-west-1',
      },
    ],
  };
}

const problemCode = (answer: HttpAnswer) => (JSON.parse(answer.body ?? '{}') as { code?: string }).code;
const json = (answer: HttpAnswer) => JSON.parse(answer.body ?? 'null') as Record<string, unknown>;
const header = (answer: HttpAnswer, name: string) =>
  Object.entries(answer.headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];

interface Scenario {
  /** What this run shows, for the test name. */
  what: string;
  setup?(): void;
  event(): unknown;
  env?: Record<string, string>;
  check(result: unknown, calls: AwsCalls): void;
}

const onlyDynamo = (calls: AwsCalls) => {
  for (const call of calls) expect(call, 'an AWS call other than DynamoDB').toMatch(/^DynamoDB_20120810\./);
};

describe('Lambda bundles', () => {
  let outdir: string;
  let stateless: StatelessStack;
  let template: Template;
  let dynamo: LocalDynamo;
  let proxy: Awaited<ReturnType<typeof startAwsProxy>>;
  let dolibarr: DolibarrSimulator;
  let work: string;
  /** A stored credential with a check, as a DynamoDB stream image (attribute values). */
  let seededImage: Record<string, unknown> = {};
  const sizes: Array<{
    name: string;
    bytes: number;
    gzipBytes: number;
    sourceMapBytes: number;
    importMs?: number;
    invokeMs?: number;
  }> = [];

  const scenarios: Record<string, Scenario> = {
    console: {
      what: 'GET / serves the console page',
      event: () => httpEvent('console'),
      check: (result, calls) => {
        const answer = result as HttpAnswer;
        expect(answer.statusCode).toBe(200);
        expect(header(answer, 'content-type')).toMatch(/^text\/html/);
        expect(calls).toEqual([]);
      },
    },
    health: {
      what: 'GET /health answers ok',
      event: () => httpEvent('health'),
      check: (result, calls) => {
        expect(result).toMatchObject({ statusCode: 200 });
        expect(json(result as HttpAnswer)).toEqual({ status: 'ok' });
        expect(calls).toEqual([]);
      },
    },
    openapi: {
      what: 'GET /openapi.json answers the OpenAPI 3.1 document',
      event: () => httpEvent('openapi'),
      check: (result, calls) => {
        expect(result).toMatchObject({ statusCode: 200 });
        expect(String(json(result as HttpAnswer).openapi)).toMatch(/^3\.1/);
        expect(calls).toEqual([]);
      },
    },
    'list-connectors': {
      what: 'GET /connectors lists the catalogue',
      event: () => httpEvent('list-connectors'),
      check: (result, calls) => {
        expect(result).toMatchObject({ statusCode: 200 });
        const ids = (json(result as HttpAnswer).items as Array<{ id: string }>).map((c) => c.id);
        expect(ids).toEqual(expect.arrayContaining(['dolibarr', 'odoo', 'precoro']));
        expect(calls).toEqual([]);
      },
    },
    'validate-credential': {
      what: 'POST /validations checks a Dolibarr key against the simulator (EGRESS_ALLOW=127.0.0.0/8)',
      env: { EGRESS_ALLOW: '127.0.0.0/8' },
      event: () =>
        httpEvent('validate-credential', {
          body: { connector: 'dolibarr', fields: { baseUrl: dolibarr.url, apiKey: API_KEY } },
        }),
      check: (result, calls) => {
        expect(result).toMatchObject({ statusCode: 200 });
        expect(json(result as HttpAnswer).verdict).toBe('valid');
        expect(calls).toEqual([]);
      },
    },
    'create-credential': {
      what: 'POST /credentials with a rejected key answers 422 before any secret is written',
      env: { EGRESS_ALLOW: '127.0.0.0/8' },
      event: () =>
        httpEvent('create-credential', {
          body: {
            connector: 'dolibarr',
            name: 'Rejected',
            fields: { baseUrl: dolibarr.url, apiKey: 'wrong-key' },
          },
          headers: { 'idempotency-key': 'bundle-test-create-1' },
        }),
      check: (result, calls) => {
        expect(result).toMatchObject({ statusCode: 422 });
        expect(problemCode(result as HttpAnswer)).toBeTruthy();
        // Only the idempotency record in the table: no CreateSecret, no PutEvents.
        onlyDynamo(calls);
      },
    },
    'list-credentials': {
      what: 'GET /credentials lists the tenant’s credentials from the table',
      event: () => httpEvent('list-credentials'),
      check: (result, calls) => {
        expect(result).toMatchObject({ statusCode: 200 });
        const items = json(result as HttpAnswer).items as Array<{ id: string }>;
        expect(items.map((c) => c.id)).toEqual(['checked-credential-1', SEEDED_ID]);
        expect(calls).toEqual([`${DYNAMO}Query`]);
      },
    },
    'get-credential': {
      what: 'GET /credentials/{id} reads one credential',
      event: () => httpEvent('get-credential', { id: SEEDED_ID }),
      check: (result, calls) => {
        expect(result).toMatchObject({ statusCode: 200 });
        expect(json(result as HttpAnswer)).toMatchObject({ id: SEEDED_ID, connector: 'dolibarr' });
        expect(JSON.stringify(result)).not.toContain('secretName');
        expect(calls).toEqual([`${DYNAMO}GetItem`]);
      },
    },
    'update-credential': {
      what: 'PATCH /credentials/{id} renames (no vendor call, no secret)',
      event: () =>
        httpEvent('update-credential', { id: SEEDED_ID, body: { name: 'Renamed by the bundle test' } }),
      check: (result, calls) => {
        expect(result).toMatchObject({ statusCode: 200 });
        expect(json(result as HttpAnswer)).toMatchObject({ name: 'Renamed by the bundle test', version: 2 });
        expect(calls).toEqual([`${DYNAMO}GetItem`, `${DYNAMO}PutItem`]);
      },
    },
    'delete-credential': {
      what: 'DELETE /credentials/{id} of a missing credential answers 404 before touching its secret',
      event: () => httpEvent('delete-credential', { id: MISSING_ID }),
      check: (result, calls) => {
        expect(result).toMatchObject({ statusCode: 404 });
        expect(calls).toEqual([`${DYNAMO}GetItem`]);
      },
    },
    'recheck-credential': {
      what: 'POST /credentials/{id}/validate of a missing credential answers 404 before reading a secret',
      event: () => httpEvent('recheck-credential', { id: MISSING_ID }),
      check: (result, calls) => {
        expect(result).toMatchObject({ statusCode: 404 });
        expect(calls).toEqual([`${DYNAMO}GetItem`]);
      },
    },
    'list-checks': {
      what: 'GET /credentials/{id}/checks lists the (empty) history',
      event: () => httpEvent('list-checks', { id: SEEDED_ID }),
      check: (result, calls) => {
        expect(result).toMatchObject({ statusCode: 200 });
        expect(json(result as HttpAnswer)).toEqual({ items: [], nextCursor: null });
        // The item and its history are read at once, in either order.
        expect([...calls].sort()).toEqual([`${DYNAMO}GetItem`, `${DYNAMO}Query`]);
      },
    },
    sweep: {
      what: 'the scheduled sweep over an empty table queries every shard and queues nothing',
      env: { TABLE_NAME: EMPTY_TABLE },
      event: () => ({}),
      check: (result, calls) => {
        expect(result).toEqual({ due: 0, queued: 0, skipped: 0 });
        expect(calls).toEqual(Array.from({ length: TABLE_LAYOUT.dueShards }, () => `${DYNAMO}Query`));
      },
    },
    'revalidation-worker': {
      what: 'the worker takes an SQS batch about a missing credential: gone, no failure, no secret read',
      event: () =>
        sqsEvent('059f36b4-87a3-44ab-83d2-661975830a7d', {
          tenantId: TENANT,
          credentialId: MISSING_ID,
          version: 3,
          checkId: `sched:${MISSING_ID}:3`,
          trigger: 'schedule',
          cause: 'sweep',
        }),
      check: (result, calls) => {
        expect(result).toEqual({ batchItemFailures: [] });
        expect(calls).toEqual([`${DYNAMO}GetItem`]);
      },
    },
    'change-feed': {
      what: 'the stream consumer writes the history of a stored check and reports the record whose events failed',
      event: () => ({
        Records: [
          streamRecord('1000', 'INSERT', null, seededImage),
          // A lease (no new check) and a history item: nothing to record or announce.
          streamRecord('1001', 'MODIFY', seededImage, { ...seededImage, version: { N: '2' } }),
          {
            ...streamRecord('1002', 'INSERT', null, seededImage),
            dynamodb: {
              Keys: { pk: { S: 'T#tenant-a#C#x' }, sk: { S: 'K#2026#v1' } },
              NewImage: { pk: { S: 'T#tenant-a#C#x' }, sk: { S: 'K#2026#v1' }, kind: { S: 'check' } },
              SequenceNumber: '1002',
              StreamViewType: 'NEW_AND_OLD_IMAGES',
            },
          },
        ],
      }),
      check: (result, calls) => {
        // EventBridge cannot run here: the one record with events is reported failed, to be retried.
        expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: '1000' }] });
        expect(calls[0]).toBe(`${DYNAMO}PutItem`);
        expect(calls.slice(1).every((c) => c === 'AWSEvents.PutEvents')).toBe(true);
      },
    },
    reconcile: {
      what: 'the reconciliation schedules the deletion of a secret no item describes, and only that one',
      setup: () => {
        proxy.state.secretList = [
          { Name: `credval/dev/${TENANT}/${SEEDED_ID}`, CreatedDate: 1_700_000_000 },
          { Name: `credval/dev/${TENANT}/orphan-1`, CreatedDate: 1_700_000_000 },
        ];
      },
      event: () => ({}),
      check: (result, calls) => {
        // Secrets Manager's DeleteSecret cannot run here, so the orphan's scheduling is reported as failed.
        expect(result).toEqual({ examined: 2, orphans: 1, scheduled: 0, failed: 1, foreign: 0 });
        expect(calls).toEqual([
          'secretsmanager.ListSecrets',
          `${DYNAMO}GetItem`,
          `${DYNAMO}GetItem`,
          'secretsmanager.DeleteSecret',
        ]);
      },
    },
    'register-credential': {
      what: 'a CredentialCheck resource registers a credential whose secret its owner keeps (DynamoDB only)',
      event: () => ({
        action: 'register',
        tenantId: TENANT,
        credentialId: 'cfn-bundle-registered-1',
        name: 'Registered by a stack',
        connector: 'dolibarr',
        fields: { baseUrl: 'https://dolibarr.example.com' },
        requirements: [],
        secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:erp/dolibarr-AbCdEf',
        report: {
          verdict: 'valid',
          reason: null,
          message: 'The API key works.',
          field: null,
          retryable: false,
          retryAfterSeconds: null,
          identity: null,
          vendor: {},
          permissions: [],
          warnings: [],
          probes: [],
          checkedAt: new Date().toISOString(),
          durationMs: 40,
        },
        registration: {
          stackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/erp/0f1e2d3c',
          logicalResourceId: 'DolibarrCheck1A2B3C4D',
          physicalResourceId: 'credval-check-0123456789abcdef0123',
        },
      }),
      check: (result, calls) => {
        expect(result).toEqual({ ok: true, credentialId: 'cfn-bundle-registered-1', outcome: 'created' });
        onlyDynamo(calls);
        expect(calls).toContain(`${DYNAMO}PutItem`);
      },
    },
    'revalidation-trigger': {
      what: 'the trigger ignores an event about another prefix’s secret',
      event: () => ({
        version: '0',
        id: '7bf73129-1428-4cd3-a780-95db273d1602',
        'detail-type': 'Secret Label Updated',
        source: 'aws.secretsmanager',
        account: '111111111111',
        time: new Date().toISOString(),
        region: 'eu-west-1',
        resources: ['arn:aws:secretsmanager:eu-west-1:111111111111:secret:someone-else/db-AbCdEf'],
        detail: { name: 'someone-else/db', labelUpdated: 'AWSCURRENT', versionId: 'v2' },
      }),
      check: (result, calls) => {
        expect(result).toEqual({ queued: 0 });
        expect(calls).toEqual([]);
      },
    },
  };

  /** A synthesized deployment whose bundles the tests run: the default one, or the envelope one. */
  interface Deployment {
    stateless: StatelessStack;
    template: Template;
    outdir: string;
  }
  let envelope: Deployment;
  const main = (): Deployment => ({ stateless, template, outdir });

  /** The function's environment as the template sets it, with resource references replaced for this machine. */
  function environmentOf(name: string, deployment = main()): Record<string, string> {
    const { stateless, template } = deployment;
    const fn = stateless.functions.get(name);
    if (!fn) throw new Error(`no function ${name}`);
    const id = stateless.getLogicalId(fn.function.node.defaultChild as CfnFunction);
    const variables = (template.toJSON().Resources[id].Properties.Environment?.Variables ?? {}) as Record<
      string,
      unknown
    >;
    const references: Record<string, string> = {
      TABLE_NAME: TABLE,
      // Loopback, so that even a mistaken SQS call (the SDK may use the queue URL as endpoint) stays here.
      QUEUE_URL: `${proxy.url}/111111111111/credval-revalidation`,
      EVENT_BUS_NAME: 'credval-bundle-test',
      KMS_KEY_ID: 'arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-000000000000',
    };
    return Object.fromEntries(
      Object.entries(variables).map(([key, value]) => {
        if (typeof value === 'string') return [key, value];
        const replacement = references[key];
        if (replacement === undefined)
          throw new Error(`${name}: no local value for ${key} (${JSON.stringify(value)})`);
        return [key, replacement];
      }),
    );
  }

  function bundleOf(name: string, deployment = main()): string {
    const { stateless, template, outdir } = deployment;
    const fn = stateless.functions.get(name);
    if (!fn) throw new Error(`no function ${name}`);
    const id = stateless.getLogicalId(fn.function.node.defaultChild as CfnFunction);
    const key = String(template.toJSON().Resources[id].Properties.Code.S3Key);
    return join(outdir, `asset.${key.replace(/\.zip$/, '')}`, 'index.mjs');
  }

  async function invoke(
    name: string,
    scenario: Scenario,
    bundle = bundleOf(name),
    deployment = main(),
  ): Promise<Invocation> {
    const { stateless } = deployment;
    const eventFile = join(work, `${name}.event.json`);
    const resultFile = join(work, `${name}.result.json`);
    const networkLog = join(work, `${name}.network.log`);
    writeFileSync(eventFile, JSON.stringify(scenario.event()));
    writeFileSync(networkLog, '');
    const fnConfig = stateless.functions.get(name)?.function.node.defaultChild as CfnFunction | undefined;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: work,
      LANG: 'C.UTF-8',
      TZ: 'UTC',
      // Dummy credentials and no shared config: the SDK never looks for real ones.
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
      AWS_SESSION_TOKEN: 'x',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(work, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-aws-credentials'),
      AWS_ENDPOINT_URL: proxy.url,
      AWS_LAMBDA_FUNCTION_NAME: `credval-bundle-${name}`,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fnConfig?.memorySize ?? 512),
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      NETWORK_LOG: networkLog,
      ...(stateless.functions.has(name) ? environmentOf(name, deployment) : {}),
      ...scenario.env,
    };
    scenario.setup?.();
    proxy.calls.length = 0;
    const child = spawn(
      process.execPath,
      ['--import', join(HERE, 'loopback-only.mjs'), join(HERE, 'invoke.mjs'), bundle, eventFile, resultFile],
      { env, cwd: work, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
    let output: Partial<Invocation> = {};
    try {
      output = JSON.parse(readFileSync(resultFile, 'utf8')) as Partial<Invocation>;
    } catch {
      output = { error: { message: 'no result file' } };
    }
    return {
      ...output,
      calls: [...proxy.calls],
      network: readFileSync(networkLog, 'utf8').split('\n').filter(Boolean),
      stdout,
      stderr,
      exitCode,
    };
  }

  beforeAll(async () => {
    const app = newApp({ bundle: true });
    outdir = app.outdir;
    stateless = buildApp(app).stateless;
    const failure = synthesize(app);
    if (failure) throw failure;
    template = Template.fromStack(stateless);
    // The same app with secretStore=envelope: its own bundles (the store is fixed at bundling).
    const envelopeApp = newApp({ bundle: true, context: { secretStore: 'envelope' } });
    const envelopeStack = buildApp(envelopeApp).stateless;
    const envelopeFailure = synthesize(envelopeApp);
    if (envelopeFailure) throw envelopeFailure;
    envelope = {
      stateless: envelopeStack,
      template: Template.fromStack(envelopeStack),
      outdir: envelopeApp.outdir,
    };

    work = mkdtempSync(join(tmpdir(), 'credval-bundles-'));
    dynamo = await startLocalDynamo();
    const admin = createDynamoClient(dynamo.endpoint);
    await ensureCredentialsTable(admin, TABLE);
    await ensureCredentialsTable(admin, EMPTY_TABLE);
    await ensureCredentialsTable(admin, ENVELOPE_TABLE);
    admin.destroy();
    const documents = createDocumentClient(dynamo.endpoint);
    const now = new Date().toISOString();
    const seeded: Credential = {
      tenantId: TENANT,
      id: SEEDED_ID,
      connector: 'dolibarr',
      name: 'Seeded',
      description: 'written by the bundle test',
      fields: { baseUrl: 'http://127.0.0.1:9' },
      requirements: [],
      status: 'valid',
      lastCheck: null,
      version: 1,
      createdAt: now,
      updatedAt: now,
      nextCheckAt: '2999-01-01T00:00:00.000Z',
      secretName: `credval/dev/${TENANT}/${SEEDED_ID}`,
      monitor: {
        rejections: 0,
        firstRejectedAt: null,
        inconclusiveStreak: 0,
        invalidChecks: 0,
        lastCheckId: 'v1',
        lastStatusBefore: null,
        lastTrigger: null,
      },
    };
    const repository = new DynamoCredentialRepository({ client: documents, tableName: TABLE });
    await repository.create(seeded);
    // A credential as it is stored after a check, read back raw: the image a stream record carries.
    const checked: Credential = {
      ...seeded,
      id: 'checked-credential-1',
      secretName: `credval/dev/${TENANT}/checked-credential-1`,
      lastCheck: {
        verdict: 'valid',
        reason: null,
        message: 'The API key works.',
        field: null,
        retryable: false,
        retryAfterSeconds: null,
        identity: null,
        vendor: {},
        permissions: [],
        warnings: [],
        probes: [],
        checkedAt: now,
        durationMs: 12,
      },
      monitor: { ...seeded.monitor, lastCheckId: 'v1', lastTrigger: 'create' },
    };
    await repository.create(checked);
    const raw = await createDynamoClient(dynamo.endpoint).send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { pk: { S: `T#${TENANT}` }, sk: { S: `C#${checked.id}` } },
      }),
    );
    // As a Lambda stream event carries it: JSON, binary attributes (the packed report) in base64.
    seededImage = JSON.parse(
      JSON.stringify(raw.Item, (_key, value) =>
        value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value,
      ),
    ) as Record<string, unknown>;
    documents.destroy();
    proxy = await startAwsProxy(dynamo.endpoint);
    dolibarr = await startDolibarrSimulator({
      users: [
        {
          id: 7,
          login: 'svc',
          apiKey: API_KEY,
          firstname: 'Service',
          lastname: 'Account',
          rights: ['user.self.creer', 'societe.lire'],
        },
      ],
      failureDelayMs: 0,
    });
  }, 240_000);

  /** One cold import of the baseline (a bundle that only creates a DynamoDB client), for the report. */
  async function baselineImportMs(): Promise<number | undefined> {
    const baseline = join(work, 'baseline', 'index.mjs');
    await build({
      ...esbuildOptionsOf(BUNDLING),
      stdin: { contents: BASELINE_SOURCE, resolveDir: PROJECT_ROOT, sourcefile: 'handler.ts', loader: 'ts' },
      outfile: baseline,
    });
    const run = await invoke('baseline', { what: 'baseline', event: () => ({}), check: () => {} }, baseline);
    return run.importMs;
  }

  afterAll(async () => {
    const baselineMs = sizes.length > 0 ? await baselineImportMs().catch(() => undefined) : undefined;
    await Promise.all([proxy?.close(), dynamo?.close(), dolibarr?.close()]);
    if (sizes.length === 0) return;
    sizes.sort((a, b) => a.name.localeCompare(b.name));
    const kb = (n: number) => `${(n / 1000).toFixed(0)} kB`.padStart(8);
    const ms = (n?: number) => (n === undefined ? '' : `${n.toFixed(0)} ms`).padStart(8);
    const ratio = (n?: number) =>
      (n === undefined || !baselineMs ? '' : `${(n / baselineMs).toFixed(2)}x`).padStart(8);
    const lines = [
      `${'function'.padEnd(22)}${'bundle'.padStart(8)}${'budget'.padStart(8)}${'gzip'.padStart(8)}${'import'.padStart(8)}${'/base'.padStart(8)}${'invoke'.padStart(8)}`,
      ...sizes.map(
        (s) =>
          `${s.name.padEnd(22)}${kb(s.bytes)}${kb(bundleBudget(s.name))}${kb(s.gzipBytes)}${ms(s.importMs)}${ratio(s.importMs)}${ms(s.invokeMs)}`,
      ),
      `${'(baseline: DynamoDB client only)'.padEnd(54)}${ms(baselineMs)}`,
    ];
    console.log(
      `\nBundles (minified ESM, SDK included; one cold import and one invocation each in a fresh process; ` +
        `npm run bench measures imports properly):\n${lines.join('\n')}\n`,
    );
    const artifacts = join(PROJECT_ROOT, 'test', 'artifacts');
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(
      join(artifacts, 'bundle-sizes.json'),
      `${JSON.stringify(
        {
          generatedAt: new Date().toISOString(),
          node: process.version,
          bundling: { ...BUNDLING, banner: undefined },
          functions: sizes,
        },
        null,
        2,
      )}\n`,
    );
  });

  it('has a scenario for every deployed function', () => {
    expect(
      Object.keys(scenarios)
        .filter((name) => stateless.functions.has(name))
        .sort(),
    ).toEqual([...stateless.functions.keys()].sort());
  });

  it('keeps every bundle within its size budget (test/bundles/budgets.ts)', () => {
    const over = [...stateless.functions.keys()]
      .map((name) => ({ name, bytes: statSync(bundleOf(name)).size, budget: bundleBudget(name) }))
      .filter((b) => b.bytes > b.budget);
    expect(over, 'bundles over budget (bytes)').toEqual([]);
  });

  it('bundles each function into one minified ESM file with the createRequire banner and a source map', () => {
    for (const name of stateless.functions.keys()) {
      const code = readFileSync(bundleOf(name), 'utf8');
      expect(code.startsWith(ESM_REQUIRE_BANNER), name).toBe(true);
      expect(code, name).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
      // Minified: long lines (template literals keep some line breaks).
      expect(code.length / code.split('\n').length, name).toBeGreaterThan(1000);
      // The SDK is inside (externalModules: []), so nothing is imported from @aws-sdk at run time.
      expect(code, name).not.toMatch(/from\s*["']@aws-sdk\//);
    }
  });

  describe('with secretStore=envelope: the functions that touch secrets, KMS answered by a stand-in that encrypts', () => {
    let createdId = '';
    const DATA_KEY = 'TrentService.GenerateDataKey';
    const DECRYPT = 'TrentService.Decrypt';
    async function runEnvelope(name: string, scenario: Scenario): Promise<unknown> {
      const bundle = bundleOf(name, envelope);
      const run = await invoke(
        name,
        { ...scenario, env: { TABLE_NAME: ENVELOPE_TABLE, ...scenario.env } },
        bundle,
        envelope,
      );
      const code = readFileSync(bundle);
      if (!sizes.some((s) => s.name === `${name} (envelope)`))
        sizes.push({
          name: `${name} (envelope)`,
          bytes: code.length,
          gzipBytes: gzipSync(code).length,
          sourceMapBytes: statSync(`${bundle}.map`).size,
          ...(run.importMs === undefined ? {} : { importMs: Math.round(run.importMs) }),
          ...(run.invokeMs === undefined ? {} : { invokeMs: Math.round(run.invokeMs) }),
        });
      const diagnostics = `exit ${run.exitCode}\n--- stdout\n${run.stdout.slice(-4000)}\n--- stderr\n${run.stderr.slice(-4000)}`;
      expect(run.error, `${JSON.stringify(run.error)}\n${diagnostics}`).toBeUndefined();
      expect(run.network, 'non-loopback network use').toEqual([]);
      expect(
        run.calls.filter((c) => c.startsWith('secretsmanager.')),
        'Secrets Manager calls',
      ).toEqual([]);
      expect(`${run.stdout}${run.stderr}`).not.toContain(API_KEY);
      scenario.check(run.result, run.calls);
      return run.result;
    }
    const secretItem = async (id: string) => {
      const client = createDynamoClient(dynamo.endpoint);
      try {
        const raw = await client.send(
          new GetItemCommand({
            TableName: ENVELOPE_TABLE,
            Key: marshall(secretItemKey(`credval/dev/${TENANT}/${id}`)),
          }),
        );
        return raw.Item;
      } finally {
        client.destroy();
      }
    };
    /** Another credential, created through the envelope create-credential bundle: its id. */
    const createAnother = async (name: string): Promise<string> => {
      const answer = await runEnvelope('create-credential', {
        what: `create ${name}`,
        env: { EGRESS_ALLOW: '127.0.0.0/8' },
        event: () =>
          httpEvent('create-credential', {
            body: { connector: 'dolibarr', name, fields: { baseUrl: dolibarr.url, apiKey: API_KEY } },
          }),
        check: (result) => expect(result).toMatchObject({ statusCode: 201 }),
      });
      return String(json(answer as HttpAnswer).id);
    };

    it('keeps every envelope bundle within its budget, with no Secrets Manager client in it', () => {
      for (const name of envelope.stateless.functions.keys()) {
        const code = readFileSync(bundleOf(name, envelope), 'utf8');
        expect(code.length, name).toBeLessThanOrEqual(bundleBudget(name));
        // Every bundle with the Secrets Manager store names its commands (the trigger only names CloudTrail events).
        expect(code.includes('ListSecrets'), `${name} carries the Secrets Manager client`).toBe(false);
      }
    });

    it('create-credential: a branch key from KMS (the first one), the secret item, then the credential item', async () => {
      const result = await runEnvelope('create-credential', {
        what: 'create',
        env: { EGRESS_ALLOW: '127.0.0.0/8' },
        event: () =>
          httpEvent('create-credential', {
            body: {
              connector: 'dolibarr',
              name: 'Enveloped',
              fields: { baseUrl: dolibarr.url, apiKey: API_KEY },
            },
          }),
        check: (answer, calls) => {
          expect(answer).toMatchObject({ statusCode: 201 });
          // No branch key yet: a new one from KMS, stored; then the secret item and the credential item.
          expect(calls).toEqual([
            `${DYNAMO}Query`,
            DATA_KEY,
            `${DYNAMO}PutItem`,
            `${DYNAMO}PutItem`,
            `${DYNAMO}PutItem`,
          ]);
        },
      });
      createdId = String(json(result as HttpAnswer).id);
      const item = await secretItem(createdId);
      expect(item?.pk?.S).toMatch(/^SECRET#\d\d$/);
      expect(JSON.stringify(item)).not.toContain(API_KEY);
    });

    it('recheck-credential: reads the secret back through its branch key (KMS Decrypt) and checks it', async () => {
      await runEnvelope('recheck-credential', {
        what: 'recheck',
        env: { EGRESS_ALLOW: '127.0.0.0/8' },
        event: () => httpEvent('recheck-credential', { id: createdId }),
        check: (answer, calls) => {
          expect(answer).toMatchObject({ statusCode: 200 });
          expect(json(answer as HttpAnswer).lastCheck).toMatchObject({ verdict: 'valid' });
          // The credential, the secret, its branch key (a cold container: once per BRANCH_KEY_CACHE_MS).
          expect(calls).toEqual([
            `${DYNAMO}GetItem`,
            `${DYNAMO}GetItem`,
            `${DYNAMO}GetItem`,
            DECRYPT,
            `${DYNAMO}PutItem`,
          ]);
        },
      });
    });

    it('update-credential: rotates (sealed under the newest branch key, the previous version kept)', async () => {
      await runEnvelope('update-credential', {
        what: 'rotate',
        env: { EGRESS_ALLOW: '127.0.0.0/8' },
        event: () => httpEvent('update-credential', { id: createdId, body: { fields: { apiKey: API_KEY } } }),
        check: (answer, calls) => {
          expect(answer).toMatchObject({ statusCode: 200 });
          expect(calls).toEqual([
            `${DYNAMO}GetItem`,
            `${DYNAMO}GetItem`,
            `${DYNAMO}Query`,
            DECRYPT,
            `${DYNAMO}PutItem`,
            `${DYNAMO}PutItem`,
          ]);
        },
      });
      const versions = (await secretItem(createdId))?.versions?.L ?? [];
      expect(versions).toHaveLength(2);
    });

    it('revalidation-worker: re-checks it from the queue', async () => {
      await runEnvelope('revalidation-worker', {
        what: 'worker',
        env: { EGRESS_ALLOW: '127.0.0.0/8' },
        event: () =>
          sqsEvent('159f36b4-87a3-44ab-83d2-661975830a7d', {
            tenantId: TENANT,
            credentialId: createdId,
            version: null,
            checkId: `event:bundle-envelope-${createdId}`,
            trigger: 'event',
            cause: 'bundle test',
          }),
        check: (result, calls) => {
          expect(result).toEqual({ batchItemFailures: [] });
          expect(calls).toEqual([
            `${DYNAMO}GetItem`,
            `${DYNAMO}GetItem`,
            `${DYNAMO}GetItem`,
            DECRYPT,
            `${DYNAMO}PutItem`,
          ]);
        },
      });
    });

    it('recheck-credential: a ciphertext moved to another credential fails closed (500 secret_unreadable)', async () => {
      const client = createDynamoClient(dynamo.endpoint);
      const otherId = await createAnother('Other');
      const [from, to] = [await secretItem(createdId), await secretItem(otherId)];
      const ids = (to?.versions?.L ?? []).map((v) => v.M?.id);
      const moved = (from?.versions?.L ?? [])
        .slice(-1)
        .map((v) => ({ M: { ...v.M, id: ids[0] as AttributeValue } }));
      await client.send(
        new PutItemCommand({ TableName: ENVELOPE_TABLE, Item: { ...to, versions: { L: moved } } }),
      );
      await runEnvelope('recheck-credential', {
        what: 'moved ciphertext',
        event: () => httpEvent('recheck-credential', { id: otherId }),
        check: (answer, calls) => {
          expect(answer).toMatchObject({ statusCode: 500 });
          expect(problemCode(answer as HttpAnswer)).toBe('secret_unreadable');
          expect((answer as HttpAnswer).body).not.toMatch(/KMS|Trent|InvalidCiphertext|DynamoDB/);
          expect(calls).toEqual([`${DYNAMO}GetItem`, `${DYNAMO}GetItem`, `${DYNAMO}GetItem`, DECRYPT]);
        },
      });
      client.destroy();
    });

    it('delete-credential: deletes the item; the secret item stays, marked, with the table TTL', async () => {
      await runEnvelope('delete-credential', {
        what: 'delete',
        event: () => httpEvent('delete-credential', { id: createdId }),
        check: (answer, calls) => {
          expect(answer).toMatchObject({ statusCode: 204 });
          expect(calls).toEqual([`${DYNAMO}GetItem`, `${DYNAMO}DeleteItem`, `${DYNAMO}UpdateItem`]);
        },
      });
      const item = await secretItem(createdId);
      expect(item?.deletion).toBeDefined();
      expect(Number(item?.expiresAt?.N)).toBeGreaterThan(Date.now() / 1000);
    });

    it('reconcile: lists the secret items shard by shard (never a Scan) and schedules an orphan', async () => {
      const client = createDynamoClient(dynamo.endpoint);
      // An orphan: a secret item whose credential item is gone (a crash between the two writes).
      const orphanId = await createAnother('Orphan');
      await client.send(
        new DeleteItemCommand({
          TableName: ENVELOPE_TABLE,
          Key: { pk: { S: `T#${TENANT}` }, sk: { S: `C#${orphanId}` } },
        }),
      );
      client.destroy();
      await runEnvelope('reconcile', {
        what: 'reconcile',
        env: { RECONCILE_GRACE: '0s' },
        event: () => ({}),
        check: (result, calls) => {
          // The deleted credential's secret is already scheduled; the moved one's credential exists; the orphan goes.
          expect(result).toEqual({ examined: 2, orphans: 1, scheduled: 1, failed: 0, foreign: 0 });
          expect(calls.filter((c) => c === `${DYNAMO}Query`)).toHaveLength(TABLE_LAYOUT.secretShards);
          expect(calls.filter((c) => c === `${DYNAMO}Scan`)).toEqual([]);
          expect(calls.filter((c) => c === `${DYNAMO}UpdateItem`)).toHaveLength(1);
        },
      });
      expect((await secretItem(orphanId))?.deletion).toBeDefined();
    });
  });

  describe('the CredentialCheck provider, bundled by the construct in a consumer stack', () => {
    const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:erp/dolibarr-AbCdEf';
    const CANARY = 'canary-bundle-3c2b1a0f9e8d-SECRET';
    let bundle = '';
    let variables: Record<string, string> = {};
    let properties: Record<string, unknown> = {};
    let receiver: { url: string; bodies: string[]; close(): Promise<void> };

    beforeAll(async () => {
      const app = newApp({ bundle: true });
      const stack = new Stack(app, 'ErpIntegration');
      const check = new CredentialCheck(stack, 'DolibarrCheck', {
        connector: 'dolibarr',
        fields: { baseUrl: dolibarr.url },
        secret: Secret.fromSecretCompleteArn(stack, 'DolibarrKey', SECRET_ARN),
        egressAllow: ['127.0.0.0/8'],
        deadline: '20s',
      });
      const failure = synthesize(app);
      if (failure) throw failure;
      const resources = Template.fromStack(stack).toJSON().Resources;
      const fn = resources[stack.getLogicalId(check.provider.function.node.defaultChild as CfnFunction)];
      bundle = join(
        app.outdir,
        `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`,
        'index.mjs',
      );
      variables = fn.Properties.Environment.Variables;
      properties = resources[stack.getLogicalId(check.resource.node.defaultChild as CfnResource)].Properties;

      const bodies: string[] = [];
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          bodies.push(Buffer.concat(chunks).toString('utf8'));
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      receiver = {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        bodies,
        close: () => new Promise<void>((resolve) => server.close(() => resolve())),
      };
    }, 120_000);
    afterAll(() => receiver?.close());

    /** A Create as CloudFormation sends it, with the properties the template gives the resource. */
    const createEvent = () => ({
      RequestType: 'Create',
      ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:ErpIntegration-DolibarrCheck',
      ResponseURL: `${receiver.url}/cloudformation-custom-resource-response-euwest1/stack%7CDolibarrCheck%7C1?X-Amz-Signature=abc`,
      StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/ErpIntegration/0f1e2d3c',
      RequestId: 'b1c2d3e4-0000-4000-8000-000000000001',
      LogicalResourceId: 'DolibarrCheck1A2B3C4D',
      ResourceType: 'Custom::CredvalCredentialCheck',
      ResourceProperties: { ...properties, ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:x' },
    });

    async function run(secret: string) {
      proxy.state.secretValues[SECRET_ARN] = {
        SecretString: JSON.stringify({ apiKey: secret }),
        VersionId: 'v7',
      };
      receiver.bodies.length = 0;
      const result = await invoke(
        'credential-check',
        { what: 'custom resource', env: variables, event: createEvent, check: () => {} },
        bundle,
      );
      const diagnostics = `exit ${result.exitCode}\n--- stdout\n${result.stdout.slice(-4000)}\n--- stderr\n${result.stderr.slice(-4000)}`;
      expect(result.error, `${JSON.stringify(result.error)}\n${diagnostics}`).toBeUndefined();
      expect(result.network, 'non-loopback network use').toEqual([]);
      expect(result.calls).toEqual(['secretsmanager.GetSecretValue']);
      expect(receiver.bodies).toHaveLength(1);
      return { ...result, answer: JSON.parse(receiver.bodies[0] ?? '{}') as Record<string, unknown> };
    }

    it('reads the secret by ARN, checks the key against the simulator and answers SUCCESS with the attributes', async () => {
      const code = readFileSync(bundle);
      expect(code.length).toBeLessThanOrEqual(bundleBudget('credential-check'));
      const result = await run(API_KEY);
      sizes.push({
        name: 'credential-check',
        bytes: code.length,
        gzipBytes: gzipSync(code).length,
        sourceMapBytes: statSync(`${bundle}.map`).size,
        ...(result.importMs === undefined ? {} : { importMs: Math.round(result.importMs) }),
        ...(result.invokeMs === undefined ? {} : { invokeMs: Math.round(result.invokeMs) }),
      });
      expect(result.answer).toMatchObject({
        Status: 'SUCCESS',
        Data: { Verdict: 'valid', IdentityLogin: 'svc', SecretVersionId: 'v7' },
      });
      expect(`${receiver.bodies[0]}${result.stdout}${result.stderr}`).not.toContain(API_KEY);
    }, 60_000);

    it('fails the deployment for a key the vendor refuses, with no trace of the key in the answer or the logs', async () => {
      const result = await run(CANARY);
      expect(result.answer).toMatchObject({ Status: 'FAILED', Data: { Verdict: 'invalid' } });
      expect(String(result.answer.Reason)).toMatch(
        /^credval: the Dolibarr credential is invalid \(invalid_credentials/,
      );
      expect(`${receiver.bodies[0]}${result.stdout}${result.stderr}`).not.toContain(CANARY);
    }, 60_000);
  });

  for (const [name, scenario] of Object.entries(scenarios)) {
    it(`${name}: ${scenario.what}`, async (context) => {
      if (!stateless.functions.has(name)) {
        context.skip(`${name} is not deployed (no functions/${name}.ts)`);
        return;
      }
      const run = await invoke(name, scenario);
      const bundle = bundleOf(name);
      const code = readFileSync(bundle);
      sizes.push({
        name,
        bytes: code.length,
        gzipBytes: gzipSync(code).length,
        sourceMapBytes: statSync(`${bundle}.map`).size,
        ...(run.importMs === undefined ? {} : { importMs: Math.round(run.importMs) }),
        ...(run.invokeMs === undefined ? {} : { invokeMs: Math.round(run.invokeMs) }),
      });
      const diagnostics = `exit ${run.exitCode}\n--- stdout\n${run.stdout.slice(-4000)}\n--- stderr\n${run.stderr.slice(-4000)}`;
      expect(run.error, `${JSON.stringify(run.error)}\n${diagnostics}`).toBeUndefined();
      expect(run.exitCode, diagnostics).toBe(0);
      expect(run.network, 'non-loopback network use').toEqual([]);
      scenario.check(run.result, run.calls);
    }, 60_000);
  }
});
