// A CredentialCheck resource with `register`, end to end: CloudFormation-shaped events into the resource, whose
// registrar invokes credval's register-credential function through the real Lambda adapter (the Lambda API faked at
// the SDK boundary, answering with the real handler on dynalite), then credval's worker re-checks the registered
// credential by reading the owner's secret by ARN. The vendor is the Dolibarr simulator over loopback.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeRegisterCredentialHandler } from '../../shared/app/handlers/register-credential.ts';
import { runCheck } from '../../shared/connectors/check.ts';
import { createGuardedClient } from '../../shared/net/guarded-client.ts';
import type { GuardedClient } from '../../shared/net/types.ts';
import { ServiceConfig } from '../../shared/service/config.ts';
import {
  CredentialCheckResource,
  type CustomResourceEvent,
  physicalIdOf,
  registeredCredentialIdOf,
} from '../../shared/service/credential-check-resource.ts';
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
import { lambdaRegistrar } from '../../shared/store/registrar.ts';
import { secretsManagerReader } from '../../shared/store/secret-reader.ts';
import { fakeSecretsManager } from '../helpers/fake-secrets-manager.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';

const ACCOUNT = '123456789012';
const STACK_ID = `arn:aws:cloudformation:eu-west-1:${ACCOUNT}:stack/erp-stack/0a1b2c3d-b3f1-11ef-9a4b-0a1b2c3d4e5f`;
const SECRET_ARN = `arn:aws:secretsmanager:eu-west-1:${ACCOUNT}:secret:erp/dolibarr-AbCdEf`;
const REGISTER_ARN = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:credval-prod-RegisterCredentialFunction`;
const SERVICE_TOKEN = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:erp-stack-DolibarrCheckProvider`;
const TENANT = 'acme';
/** The key the vendor accepts: it must appear in no stored item, no answer. */
const CANARY = 'canary-register-7a6b5c4d3e2f-SECRET';
const TABLE = 'credval-registration-e2e';

describe('CredentialCheck with register, through credval’s register function', () => {
  let dynamo: LocalDynamo;
  let dolibarr: DolibarrSimulator;
  let client: GuardedClient;
  let repository: DynamoCredentialRepository;
  let resource: CredentialCheckResource;
  let invocations: unknown[];
  const lambda = mockClient(LambdaClient);
  const owner = new SecretsManagerClient({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'never-used' },
  });
  const ownerSecrets = mockClient(owner);
  const logger = new Logger({ serviceName: 'credval-test', logLevel: 'SILENT' });
  const metrics = new Metrics({ namespace: 'credval-test', serviceName: 'credval-test' });
  const config = ServiceConfig.parse({ secretPrefix: 'credval/prod', checkIntervalMs: 6 * 3_600_000 });

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    dynamo = await startLocalDynamo();
    await ensureCredentialsTable(createDynamoClient(dynamo.endpoint), TABLE);
    repository = new DynamoCredentialRepository({
      client: createDocumentClient(dynamo.endpoint),
      tableName: TABLE,
    });
    dolibarr = await startDolibarrSimulator({
      users: [
        {
          id: 7,
          login: 'sync',
          apiKey: CANARY,
          firstname: 'Sync',
          lastname: 'User',
          rights: ['societe.lire'],
        },
      ],
      failureDelayMs: 0,
    });
    client = createGuardedClient({ egressAllow: ['127.0.0.0/8'] });
  });
  afterAll(async () => {
    await client.close();
    await Promise.all([dolibarr.close(), dynamo.close()]);
  });

  beforeEach(() => {
    invocations = [];
    const handler = makeRegisterCredentialHandler(
      new CredentialRegistrations({ repository, clock: { now: () => new Date() }, config }),
      { logger, metrics },
    );
    lambda.reset();
    lambda.on(InvokeCommand).callsFake(async (input: { FunctionName: string; Payload: string }) => {
      expect(input.FunctionName).toBe(REGISTER_ARN);
      const payload = JSON.parse(input.Payload);
      invocations.push(payload);
      const result = await handler(payload, { awsRequestId: 'r', functionName: 'register' } as Context);
      return { StatusCode: 200, Payload: new TextEncoder().encode(JSON.stringify(result)) };
    });
    ownerSecrets.reset();
    ownerSecrets
      .on(GetSecretValueCommand, { SecretId: SECRET_ARN })
      .resolves({ ARN: SECRET_ARN, SecretString: JSON.stringify({ apiKey: CANARY }), VersionId: 'v1' });
    resource = new CredentialCheckResource({
      check: (prepared) => runCheck(prepared, { client }),
      readSecret: secretsManagerReader(owner),
      register: lambdaRegistrar(new LambdaClient({ region: 'eu-west-1' })),
    });
  });

  const properties = (name = 'Dolibarr (sync)') => ({
    ServiceToken: SERVICE_TOKEN,
    Connector: 'dolibarr',
    Fields: { baseUrl: dolibarr.url },
    Requirements: [{ resource: 'thirdparties', access: ['read'] }],
    SecretArn: SECRET_ARN,
    OnInconclusive: 'warn',
    Register: { FunctionArn: REGISTER_ARN, Tenant: TENANT, Name: name },
  });

  const event = (
    type: CustomResourceEvent['RequestType'],
    props: Record<string, unknown>,
    extra: Partial<CustomResourceEvent> = {},
  ): CustomResourceEvent => ({
    RequestType: type,
    ResponseURL: 'https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x',
    StackId: STACK_ID,
    RequestId: `req-${Math.random()}`,
    LogicalResourceId: 'DolibarrCheck5C0E7B1A',
    ResourceType: 'Custom::CredvalCredentialCheck',
    ResourceProperties: props,
    ...extra,
  });

  const credentialId = registeredCredentialIdOf({
    StackId: STACK_ID,
    LogicalResourceId: 'DolibarrCheck5C0E7B1A',
  });

  it('create, update, the old resource’s delete, a re-check by ARN, then the delete that removes it', async () => {
    // Create: checked, then registered; the id comes back as an attribute.
    const created = await resource.respond(event('Create', properties()));
    expect(created).toMatchObject({
      Status: 'SUCCESS',
      Data: { Verdict: 'valid', CredentialId: credentialId },
    });
    expect(invocations[0]).toMatchObject({
      action: 'register',
      tenantId: TENANT,
      credentialId,
      connector: 'dolibarr',
      fields: { baseUrl: dolibarr.url },
      secretArn: SECRET_ARN,
      registration: { stackId: STACK_ID, physicalResourceId: created.PhysicalResourceId },
    });
    let stored = await repository.get(TENANT, credentialId);
    expect(stored).toMatchObject({
      name: 'Dolibarr (sync)',
      status: 'valid',
      secretArn: SECRET_ARN,
      version: 1,
      registration: { physicalResourceId: created.PhysicalResourceId },
    });

    // Update (a new name): a new physical id, the same credential, registered again.
    const renamed = properties('Dolibarr (nightly sync)');
    const updated = await resource.respond(
      event('Update', renamed, {
        PhysicalResourceId: created.PhysicalResourceId,
        OldResourceProperties: properties(),
      }),
    );
    expect(updated.Status).toBe('SUCCESS');
    expect(updated.PhysicalResourceId).toBe(physicalIdOf(renamed));
    expect(updated.PhysicalResourceId).not.toBe(created.PhysicalResourceId);
    stored = await repository.get(TENANT, credentialId);
    expect(stored).toMatchObject({ name: 'Dolibarr (nightly sync)', version: 2 });

    // CloudFormation then deletes the old physical resource: the credential belongs to the new one and stays.
    const oldDeleted = await resource.respond(
      event('Delete', properties(), { PhysicalResourceId: created.PhysicalResourceId }),
    );
    expect(oldDeleted).toMatchObject({ Status: 'SUCCESS' });
    expect(oldDeleted.Reason).toBeUndefined();
    expect(await repository.get(TENANT, credentialId)).not.toBeNull();

    // credval's worker re-checks it on its schedule, reading the owner's secret by ARN.
    const worker = new RevalidationWorker({
      repository,
      secrets: fakeSecretsManager().memory,
      externalSecrets: secretsManagerReader(owner),
      check: (prepared) => runCheck(prepared, { client }),
      clock: { now: () => new Date() },
      config,
    });
    ownerSecrets.resetHistory();
    dolibarr.reset();
    const outcome = await worker.work({
      tenantId: TENANT,
      credentialId,
      checkId: 'schedule-1',
      version: 2,
      trigger: 'schedule',
      cause: 'sweep',
    });
    expect(outcome).toBe('checked');
    expect(ownerSecrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: SECRET_ARN,
    });
    expect(dolibarr.requests.length).toBeGreaterThan(0);
    expect(await repository.get(TENANT, credentialId)).toMatchObject({ status: 'valid', version: 3 });

    // No copy of the secret anywhere in the table.
    const items = await createDocumentClient(dynamo.endpoint).send(new ScanCommand({ TableName: TABLE }));
    expect(JSON.stringify(items.Items)).not.toContain(CANARY);
    expect(JSON.stringify([created, updated, invocations])).not.toContain(CANARY);

    // Deleting the resource removes the registration (and never touches the secret).
    const deleted = await resource.respond(
      event('Delete', renamed, { PhysicalResourceId: updated.PhysicalResourceId }),
    );
    expect(deleted).toMatchObject({ Status: 'SUCCESS' });
    expect(deleted.Reason).toBeUndefined();
    expect(await repository.get(TENANT, credentialId)).toBeNull();
    expect(invocations.at(-1)).toMatchObject({ action: 'deregister', credentialId });
  });

  it('a registration credval refuses, or a broken register function, fails the deploy saying why', async () => {
    // The id is taken by a credential credval keeps the secret of: credval refuses to overwrite it.
    const first = await resource.respond(event('Create', properties(), { LogicalResourceId: 'Other1' }));
    const id = first.Data?.CredentialId ?? '';
    const registered = await repository.get(TENANT, id);
    if (!registered) throw new Error('not registered');
    const { secretArn: _arn, registration: _registration, ...managed } = registered;
    await repository.replace(
      { ...managed, secretName: `credval/prod/${TENANT}/${id}`, version: registered.version + 1 },
      registered.version,
    );
    const refused = await resource.respond(event('Create', properties(), { LogicalResourceId: 'Other1' }));
    expect(refused.Status).toBe('FAILED');
    expect(refused.Reason).toMatch(
      /^credval: the credential works, but the credval deployment refused to register it \(conflict\): /,
    );
    expect(refused.Data).toMatchObject({ Verdict: 'valid' });

    lambda.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled' });
    const broken = await resource.respond(event('Create', properties(), { LogicalResourceId: 'Other2' }));
    expect(broken.Status).toBe('FAILED');
    expect(broken.Reason).toMatch(
      /^credval: the credential works, but registering it failed: .*failed \(Unhandled\); its log has the details$/,
    );
  });

  it('a delete whose deregistration fails still succeeds, and says what was left behind', async () => {
    lambda
      .on(InvokeCommand)
      .rejects(Object.assign(new Error('AccessDeniedException'), { name: 'AccessDeniedException' }));
    const answer = await resource.respond(
      event('Delete', properties(), { PhysicalResourceId: 'credval-check-0123456789abcdef0123' }),
    );
    expect(answer.Status).toBe('SUCCESS');
    expect(answer.Reason).toBe(
      `credval: the registration of credential ${credentialId} (tenant ${TENANT}) was not removed (invoking ${REGISTER_ARN} failed (AccessDeniedException)); delete it through the API.`,
    );
  });
});
