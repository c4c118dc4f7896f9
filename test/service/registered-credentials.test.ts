// Credentials registered by a CredentialCheck resource, whose secret their owner keeps in Secrets Manager: the
// register-credential function's handler driven with real payloads, the worker and the re-check reading the owner's
// secret by ARN, and the API's edits and deletes on them. DynamoDB is dynalite; Secrets Manager is faked at the SDK
// boundary, the owner's secrets on one client (as the external-secrets part builds it) and credval's own store on
// another; the vendor is the Dolibarr simulator, whose working key is the canary that must show up nowhere.
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  SecretsManagerServiceException,
} from '@aws-sdk/client-secrets-manager';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeRegisterCredentialHandler } from '../../shared/app/handlers/register-credential.ts';
import { withLocalChangeFeed } from '../../shared/app/local-change-feed.ts';
import { prepareCheck, runCheck } from '../../shared/connectors/check.ts';
import type { Credential } from '../../shared/domain/credential.ts';
import type { CredentialEvent, RevalidationMessage } from '../../shared/domain/events.ts';
import type { RegistrationResult } from '../../shared/domain/registration.ts';
import type { Report } from '../../shared/domain/report.ts';
import { makeDeleteCredentialHandler } from '../../shared/http/handlers/delete-credential.ts';
import { makeGetCredentialHandler } from '../../shared/http/handlers/get-credential.ts';
import { makeRecheckHandler } from '../../shared/http/handlers/recheck-credential.ts';
import { makeUpdateCredentialHandler } from '../../shared/http/handlers/update-credential.ts';
import type { HttpBase, HttpEvent } from '../../shared/http/route.ts';
import { createGuardedClient } from '../../shared/net/guarded-client.ts';
import type { GuardedClient } from '../../shared/net/types.ts';
import { ChangeFeedConsumer } from '../../shared/service/change-feed.ts';
import { ServiceConfig } from '../../shared/service/config.ts';
import { type Checker, CredentialCommands } from '../../shared/service/credential-commands.ts';
import { CredentialReads } from '../../shared/service/credential-reads.ts';
import { secretFieldsOf } from '../../shared/service/external-secret.ts';
import { CredentialRegistrations } from '../../shared/service/register-credential.ts';
import { RevalidationWorker } from '../../shared/service/revalidation-worker.ts';
import { DynamoCredentialRepository } from '../../shared/store/dynamo-credential-repository.ts';
import {
  createDocumentClient,
  createDynamoClient,
  ensureCredentialsTable,
  type LocalDynamo,
  startLocalDynamo,
} from '../../shared/store/local-dynamo.ts';
import type { CredentialRepository } from '../../shared/store/ports.ts';
import { secretsManagerReader } from '../../shared/store/secret-reader.ts';
import { SecretsManagerSecretStore } from '../../shared/store/secrets-manager-secret-store.ts';
import { fakeSecretsManager } from '../helpers/fake-secrets-manager.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';

const TENANT = 'tenant-a';
const ACCOUNT = '123456789012';
const STACK_ID = `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/erp-stack/5b2c3d40-b3f1-11ef-9a4b-0a1b2c3d4e5f`;
const LOGICAL_ID = 'ErpCheck5C0E7B1A';
const CREDENTIAL_ID = 'erp-stack-ErpCheck-5b2c3d40';
const secretArn = (name: string) => `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:${name}-AbCdEf`;
const ARN = secretArn('erp/dolibarr');
/** The key the vendor accepts: it must appear in no item, report, event, log line or answer. */
const CANARY = 'canary-9f8e7d6c5b4a3f2e1d0c-SECRET';
const OTHER_KEY = 'registered-other-key-0a1b2c3d4e5f';
const T0 = Date.parse('2026-12-07T10:00:00Z');
const HOUR = 3_600_000;
const context = {
  functionName: 'credval-register-credential',
  awsRequestId: 'req-1',
  invokedFunctionArn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:credval-register-credential`,
  memoryLimitInMB: '256',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;

describe('registered credentials: the owner keeps the secret, credval only reads it', () => {
  let dynamo: LocalDynamo;
  let sim: DolibarrSimulator;
  let client: GuardedClient;
  let tables = 0;
  let tableName: string;
  let repository: CredentialRepository;
  let events: CredentialEvent[];
  let now: number;
  let logged: string;
  let answers: string[];
  let handled: string[];
  /** credval's own secret store (Secrets Manager), which a registered credential must never touch. */
  let store: ReturnType<typeof fakeSecretsManager>;
  /** The owners' secrets, read by ARN through their own client (shared/app/external-secrets.ts). */
  const ownerClient = new SecretsManagerClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'never-used' },
  });
  const owner = mockClient(ownerClient);
  /** ARN -> the secret's text, as its owner stored it. */
  let ownerSecrets: Map<string, string>;
  let check: Checker;
  let registrations: CredentialRegistrations;
  let commands: CredentialCommands;
  let worker: RevalidationWorker;
  let http: HttpBase;

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    dynamo = await startLocalDynamo();
    sim = await startDolibarrSimulator({
      users: [
        { id: 1, login: 'svc', apiKey: CANARY, rights: ['societe.lire'] },
        { id: 2, login: 'other', apiKey: OTHER_KEY, rights: ['societe.lire'] },
      ],
      failureDelayMs: 10,
    });
    client = createGuardedClient({ egressAllow: ['127.0.0.0/8'] });
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
    await dynamo.close();
  });

  beforeEach(async () => {
    now = T0;
    tables += 1;
    tableName = `credval-registered-${tables}`;
    await ensureCredentialsTable(createDynamoClient(dynamo.endpoint), tableName);
    const dynamoRepository = new DynamoCredentialRepository({
      client: createDocumentClient(dynamo.endpoint),
      tableName,
      clock: { now: () => new Date(now) },
    });
    events = [];
    handled = [];
    answers = [];
    const clock = { now: () => new Date(now) };
    const config = ServiceConfig.parse({ secretPrefix: 'credval-test', checkIntervalMs: 6 * HOUR });
    // As on AWS: every stored item feeds the change feed (history entries, events); locally in process.
    repository = withLocalChangeFeed(
      dynamoRepository,
      new ChangeFeedConsumer({
        repository: dynamoRepository,
        events: { publish: async (batch) => void events.push(...batch) },
        historyTtlDays: config.historyTtlDays,
        clock,
      }),
      (what) => handled.push(what),
    );

    sim.reset();
    sim.setApiKey('svc', CANARY);
    store = fakeSecretsManager();
    ownerSecrets = new Map([
      [ARN, JSON.stringify({ apiKey: CANARY })],
      [secretArn('erp/bare'), CANARY],
    ]);
    owner.reset();
    owner.on(GetSecretValueCommand).callsFake(async (input: { SecretId: string }) => {
      if (input.SecretId === secretArn('erp/forbidden')) {
        throw new SecretsManagerServiceException({
          name: 'AccessDeniedException',
          $fault: 'client',
          message: `User is not authorized to perform secretsmanager:GetSecretValue ${CANARY}`,
          $metadata: {},
        });
      }
      const text = ownerSecrets.get(input.SecretId);
      if (text === undefined) {
        throw new ResourceNotFoundException({
          message: "Secrets Manager can't find the specified secret.",
          $metadata: {},
        });
      }
      return { ARN: input.SecretId, SecretString: text, VersionId: 'v-owner-1' };
    });

    logged = '';
    for (const stream of [process.stdout, process.stderr]) {
      vi.spyOn(stream, 'write').mockImplementation((chunk) => {
        logged += String(chunk);
        return true;
      });
    }
    http = {
      logger: new Logger({ serviceName: 'credval-test', logLevel: 'DEBUG' }),
      metrics: new Metrics({ namespace: 'credval-test', serviceName: 'credval-test' }),
      tenantClaim: 'tenant_id',
      corsOrigins: ['*'],
    };
    // Reports carry the test's time, so history (sorted by check time) reads in the order things happened.
    check = (prepared) => runCheck(prepared, { client, now: () => now });
    const parts = {
      repository,
      secrets: new SecretsManagerSecretStore({ client: store.client }),
      check,
      clock,
      config,
      onHandledError: (what: string) => handled.push(what),
    };
    registrations = new CredentialRegistrations({ repository, clock, config, random: () => 0.5 });
    commands = new CredentialCommands({ ...parts, externalSecrets: secretsManagerReader(ownerClient) });
    worker = new RevalidationWorker({ ...parts, externalSecrets: secretsManagerReader(ownerClient) });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** The report a CredentialCheck resource sends: a real check of the simulator with the owner's key. */
  async function deployCheck(apiKey = CANARY): Promise<Report> {
    return check(prepareCheck({ connector: 'dolibarr', fields: { baseUrl: sim.url, apiKey } }));
  }

  /** A register payload as the construct's custom resource sends it (plain JSON, as Lambda Invoke delivers it). */
  async function registerPayload(overrides: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return JSON.parse(
      JSON.stringify({
        action: 'register',
        tenantId: TENANT,
        credentialId: CREDENTIAL_ID,
        name: 'ERP (from erp-stack)',
        description: 'Purchasing sync',
        connector: 'dolibarr',
        fields: { baseUrl: sim.url },
        requirements: [{ resource: 'thirdparties', access: ['read'] }],
        secretArn: ARN,
        report: await deployCheck(),
        registration: {
          stackId: STACK_ID,
          logicalResourceId: LOGICAL_ID,
          physicalResourceId: 'credval-check-1',
        },
        ...overrides,
      }),
    );
  }

  const deregisterPayload = (physicalResourceId = 'credval-check-1') => ({
    action: 'deregister',
    tenantId: TENANT,
    credentialId: CREDENTIAL_ID,
    registration: { stackId: STACK_ID, logicalResourceId: LOGICAL_ID, physicalResourceId },
  });

  /** The register-credential function's handler, invoked with a payload as Lambda delivers it. */
  async function invoke(payload: unknown): Promise<RegistrationResult> {
    const handler = makeRegisterCredentialHandler(registrations, http);
    const result = await handler(payload, context);
    answers.push(JSON.stringify(result));
    return result;
  }

  const stored = async (id = CREDENTIAL_ID) => repository.get(TENANT, id);

  /** An HTTP API (payload 2.0) event for a route handler, with the tenant the JWT authorizer would give. */
  function httpEvent(
    method: string,
    id: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): HttpEvent {
    const path = `/credentials/${id}${method === 'POST' ? '/validate' : ''}`;
    return {
      version: '2.0',
      routeKey: `${method} ${path}`,
      rawPath: path,
      rawQueryString: '',
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      pathParameters: { id },
      requestContext: {
        accountId: ACCOUNT,
        apiId: 'api',
        domainName: 'api.example.com',
        domainPrefix: 'api',
        http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 'test' },
        requestId: randomUUID(),
        routeKey: `${method} ${path}`,
        stage: '$default',
        time: new Date(now).toUTCString(),
        timeEpoch: now,
        authorizer: {
          principalId: '',
          integrationLatency: 0,
          jwt: { claims: { tenant_id: TENANT }, scopes: [] },
        },
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      isBase64Encoded: false,
    } as HttpEvent;
  }

  type Answer = { statusCode: number; headers: Record<string, string>; json: Record<string, unknown> | null };
  async function call(
    handler: (event: HttpEvent, context: Context) => Promise<APIGatewayProxyResultV2>,
    event: HttpEvent,
  ): Promise<Answer> {
    const result = (await handler(event, context)) as {
      statusCode: number;
      headers: Record<string, string>;
      body?: string;
    };
    answers.push(JSON.stringify(result));
    return {
      statusCode: result.statusCode,
      headers: result.headers,
      json: result.body ? (JSON.parse(result.body) as Record<string, unknown>) : null,
    };
  }

  const message = (checkId: string = randomUUID()): RevalidationMessage => ({
    tenantId: TENANT,
    credentialId: CREDENTIAL_ID,
    checkId,
    version: null,
    trigger: 'schedule',
    cause: 'due',
  });

  /** Every item of the table as DynamoDB holds it: credentials, history entries, anything else. */
  async function everythingStored(): Promise<string> {
    const scan = await createDocumentClient(dynamo.endpoint).send(new ScanCommand({ TableName: tableName }));
    return JSON.stringify(scan.Items ?? []);
  }

  describe('register', () => {
    it('creates the credential from the resource’s check: valid, version 1, the ARN as its secret, scheduled', async () => {
      expect(await invoke(await registerPayload())).toEqual({
        ok: true,
        credentialId: CREDENTIAL_ID,
        outcome: 'created',
      });
      const item = (await stored()) as Credential;
      expect(item).toMatchObject({
        tenantId: TENANT,
        id: CREDENTIAL_ID,
        connector: 'dolibarr',
        name: 'ERP (from erp-stack)',
        description: 'Purchasing sync',
        fields: { baseUrl: sim.url },
        requirements: [{ resource: 'thirdparties', access: ['read'] }],
        status: 'valid',
        lastCheck: { verdict: 'valid' },
        version: 1,
        secretName: ARN,
        secretArn: ARN,
        registration: {
          stackId: STACK_ID,
          logicalResourceId: LOGICAL_ID,
          physicalResourceId: 'credval-check-1',
        },
        monitor: { lastCheckId: 'v1', lastTrigger: 'create', lastStatusBefore: null },
      });
      expect(item.secretVersion).toBeUndefined();
      // CHECK_INTERVAL from now, spread by the jitter (half of 10 % here).
      expect(item.nextCheckAt).toBe(new Date(T0 + 6 * HOUR * 1.05).toISOString());
      // Its first check is in the history, announced like any stored credential's.
      const history = await repository.listChecks(TENANT, CREDENTIAL_ID, { limit: 10 });
      expect(history.items.map((h) => [h.trigger, h.statusAfter])).toEqual([['create', 'valid']]);
      expect(events.map((e) => e.detailType)).toEqual(['CredentialChecked']);
      // Registering reads no secret and stores none.
      expect(owner.calls()).toHaveLength(0);
      expect(store.mock.calls()).toHaveLength(0);
      expect(logged).toMatch(/"message":"registration done".*"outcome":"created"/);
      expect(logged).toContain(`"credential_id":"${CREDENTIAL_ID}"`);

      // The API shows where it is defined, not how credval keys it.
      const get = makeGetCredentialHandler({ ...http, reads: new CredentialReads(repository) });
      const answer = await call(get, httpEvent('GET', CREDENTIAL_ID));
      expect(answer.statusCode).toBe(200);
      expect(answer.json).toMatchObject({
        id: CREDENTIAL_ID,
        secretArn: ARN,
        managedBy: { stackId: STACK_ID, logicalResourceId: LOGICAL_ID },
      });
      for (const hidden of ['registration', 'secretName', 'tenantId', 'monitor', 'secretVersion'])
        expect(answer.json).not.toHaveProperty(hidden);
    });

    it('a re-registration from a stack update replaces it with the new inputs and report, as its next version', async () => {
      await invoke(await registerPayload());
      await makeUpdateCredentialHandler({ ...http, commands })(
        httpEvent('PATCH', CREDENTIAL_ID, { name: 'renamed by the tenant' }),
        context,
      );
      now = T0 + HOUR;
      const unverified = { ...(await deployCheck()), verdict: 'inconclusive', reason: 'timeout' };
      const result = await invoke(
        await registerPayload({
          name: 'ERP (renamed in the stack)',
          description: undefined,
          requirements: [],
          secretArn: secretArn('erp/bare'),
          report: unverified,
          registration: {
            stackId: STACK_ID,
            logicalResourceId: LOGICAL_ID,
            physicalResourceId: 'credval-check-2',
          },
        }),
      );
      expect(result).toEqual({ ok: true, credentialId: CREDENTIAL_ID, outcome: 'updated' });
      const item = (await stored()) as Credential;
      expect(item).toMatchObject({
        name: 'ERP (renamed in the stack)',
        description: '',
        requirements: [],
        status: 'unverified',
        lastCheck: { verdict: 'inconclusive', reason: 'timeout' },
        version: 3,
        createdAt: new Date(T0).toISOString(),
        updatedAt: new Date(T0 + HOUR).toISOString(),
        secretName: secretArn('erp/bare'),
        secretArn: secretArn('erp/bare'),
        registration: { physicalResourceId: 'credval-check-2' },
        monitor: {
          lastCheckId: 'v3',
          lastTrigger: 'update',
          lastStatusBefore: 'valid',
          inconclusiveStreak: 0,
        },
      });
      const history = await repository.listChecks(TENANT, CREDENTIAL_ID, { limit: 10 });
      expect(history.items.map((h) => [h.trigger, h.statusAfter])).toEqual([
        ['update', 'unverified'],
        ['create', 'valid'],
      ]);
    });

    it.each([
      [
        'an invalid report',
        async () => registerPayload({ report: await deployCheck('wrong-key-00000000000') }),
        'credential_invalid',
        /invalid \(invalid_credentials\); an invalid credential is not registered/,
      ],
      [
        'a secret field in fields',
        async () => registerPayload({ fields: { baseUrl: sim.url, apiKey: CANARY } }),
        'invalid_input',
        /fields must not hold apiKey: secret fields are read from the secret arn:aws:secretsmanager:/,
      ],
      [
        'a field the connector does not have',
        async () => registerPayload({ fields: { baseUrl: sim.url, [CANARY]: 'x', tenantName: 'y' } }),
        'invalid_input',
        /dolibarr has no field\(s\) \(name not shown\), tenantName \(its non-secret fields: baseUrl, entity\)/,
      ],
      [
        'a missing required field',
        async () => registerPayload({ fields: {} }),
        'invalid_input',
        /dolibarr needs the field\(s\) baseUrl/,
      ],
      [
        'an unknown connector',
        async () => registerPayload({ connector: 'sap' }),
        'invalid_input',
        /unknown connector "sap" \(known: dolibarr, odoo, precoro\)/,
      ],
    ])('refuses %s, and stores nothing', async (_what, payload, code, message) => {
      const result = await invoke(await payload());
      expect(result).toMatchObject({ ok: false, code });
      expect(result.ok ? '' : result.message).toMatch(message);
      expect(await stored()).toBeNull();
      expect(JSON.stringify(result)).not.toContain(CANARY);
      expect(logged).toMatch(new RegExp(`"message":"registration refused".*"code":"${code}"`));
    });

    it('refuses an id taken by a credential credval keeps itself, and leaves that one as it was', async () => {
      const managed = await commands.create(TENANT, {
        connector: 'dolibarr',
        name: 'kept by credval',
        fields: { baseUrl: sim.url, apiKey: OTHER_KEY },
      });
      const result = await invoke(await registerPayload({ credentialId: managed.id }));
      expect(result).toMatchObject({ ok: false, code: 'conflict' });
      expect(result.ok ? '' : result.message).toMatch(/whose secret credval keeps itself/);
      expect(await stored(managed.id)).toEqual(managed);
    });
  });

  describe('deregister', () => {
    it('removes the registration of the same physical resource; the owner’s secret is not touched', async () => {
      await invoke(await registerPayload());
      expect(await invoke(deregisterPayload())).toEqual({
        ok: true,
        credentialId: CREDENTIAL_ID,
        outcome: 'removed',
      });
      expect(await stored()).toBeNull();
      expect(owner.calls()).toHaveLength(0);
      expect(store.mock.calls()).toHaveLength(0);
      // Already gone: a retried deletion, or a resource that never registered.
      expect(await invoke(deregisterPayload())).toEqual({
        ok: true,
        credentialId: CREDENTIAL_ID,
        outcome: 'absent',
      });
    });

    it('keeps a credential that another physical resource registered since (the old one deleted after an update)', async () => {
      await invoke(await registerPayload());
      await invoke(
        await registerPayload({
          registration: {
            stackId: STACK_ID,
            logicalResourceId: LOGICAL_ID,
            physicalResourceId: 'credval-check-2',
          },
        }),
      );
      expect(await invoke(deregisterPayload('credval-check-1'))).toEqual({
        ok: true,
        credentialId: CREDENTIAL_ID,
        outcome: 'kept',
      });
      expect((await stored())?.registration?.physicalResourceId).toBe('credval-check-2');
    });

    it('refuses to remove a credential credval keeps itself', async () => {
      const managed = await commands.create(TENANT, {
        connector: 'dolibarr',
        name: 'kept by credval',
        fields: { baseUrl: sim.url, apiKey: OTHER_KEY },
      });
      const result = await invoke({ ...deregisterPayload(), credentialId: managed.id });
      expect(result).toMatchObject({ ok: false, code: 'conflict' });
      expect(await stored(managed.id)).toEqual(managed);
    });
  });

  describe('the register function’s payload', () => {
    it.each([
      [
        'an empty object',
        {},
        /action: matches none of the accepted shapes|action: not one of the accepted values/,
      ],
      ['not an object', `{"action":"register","secret":"${CANARY}"}`, /\(request\): expected object/],
      ['an unknown action', { action: 'rotate', tenantId: TENANT }, /action/],
    ])('%s: invalid_input, naming the path', async (_what, payload, message) => {
      const result = await invoke(payload);
      expect(result).toMatchObject({ ok: false, code: 'invalid_input' });
      expect(result.ok ? '' : result.message).toMatch(message);
      expect(JSON.stringify(result)).not.toContain(CANARY);
    });

    it('names the bad paths of a malformed register request, never their values', async () => {
      const payload = await registerPayload({
        secretArn: `not-an-arn-${CANARY}`,
        credentialId: `bad id ${CANARY}`,
        password: CANARY,
        [CANARY]: 'a key that is a secret',
        fields: { baseUrl: sim.url, [`k-${CANARY}`]: 42 },
      });
      const result = await invoke(payload);
      expect(result.ok).toBe(false);
      const text = result.ok ? '' : result.message;
      expect(text).toMatch(/^credval: the registration request is not valid: /);
      expect(text).toContain('secretArn: not in the expected format');
      expect(text).toContain('credentialId: not in the expected format');
      expect(text).toContain('fields.(name not shown): expected string');
      expect(text).toMatch(
        /\(request\): unknown key\(s\) (password, \(name not shown\)|\(name not shown\), password)/,
      );
      expect(JSON.stringify(result)).not.toContain(CANARY);
      expect(logged).toContain('registration request refused');
      expect(logged).not.toContain(CANARY);
      expect(await stored()).toBeNull();
    });
  });

  describe('re-checks read the owner’s secret by ARN', () => {
    it('the worker reads the ARN, checks with the vendor and stores the report like any check', async () => {
      await invoke(await registerPayload());
      now = T0 + 6 * HOUR;
      sim.reset();
      expect(await worker.work(message('check-1'))).toBe('checked');
      expect(owner.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([
        { SecretId: ARN },
      ]);
      expect(sim.requests.map((r) => r.headers.dolapikey)).toContain(CANARY);
      const item = (await stored()) as Credential;
      expect(item).toMatchObject({
        status: 'valid',
        version: 2,
        lastCheck: { verdict: 'valid', reason: null },
        monitor: { lastCheckId: 'check-1', lastTrigger: 'schedule' },
        secretArn: ARN,
      });
      expect(store.mock.calls()).toHaveLength(0);
    });

    it('a secret that is the bare value of the connector’s one secret field works too', async () => {
      await invoke(await registerPayload({ secretArn: secretArn('erp/bare') }));
      expect(await worker.work(message())).toBe('checked');
      expect((await stored())?.lastCheck).toMatchObject({ verdict: 'valid' });
    });

    it.each([
      [
        'gone',
        secretArn('erp/deleted'),
        /the secret arn:aws:secretsmanager:.*erp\/deleted-AbCdEf does not exist/,
      ],
      [
        'refused',
        secretArn('erp/forbidden'),
        /may not read the secret arn:aws:secretsmanager:.*erp\/forbidden-AbCdEf/,
      ],
      ['without the secret field', secretArn('erp/empty-object'), /has none of the secret fields "apiKey"/],
    ])(
      'a secret %s: secret_unavailable without a vendor call, through the status policy to degraded',
      async (_what, arn, reason) => {
        ownerSecrets.set(secretArn('erp/empty-object'), JSON.stringify({ other: CANARY }));
        await invoke(await registerPayload({ secretArn: arn }));
        sim.reset();
        for (let i = 1; i <= 3; i++) {
          now = T0 + i * 6 * HOUR;
          expect(await worker.work(message(`check-${i}`))).toBe('checked');
        }
        expect(sim.requests).toHaveLength(0);
        expect(owner.commandCalls(GetSecretValueCommand)).toHaveLength(3);
        const item = (await stored()) as Credential;
        // Three inconclusive checks in a row make a valid credential degraded, never invalid.
        expect(item.status).toBe('degraded');
        expect(item.monitor.inconclusiveStreak).toBe(3);
        expect(item.lastCheck).toMatchObject({
          verdict: 'inconclusive',
          reason: 'secret_unavailable',
          field: null,
          probes: [],
          checkedAt: new Date(T0 + 18 * HOUR).toISOString(),
        });
        expect(item.lastCheck?.message).toMatch(reason);
        const history = await repository.listChecks(TENANT, CREDENTIAL_ID, { limit: 10 });
        expect(history.items.map((h) => h.report.reason)).toEqual([
          'secret_unavailable',
          'secret_unavailable',
          'secret_unavailable',
          null,
        ]);
        expect(events.filter((e) => e.detailType === 'CredentialStatusChanged').map((e) => e.detail)).toEqual(
          [expect.objectContaining({ from: 'valid', to: 'degraded', reason: 'secret_unavailable' })],
        );
        expect(JSON.stringify(item)).not.toContain(CANARY);
        expect(JSON.stringify(events)).not.toContain(CANARY);
      },
    );

    it('POST /credentials/{id}/validate re-checks with the owner’s secret, and records secret_unavailable when it is gone', async () => {
      await invoke(await registerPayload());
      const recheck = makeRecheckHandler({ ...http, commands });
      const first = await call(recheck, httpEvent('POST', CREDENTIAL_ID));
      expect(first.statusCode).toBe(200);
      expect(first.json).toMatchObject({ lastCheck: { verdict: 'valid' }, version: 2, secretArn: ARN });
      expect(owner.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input)).toEqual([
        { SecretId: ARN },
      ]);

      ownerSecrets.delete(ARN);
      sim.reset();
      const second = await call(recheck, httpEvent('POST', CREDENTIAL_ID));
      expect(second.statusCode).toBe(200);
      expect(second.json).toMatchObject({
        status: 'valid',
        version: 3,
        lastCheck: { verdict: 'inconclusive', reason: 'secret_unavailable', retryable: true },
      });
      expect(sim.requests).toHaveLength(0);
      expect(store.mock.calls()).toHaveLength(0);
    });

    it('without a reader of owners’ secrets (the local server) a re-check is secret_unavailable, never a vendor call', async () => {
      await invoke(await registerPayload());
      const local = new CredentialCommands({
        repository,
        secrets: new SecretsManagerSecretStore({ client: store.client }),
        check,
        clock: { now: () => new Date(now) },
        config: ServiceConfig.parse({}),
      });
      sim.reset();
      const rechecked = await local.recheck(TENANT, CREDENTIAL_ID);
      expect(rechecked.lastCheck).toMatchObject({ verdict: 'inconclusive', reason: 'secret_unavailable' });
      expect(rechecked.lastCheck?.message).toMatch(/this server reads no secret kept by its owner/);
      expect(sim.requests).toHaveLength(0);
      expect(owner.calls()).toHaveLength(0);
    });
  });

  describe('the API on a registered credential', () => {
    it('PATCH of fields, requirements or the secret: 409 managed_externally, naming the stack; nothing changes', async () => {
      await invoke(await registerPayload());
      const before = await stored();
      const update = makeUpdateCredentialHandler({ ...http, commands });
      for (const body of [
        { fields: { baseUrl: 'https://erp.example.com' } },
        { fields: { apiKey: CANARY } },
        { requirements: [{ resource: 'thirdparties', access: ['read', 'write'] }] },
        { name: 'both', fields: { entity: '2' } },
      ]) {
        const answer = await call(update, httpEvent('PATCH', CREDENTIAL_ID, body));
        expect(answer.statusCode).toBe(409);
        expect(answer.json).toMatchObject({ status: 409, code: 'managed_externally' });
        expect(answer.json?.detail).toBe(
          `This credential is defined in CloudFormation stack ${STACK_ID} (resource ${LOGICAL_ID}) and its secret is kept in Secrets Manager (${ARN}): change its fields, requirements or secret there. Only its name and description can be changed here.`,
        );
      }
      expect(await stored()).toEqual(before);
      expect(owner.calls()).toHaveLength(0);
      expect(store.mock.calls()).toHaveLength(0);
    });

    it('PATCH of the name and description: 200, no vendor call, no secret read', async () => {
      await invoke(await registerPayload());
      sim.reset();
      const update = makeUpdateCredentialHandler({ ...http, commands });
      const answer = await call(
        update,
        httpEvent('PATCH', CREDENTIAL_ID, { name: 'ERP', description: 'renamed' }, { 'if-match': '"1"' }),
      );
      expect(answer.statusCode).toBe(200);
      expect(answer.json).toMatchObject({
        name: 'ERP',
        description: 'renamed',
        version: 2,
        managedBy: { stackId: STACK_ID },
      });
      expect(answer.headers.etag).toBe('"2"');
      expect(sim.requests).toHaveLength(0);
      expect(owner.calls()).toHaveLength(0);
      expect(store.mock.calls()).toHaveLength(0);
    });

    it('DELETE: 204, the item is gone, and no Secrets Manager call at all', async () => {
      await invoke(await registerPayload());
      const remove = makeDeleteCredentialHandler({
        ...http,
        deletion: {
          repository,
          secrets: new SecretsManagerSecretStore({ client: store.client }),
          recoveryDays: 7,
          onHandledError: (what) => handled.push(what),
        },
      });
      const answer = await call(remove, httpEvent('DELETE', CREDENTIAL_ID));
      expect(answer.statusCode).toBe(204);
      expect(await stored()).toBeNull();
      expect(owner.calls()).toHaveLength(0);
      expect(store.mock.calls()).toHaveLength(0);
      expect(handled).toEqual([]);
      // The stack deleting its resource later finds nothing to remove.
      expect(await invoke(deregisterPayload())).toMatchObject({ ok: true, outcome: 'absent' });
    });
  });

  it('the canary key shows up in no stored item, history entry, report, event, log line or answer', async () => {
    await invoke(await registerPayload());
    await invoke(await registerPayload({ fields: { baseUrl: sim.url, apiKey: CANARY } }));
    await worker.work(message());
    const recheck = makeRecheckHandler({ ...http, commands });
    await call(recheck, httpEvent('POST', CREDENTIAL_ID));
    await call(
      makeUpdateCredentialHandler({ ...http, commands }),
      httpEvent('PATCH', CREDENTIAL_ID, { fields: { apiKey: CANARY } }),
    );
    ownerSecrets.set(ARN, JSON.stringify({ other: CANARY }));
    await worker.work(message());
    await call(
      makeGetCredentialHandler({ ...http, reads: new CredentialReads(repository) }),
      httpEvent('GET', CREDENTIAL_ID),
    );
    // The vendor did see it: the checks were real.
    expect(sim.requests.map((r) => r.headers.dolapikey)).toContain(CANARY);
    const history = await repository.listChecks(TENANT, CREDENTIAL_ID, { limit: 10 });
    expect(history.items.length).toBeGreaterThanOrEqual(3);

    const table = await everythingStored();
    expect(table).toContain(CREDENTIAL_ID);
    expect(table).not.toContain(CANARY);
    expect(JSON.stringify(events)).not.toContain(CANARY);
    expect(answers.join('\n')).not.toContain(CANARY);
    expect(logged).toContain('registration done');
    expect(logged).not.toContain(CANARY);
  });

  it('secretFieldsOf: a JSON object by field name, or the bare value of a connector’s one secret field', () => {
    expect(secretFieldsOf(JSON.stringify({ apiKey: 'k', other: 'x' }), ['apiKey'], ARN)).toEqual({
      apiKey: 'k',
    });
    expect(secretFieldsOf('  bare-key  ', ['apiKey'], ARN)).toEqual({ apiKey: 'bare-key' });
    expect(() => secretFieldsOf('bare-password', ['password', 'token'], ARN)).toThrow(
      /must hold a JSON object with "password", "token"/,
    );
    expect(() => secretFieldsOf('{"password":""}', ['password'], ARN)).toThrow(
      /has none of the secret fields "password"/,
    );
    try {
      secretFieldsOf(JSON.stringify({ password: 7, other: CANARY }), ['password'], ARN);
    } catch (error) {
      expect((error as Error).name).toBe('SecretReadError');
      expect((error as Error).message).not.toContain(CANARY);
    }
  });
});
