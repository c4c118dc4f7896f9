// The CredentialCheck construct's custom resource handler (functions/credential-check.ts), driven with the events
// CloudFormation sends, against the vendor simulators over loopback. Secrets Manager is faked at the SDK boundary;
// the answer travels through the guarded client to a loopback server standing in for the pre-signed S3 URL, where
// the test reads exactly what CloudFormation would show in the stack's events.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeCredentialCheckHandler } from '../../shared/app/handlers/credential-check.ts';
import { runCheck } from '../../shared/connectors/check.ts';
import { createGuardedClient } from '../../shared/net/guarded-client.ts';
import type { GuardedClient } from '../../shared/net/types.ts';
import {
  CredentialCheckResource,
  type CustomResourceEvent,
  type CustomResourceResponse,
  physicalIdOf,
} from '../../shared/service/credential-check-resource.ts';
import { secretsManagerReader } from '../../shared/store/secret-reader.ts';
import { cloudFormationStackStatus } from '../../shared/store/stack-status.ts';
import { LOOPBACK_ALLOWED } from '../helpers/check.ts';
import { startHoldingProxy } from '../helpers/holding-proxy.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';
import {
  DOLIBARR_KEYS,
  dolibarrRecordedConfig,
  ODOO_SECRETS,
  odooRecordedConfig,
} from '../simulators/fixtures.ts';
import { type OdooSimulator, startOdooSimulator } from '../simulators/odoo.ts';

const ACCOUNT = '123456789012';
const SERVICE_TOKEN = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:erp-stack-ErpCheckProvider1A2B3C-4D5E6F7A8B9C`;
const STACK_ID = `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/erp-stack/5b2c3d40-b3f1-11ef-9a4b-0a1b2c3d4e5f`;
const secretArn = (name: string) => `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:${name}-AbCdEf`;
/** A key no vendor knows, looked for in everything that leaves the handler. */
const CANARY = 'canary-9f8e7d6c5b4a3f2e1d0c-SECRET';
const ODOO_ADMIN_KEY = ODOO_SECRETS['<KEY:ADMIN>'] ?? '';
const ODOO_READER_KEY = ODOO_SECRETS['<KEY:READER>'] ?? '';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Stands in for the pre-signed S3 URL CloudFormation waits at; `failFirst` answers 503 that many times. */
async function startResponseReceiver() {
  const received: Received[] = [];
  let failFirst = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (failFirst > 0) {
        failFirst -= 1;
        res.writeHead(503).end('<Error><Code>SlowDown</Code></Error>');
        return;
      }
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    failNext: (count: number) => {
      failFirst = count;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('the CredentialCheck custom resource', () => {
  let odoo: OdooSimulator;
  let dolibarr: DolibarrSimulator;
  let receiver: Awaited<ReturnType<typeof startResponseReceiver>>;
  let client: GuardedClient;
  const secretsManager = new SecretsManagerClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'never-used' },
  });
  const sm = mockClient(secretsManager);
  const cloudFormation = new CloudFormationClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'never-used' },
  });
  const cfn = mockClient(cloudFormation);
  /** ARN -> the secret's current text and version. */
  let secrets: Map<string, { text: string; version: string }>;
  let logged: string;
  let logger: Logger;

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    odoo = await startOdooSimulator(odooRecordedConfig('19.0'));
    dolibarr = await startDolibarrSimulator(dolibarrRecordedConfig());
    receiver = await startResponseReceiver();
    client = createGuardedClient({ egressAllow: LOOPBACK_ALLOWED });
  });
  afterAll(async () => {
    await client.close();
    await Promise.all([odoo.close(), dolibarr.close(), receiver.close()]);
  });

  beforeEach(() => {
    receiver.received.length = 0;
    secrets = new Map([
      [secretArn('erp/odoo'), { text: JSON.stringify({ password: ODOO_ADMIN_KEY }), version: 'v-odoo-1' }],
      [secretArn('erp/canary'), { text: JSON.stringify({ password: CANARY }), version: 'v-canary-1' }],
      [secretArn('erp/dolibarr'), { text: DOLIBARR_KEYS.admin, version: 'v-doli-1' }],
      [secretArn('erp/empty-object'), { text: JSON.stringify({ other: CANARY }), version: 'v-x' }],
    ]);
    sm.reset();
    sm.on(GetSecretValueCommand).callsFake(async (input: { SecretId: string }) => {
      if (input.SecretId === secretArn('erp/throttled')) {
        throw new SecretsManagerServiceException({
          name: 'ThrottlingException',
          $fault: 'client',
          message: `Rate exceeded ${CANARY}`,
          $metadata: {},
        });
      }
      if (input.SecretId === secretArn('erp/forbidden')) {
        throw new SecretsManagerServiceException({
          name: 'AccessDeniedException',
          $fault: 'client',
          message: `User is not authorized ${CANARY}`,
          $metadata: {},
        });
      }
      const secret = secrets.get(input.SecretId);
      if (!secret) {
        throw new ResourceNotFoundException({
          message: "Secrets Manager can't find the secret.",
          $metadata: {},
        });
      }
      return { ARN: input.SecretId, SecretString: secret.text, VersionId: secret.version };
    });
    cfn.reset();
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [{ StackName: 'erp-stack', StackStatus: 'UPDATE_IN_PROGRESS', CreationTime: new Date() }],
    });
    logged = '';
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk) => {
        logged += String(chunk);
        return true;
      });
    }
    logger = new Logger({ serviceName: 'credval-test', logLevel: 'DEBUG' });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const handlerWith = (options: { deadlineMs?: number; check?: CredentialCheckResource } = {}) =>
    makeCredentialCheckHandler({
      resource:
        options.check ??
        new CredentialCheckResource({
          check: (prepared) =>
            runCheck(prepared, { client, ...(options.deadlineMs ? { deadlineMs: options.deadlineMs } : {}) }),
          readSecret: secretsManagerReader(secretsManager),
          stackStatus: cloudFormationStackStatus(cloudFormation),
        }),
      client,
      logger,
    });

  function event(
    requestType: CustomResourceEvent['RequestType'],
    properties: Record<string, unknown>,
    extra: Partial<CustomResourceEvent> = {},
  ): CustomResourceEvent & { ServiceToken: string } {
    const requestId = randomUUID();
    return {
      RequestType: requestType,
      ServiceToken: SERVICE_TOKEN,
      // The shape of CloudFormation's pre-signed URL, on loopback.
      ResponseURL:
        `${receiver.url}/cloudformation-custom-resource-response-euwest1/${encodeURIComponent(STACK_ID)}%7CErpCheck%7C${requestId}` +
        '?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=20261207T101500Z&X-Amz-SignedHeaders=host&X-Amz-Expires=7200' +
        '&X-Amz-Credential=AKIA6EXAMPLE%2F20261207%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Signature=abc123',
      StackId: STACK_ID,
      RequestId: requestId,
      LogicalResourceId: 'ErpCheck5C0E7B1A',
      ResourceType: 'Custom::CredvalCredentialCheck',
      ResourceProperties: { ServiceToken: SERVICE_TOKEN, ...properties },
      ...extra,
    };
  }

  const odooProperties = (secret = 'erp/odoo', extra: Record<string, unknown> = {}) => ({
    Connector: 'odoo',
    Fields: { serverUrl: odoo.url, database: 'acme', username: 'admin' },
    Requirements: [{ resource: 'res.partner', access: ['read', 'write'] }],
    SecretArn: secretArn(secret),
    ...extra,
  });

  /** The one answer the handler PUT, after checking the request had no content type. */
  function answer(): CustomResourceResponse {
    expect(receiver.received).toHaveLength(1);
    const [put] = receiver.received;
    expect(put?.method).toBe('PUT');
    expect(put?.url).toContain('X-Amz-Signature=abc123');
    expect(put?.headers['content-type'] ?? '').toBe('');
    return JSON.parse(put?.body ?? '{}') as CustomResourceResponse;
  }

  it('Create with a working key: SUCCESS with the verdict, identity, vendor version and secret version as attributes', async () => {
    const created = event('Create', odooProperties());
    await handlerWith()(created);
    const response = answer();
    expect(response).toMatchObject({
      Status: 'SUCCESS',
      StackId: STACK_ID,
      RequestId: created.RequestId,
      LogicalResourceId: 'ErpCheck5C0E7B1A',
      PhysicalResourceId: physicalIdOf(created.ResourceProperties),
    });
    expect(response.Reason).toBeUndefined();
    expect(response.Data).toMatchObject({
      Verdict: 'valid',
      Reason: '',
      IdentityLogin: 'admin',
      IdentityName: 'Administrator',
      IdentityUserId: '2',
      SecretVersionId: 'v-odoo-1',
    });
    expect(response.Data?.VendorVersion).toMatch(/^19\./);
    expect(response.Data?.Warnings).toContain('admin_credential');
    for (const value of Object.values(response.Data ?? {})) expect(typeof value).toBe('string');
    expect(JSON.stringify(response)).not.toContain(ODOO_ADMIN_KEY);
    expect(logged).not.toContain(ODOO_ADMIN_KEY);
    expect(sm.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: secretArn('erp/odoo'),
    });
  });

  it('Update after the secret changed (a new SecretVersion): checks again with the new value, under a new physical id', async () => {
    const before = odooProperties('erp/odoo', { SecretVersion: '1' });
    secrets.set(secretArn('erp/odoo'), {
      text: JSON.stringify({ password: ODOO_READER_KEY }),
      version: 'v-odoo-2',
    });
    const after = {
      ...odooProperties('erp/odoo', { SecretVersion: '2' }),
      Fields: { serverUrl: odoo.url, database: 'acme', username: 'reader@example.com' },
      Requirements: [{ resource: 'res.partner', access: ['read'] }],
    };
    const updated = event('Update', after, {
      PhysicalResourceId: physicalIdOf({ ServiceToken: SERVICE_TOKEN, ...before }),
      OldResourceProperties: { ServiceToken: SERVICE_TOKEN, ...before },
    });
    await handlerWith()(updated);
    const response = answer();
    expect(response.Status).toBe('SUCCESS');
    expect(response.PhysicalResourceId).toBe(physicalIdOf(updated.ResourceProperties));
    expect(response.PhysicalResourceId).not.toBe(updated.PhysicalResourceId);
    expect(response.Data).toMatchObject({
      Verdict: 'valid',
      IdentityLogin: 'reader@example.com',
      SecretVersionId: 'v-odoo-2',
    });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('an invalid key fails the deploy with the report message and reason, and no trace of the secret anywhere', async () => {
    await handlerWith()(event('Create', odooProperties('erp/canary')));
    const response = answer();
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toMatch(/^credval: the Odoo credential is invalid \(invalid_credentials/);
    expect(response.Data).toMatchObject({ Verdict: 'invalid', Reason: 'invalid_credentials' });
    expect(receiver.received[0]?.body).not.toContain(CANARY);
    expect(logged).toContain('custom resource answer');
    expect(logged).not.toContain(CANARY);
  });

  it('Dolibarr with the bare key as the secret (the connector has one secret field)', async () => {
    await handlerWith()(
      event('Create', {
        Connector: 'dolibarr',
        Fields: { baseUrl: dolibarr.url },
        SecretArn: secretArn('erp/dolibarr'),
      }),
    );
    const response = answer();
    expect(response.Status).toBe('SUCCESS');
    expect(response.Data).toMatchObject({ Verdict: 'valid', IdentityLogin: 'admin' });
    expect(response.Data?.VendorVersion).toMatch(/^20\./);
    expect(receiver.received[0]?.body).not.toContain(DOLIBARR_KEYS.admin);
  });

  describe('a vendor that does not answer (the check deadline passes)', () => {
    let silent: Awaited<ReturnType<typeof startHoldingProxy>>;
    beforeAll(async () => {
      silent = await startHoldingProxy(odoo.url, () => true);
    });
    afterAll(() => silent.close());

    const silentProperties = (onInconclusive?: string) => ({
      ...odooProperties(),
      Fields: { serverUrl: silent.url, database: 'acme', username: 'admin' },
      ...(onInconclusive ? { OnInconclusive: onInconclusive } : {}),
    });

    it('warns by default: SUCCESS with the inconclusive verdict and the reason', async () => {
      await handlerWith({ deadlineMs: 500 })(event('Create', silentProperties()));
      const response = answer();
      expect(response.Status).toBe('SUCCESS');
      expect(response.Reason).toMatch(/inconclusive \(timeout\)/);
      expect(response.Data).toMatchObject({ Verdict: 'inconclusive', Reason: 'timeout' });
    });

    it('fails the deploy with OnInconclusive "fail"', async () => {
      await handlerWith({ deadlineMs: 500 })(event('Create', silentProperties('fail')));
      const response = answer();
      expect(response.Status).toBe('FAILED');
      expect(response.Reason).toMatch(/^credval: the Odoo credential is inconclusive \(timeout\)/);
    });
  });

  it('Delete always succeeds, reads no secret and calls no vendor, whatever its properties', async () => {
    const hitsBefore = odoo.requests.length;
    await handlerWith()(
      event(
        'Delete',
        { Connector: 'nonsense', SecretArn: 'not-an-arn' },
        { PhysicalResourceId: 'credval-check-0123' },
      ),
    );
    expect(answer()).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'credval-check-0123' });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(odoo.requests.length).toBe(hitsBefore);
  });

  it('a rollback to the inputs that last passed never fails, even if the credential stopped working', async () => {
    const properties = { ServiceToken: SERVICE_TOKEN, ...odooProperties('erp/canary') };
    await handlerWith()(
      event('Update', odooProperties('erp/canary'), {
        PhysicalResourceId: physicalIdOf(properties),
        OldResourceProperties: { ServiceToken: SERVICE_TOKEN, ...odooProperties('erp/odoo') },
      }),
    );
    const response = answer();
    expect(response.Status).toBe('SUCCESS');
    expect(response.Reason).toMatch(/^Kept on rollback: credval: the Odoo credential is invalid/);
    expect(response.PhysicalResourceId).toBe(physicalIdOf(properties));
  });

  it('an update during a rollback the stack reports never fails, though its inputs are new to this resource', async () => {
    // CloudFormation rolls back after another resource failed: this one had passed with new inputs (its physical
    // id is theirs) and now goes back to the old ones, which stopped working meanwhile.
    cfn.on(DescribeStacksCommand).resolves({
      Stacks: [
        { StackName: 'erp-stack', StackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS', CreationTime: new Date() },
      ],
    });
    const newer = { ServiceToken: SERVICE_TOKEN, ...odooProperties('erp/odoo') };
    await handlerWith()(
      event('Update', odooProperties('erp/canary'), {
        PhysicalResourceId: physicalIdOf(newer),
        OldResourceProperties: newer,
      }),
    );
    const response = answer();
    expect(response.Status).toBe('SUCCESS');
    expect(response.Reason).toMatch(/^Kept on rollback: credval: the Odoo credential is invalid/);
    expect(cfn.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({ StackName: STACK_ID });
  });

  it('an ordinary update to inputs that fail fails, after asking the stack whether it rolls back', async () => {
    const older = { ServiceToken: SERVICE_TOKEN, ...odooProperties('erp/odoo') };
    await handlerWith()(
      event('Update', odooProperties('erp/canary'), {
        PhysicalResourceId: physicalIdOf(older),
        OldResourceProperties: older,
      }),
    );
    expect(answer().Status).toBe('FAILED');
    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(1);
  });

  it.each([
    [
      'a secret field in the template',
      () => ({
        ...odooProperties(),
        Fields: { serverUrl: 'https://erp.example.com', database: 'a', username: 'u', password: CANARY },
      }),
      /password must not be in Fields: secret fields come from the secret only/,
    ],
    ['an unknown connector', () => ({ ...odooProperties(), Connector: 'sap' }), /unknown connector "sap"/],
    ['a SecretArn that is no ARN', () => ({ ...odooProperties(), SecretArn: 'erp/odoo' }), /SecretArn/],
    ['a missing secret', () => odooProperties('erp/missing'), /erp\/missing-AbCdEf does not exist/],
    [
      'a secret the function may not read',
      () => odooProperties('erp/forbidden'),
      /may not read the secret .*resource policy/,
    ],
    [
      'a throttled read of the secret',
      () => odooProperties('erp/throttled'),
      /reading the secret .*erp\/throttled-AbCdEf failed \(ThrottlingException\)\. Deploy again in a moment\./,
    ],
    [
      'a secret without the field',
      () => odooProperties('erp/empty-object'),
      /has none of the secret fields "password"/,
    ],
    [
      'fields the connector refuses',
      () => ({
        ...odooProperties(),
        Fields: { serverUrl: 'ftp://erp', database: 'acme', username: 'admin' },
      }),
      /fields are not valid: .*serverUrl/,
    ],
  ])(
    '%s: FAILED with a reason that says what to fix, and nothing secret',
    async (_what, properties, reason) => {
      await handlerWith()(event('Create', properties()));
      const response = answer();
      expect(response.Status).toBe('FAILED');
      expect(response.Reason).toMatch(reason);
      expect(receiver.received[0]?.body).not.toContain(CANARY);
      expect(logged).not.toContain(CANARY);
    },
  );

  it('an unexpected error still answers (FAILED; SUCCESS for Delete), so CloudFormation never waits for a timeout', async () => {
    const broken = new CredentialCheckResource({
      check: async () => {
        throw new TypeError(`boom ${CANARY}`);
      },
      readSecret: secretsManagerReader(secretsManager),
    });
    await handlerWith({ check: broken })(event('Create', odooProperties()));
    const response = answer();
    expect(response.Status).toBe('FAILED');
    expect(response.Reason).toBe(
      'credval: the check could not run (an internal error); the function log has the details.',
    );
    expect(logged).toContain('TypeError');
    expect(logged).not.toContain(CANARY);
  });

  it('retries the answer when the response URL answers 503, and fails loudly when it never takes it', async () => {
    receiver.failNext(2);
    await handlerWith()(event('Delete', {}, { PhysicalResourceId: 'credval-check-0123' }));
    expect(answer().Status).toBe('SUCCESS');

    receiver.received.length = 0;
    receiver.failNext(3);
    await expect(handlerWith()(event('Delete', {}, { PhysicalResourceId: 'x' }))).rejects.toThrow(
      /could not be delivered \(HTTP 503\)/,
    );
  });
});
