// The CredentialCheck construct in a consumer's stack, written the way an integration team would write it: their
// own App and Stack, their own secret, the check's attributes used by their other resources.
import { CfnOutput, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnPolicy } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CredentialCheck, Credval } from 'credval/constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { revalidationFromEvent } from '../../shared/service/triggers.ts';
import { newApp, synthesize, violations } from './support.ts';

const CANARY = 'canary-7e6d5c4b3a2f1e0d-SECRET';

/** The consumer's stack: an Odoo and a Dolibarr credential, each checked, their identities kept as parameters. */
function consumerApp() {
  const app = newApp();
  const stack = new Stack(app, 'ErpIntegration');

  const syncKey = new Key(stack, 'SyncSecretsKey', { enableKeyRotation: true });
  const odooSecret = new Secret(stack, 'OdooApiKey', {
    description: 'API key of the Odoo sync user, as {"password": "..."}',
    encryptionKey: syncKey,
  });
  const dolibarrSecret = new Secret(stack, 'DolibarrApiKey', {
    description: 'API key of the Dolibarr sync user (the bare key)',
  });
  for (const secret of [odooSecret, dolibarrSecret]) {
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Rotated by the ERP administrators in the ERP itself, then stored here.',
    });
  }

  const odoo = new CredentialCheck(stack, 'OdooCheck', {
    connector: 'odoo',
    fields: { serverUrl: 'https://erp.example.com', database: 'prod', username: 'sync@example.com' },
    secret: odooSecret,
    requirements: [
      { resource: 'res.partner', access: ['read', 'write'] },
      { resource: 'purchase.order', access: ['read'] },
    ],
    onInconclusive: 'fail',
    secretVersion: '2026-12-01',
  });
  const dolibarr = new CredentialCheck(stack, 'DolibarrCheck', {
    connector: 'dolibarr',
    fields: { baseUrl: 'https://dolibarr.internal.example.com' },
    secret: dolibarrSecret,
    egressAllow: ['10.20.0.0/16'],
    deadline: '45s',
  });

  new StringParameter(stack, 'OdooSyncUser', {
    parameterName: '/erp/odoo/sync-user',
    stringValue: odoo.identityLogin,
  });
  new CfnOutput(stack, 'OdooVersion', { value: odoo.vendorVersion });
  new CfnOutput(stack, 'DolibarrVerdict', { value: dolibarr.verdict });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, odoo, dolibarr, odooSecret, dolibarrSecret };
}

describe('CredentialCheck in a consumer stack', () => {
  let built: ReturnType<typeof consumerApp>;
  let template: Template;
  let synthError: Error | undefined;
  beforeAll(() => {
    built = consumerApp();
    synthError = synthesize(built.app);
    template = Template.fromStack(built.stack);
  });

  const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
    built.stack.getLogicalId(construct.node.defaultChild as never);

  it('is a custom resource with the check inputs as properties, backed by its own function', () => {
    template.hasResourceProperties('Custom::CredvalCredentialCheck', {
      ServiceToken: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OdooCheckProviderFunction'), 'Arn'] },
      ServiceTimeout: '90',
      Connector: 'odoo',
      Fields: { serverUrl: 'https://erp.example.com', database: 'prod', username: 'sync@example.com' },
      Requirements: [
        { resource: 'res.partner', access: ['read', 'write'] },
        { resource: 'purchase.order', access: ['read'] },
      ],
      SecretArn: { Ref: logicalId(built.odooSecret) },
      OnInconclusive: 'fail',
      SecretVersion: '2026-12-01',
    });
    template.hasResourceProperties('Custom::CredvalCredentialCheck', {
      Connector: 'dolibarr',
      OnInconclusive: 'warn',
      SecretArn: { Ref: logicalId(built.dolibarrSecret) },
      ServiceTimeout: '105',
    });
    template.resourceCountIs('Custom::CredvalCredentialCheck', 2);
    template.resourceCountIs('AWS::Lambda::Function', 2);
  });

  it('gives the function the check deadline and the egress allow-list, and no credval resource names', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const [, dolibarr] = Object.entries(functions).find(([id]) => id.startsWith('DolibarrCheck')) ?? [];
    const properties = dolibarr?.Properties as { Environment: { Variables: Record<string, string> } };
    const variables = properties.Environment.Variables;
    expect(variables).toMatchObject({ CHECK_DEADLINE: '45s', EGRESS_ALLOW: '10.20.0.0/16' });
    expect(Object.keys(variables).filter((k) => /TABLE|QUEUE|BUS|SECRET_PREFIX|KMS/.test(k))).toEqual([]);
    expect(properties).toMatchObject({ Runtime: 'nodejs22.x', Timeout: 75 });
  });

  it('lets each function read only its own secret, and decrypt with that secret’s key only through Secrets Manager', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statementsOf = (prefix: string) =>
      Object.entries(policies)
        .filter(([id]) => id.startsWith(prefix))
        .flatMap(
          ([, policy]) =>
            (policy.Properties as { PolicyDocument: { Statement: Array<Record<string, unknown>> } })
              .PolicyDocument.Statement,
        );
    const secretReads = (prefix: string) =>
      statementsOf(prefix).filter((s) => JSON.stringify(s.Action).includes('secretsmanager:'));
    expect(secretReads('OdooCheck')).toEqual([
      expect.objectContaining({
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: { Ref: logicalId(built.odooSecret) },
      }),
    ]);
    expect(secretReads('DolibarrCheck')).toEqual([
      expect.objectContaining({ Resource: { Ref: logicalId(built.dolibarrSecret) } }),
    ]);
    // Only the Odoo secret has a key of its own; the Dolibarr function gets no KMS action at all.
    expect(JSON.stringify(statementsOf('DolibarrCheck'))).not.toContain('kms:');
    const actions = statementsOf('OdooCheck').flatMap((s) => [s.Action].flat() as string[]);
    expect([...new Set(actions)].sort()).toEqual([
      'cloudformation:DescribeStacks',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    // The secret's own key lets the Odoo check's role decrypt, through Secrets Manager only.
    const keyPolicy = Object.values(template.findResources('AWS::KMS::Key'))[0]?.Properties as {
      KeyPolicy: { Statement: Array<Record<string, unknown>> };
    };
    const decrypts = keyPolicy.KeyPolicy.Statement.filter((s) =>
      JSON.stringify(s.Principal).includes('CheckProviderRole'),
    );
    expect(decrypts).toEqual([
      expect.objectContaining({
        Action: 'kms:Decrypt',
        Principal: { AWS: { 'Fn::GetAtt': [expect.stringMatching(/^OdooCheckProviderRole/), 'Arn'] } },
        Condition: {
          StringEquals: {
            'kms:ViaService': {
              'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
            },
          },
        },
      }),
    ]);
  });

  it('exposes the verdict, identity and vendor version as attributes other resources reference', () => {
    const checkId = logicalId(built.odoo.resource as never);
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Value: { 'Fn::GetAtt': [checkId, 'IdentityLogin'] },
    });
    template.hasOutput('OdooVersion', { Value: { 'Fn::GetAtt': [checkId, 'VendorVersion'] } });
    template.hasOutput('DolibarrVerdict', {
      Value: { 'Fn::GetAtt': [logicalId(built.dolibarr.resource as never), 'Verdict'] },
    });
  });

  it('is cdk-nag clean (AwsSolutions)', () => {
    expect(synthError).toBeUndefined();
    expect(violations(built.app)).toEqual([]);
  });
});

describe('CredentialCheck refuses at synthesis what would not work or would leak', () => {
  const attempt = (props: Partial<ConstructorParameters<typeof CredentialCheck>[2]>) => () => {
    const stack = new Stack(newApp(), 'Consumer');
    new CredentialCheck(stack, 'Check', {
      connector: 'odoo',
      fields: { serverUrl: 'https://erp.example.com', database: 'prod', username: 'sync' },
      secret: new Secret(stack, 'Key'),
      ...props,
    });
  };

  it('a secret field in fields, without repeating its value', () => {
    const run = attempt({
      fields: { serverUrl: 'https://erp.example.com', database: 'p', username: 'u', password: CANARY },
    });
    expect(run).toThrow(
      'CredentialCheck Check: "password" is a secret field: put it in the secret, not in fields, which are written into the template.',
    );
    try {
      run();
    } catch (error) {
      expect((error as Error).message).not.toContain(CANARY);
    }
  });

  it.each([
    [{ connector: 'sap' }, 'unknown connector "sap" (known: dolibarr, odoo, precoro)'],
    [{ fields: { serverUrl: 'https://x', dbname: 'p' } }, 'odoo has no field "dbname"'],
    [{ egressAllow: ['10.0.0.0/33'] }, 'egressAllow:'],
    [{ deadline: '10m' }, 'deadline: at most 5 minutes'],
    [{ deadline: 'soon' }, 'deadline:'],
    [{ requirements: [{ resource: ' ', access: ['read'] }] }, 'every requirement names a resource'],
  ] as const)('%o', (props, message) => {
    expect(attempt(props as never)).toThrow(message);
  });
});

/** A platform team's stack holding credval, and an integration team's stack beside it in the same app. */
function platformAndConsumer() {
  const app = newApp();
  const platform = new Stack(app, 'Platform');
  const credval = new Credval(platform, 'Credval', { jwtIssuer: 'https://auth.example.com/' });
  return { app, platform, credval, consumer: new Stack(app, 'ErpIntegration') };
}

describe('CredentialCheck with register, next to a Credval deployment in another stack of the same app', () => {
  let template: Template;
  let credvalTemplate: Template;
  let synthError: Error | undefined;
  let app: ReturnType<typeof newApp>;
  let consumer: Stack;
  let platform: Stack;
  let credval: Credval;
  let check: CredentialCheck;
  let secret: Secret;

  beforeAll(() => {
    ({ app, platform, credval, consumer } = platformAndConsumer());
    const key = new Key(consumer, 'SyncSecretsKey', { enableKeyRotation: true });
    secret = new Secret(consumer, 'DolibarrApiKey', { encryptionKey: key });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Rotated in Dolibarr by its admins.',
    });
    check = new CredentialCheck(consumer, 'DolibarrCheck', {
      connector: 'dolibarr',
      fields: { baseUrl: 'https://dolibarr.example.com' },
      secret,
      register: { credval: credval.registry, tenant: 'acme', description: 'nightly sync' },
    });
    new CfnOutput(consumer, 'CredvalCredentialId', { value: check.credentialId });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    synthError = synthesize(app);
    template = Template.fromStack(consumer);
    credvalTemplate = Template.fromStack(platform);
  });

  it('passes the register function and the tenant to the resource; the credential id is an attribute', () => {
    const register = credval.functions.get('register-credential');
    expect(register).toBeDefined();
    const properties = Object.values(template.findResources('Custom::CredvalCredentialCheck'))[0]
      ?.Properties as {
      Register: Record<string, unknown>;
    };
    expect(properties.Register).toMatchObject({
      Tenant: 'acme',
      Name: 'DolibarrCheck',
      Description: 'nightly sync',
    });
    // The function's ARN comes from the platform stack (an import), not a copy.
    expect(JSON.stringify(properties.Register.FunctionArn)).toContain('Fn::ImportValue');
    template.hasOutput('CredvalCredentialId', {
      Value: {
        'Fn::GetAtt': [consumer.getLogicalId(check.resource.node.defaultChild as never), 'CredentialId'],
      },
    });
  });

  it('lets the check invoke the register function itself (no version wildcard)', () => {
    const statements = Object.entries(template.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('DolibarrCheckProviderRole'))
      .flatMap(
        ([, p]) =>
          (p.Properties as { PolicyDocument: { Statement: Array<Record<string, unknown>> } }).PolicyDocument
            .Statement,
      );
    const invokes = statements.filter((s) => s.Action === 'lambda:InvokeFunction');
    expect(invokes).toHaveLength(1);
    expect(JSON.stringify(invokes[0]?.Resource)).toContain('Fn::ImportValue');
    expect(JSON.stringify(invokes[0]?.Resource)).not.toContain(':*');
  });

  it('lets credval’s worker and re-check roles read this one secret, on the secret’s and its key’s own policies', () => {
    // credval's roles, imported from the platform stack; nothing is attached to them, whatever the number of secrets.
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      expect(JSON.stringify((policy.Properties as { Roles: unknown }).Roles)).not.toContain(
        'Fn::ImportValue',
      );
    }
    const secretPolicies = Object.values(template.findResources('AWS::SecretsManager::ResourcePolicy'));
    expect(secretPolicies).toHaveLength(1);
    const readers = expect.arrayContaining([
      { 'Fn::ImportValue': expect.stringMatching(/CredvalRevalidationWorkerRole.*Arn/) },
      { 'Fn::ImportValue': expect.stringMatching(/CredvalRecheckCredentialRole.*Arn/) },
    ]);
    expect(secretPolicies[0]?.Properties).toMatchObject({
      SecretId: { Ref: consumer.getLogicalId(secret.node.defaultChild as never) },
      ResourcePolicy: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Principal: { AWS: readers },
            Resource: '*',
          },
        ],
      },
    });
    const [key] = Object.values(template.findResources('AWS::KMS::Key'));
    if (!key) throw new Error('the consumer stack has no key');
    const keyStatements = (key.Properties as { KeyPolicy: { Statement: Array<Record<string, unknown>> } })
      .KeyPolicy.Statement;
    expect(keyStatements).toContainEqual({
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Principal: { AWS: readers },
      Resource: '*',
      Condition: {
        StringEquals: {
          'kms:ViaService': {
            'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
          },
        },
      },
    });
    expect(check.readersPolicy).toBeUndefined();
    // credval's own stack gains no grant on the consumer's secret, and depends on nothing of the consumer's.
    expect(JSON.stringify(credvalTemplate.toJSON())).not.toContain('DolibarrApiKey');
    expect(platform.dependencies).toEqual([]);
    expect(consumer.dependencies).toEqual([platform]);
    // The resource registers only once credval may read the secret.
    const resource = Object.values(template.findResources('Custom::CredvalCredentialCheck'))[0] as {
      DependsOn?: string[];
    };
    expect(resource.DependsOn).toEqual([expect.stringMatching(/^DolibarrApiKeyPolicy/)]);
  });

  it('falls back to a policy on credval’s roles, kept in the consumer’s stack, for a secret it imports', () => {
    const imported = Secret.fromSecretCompleteArn(
      consumer,
      'SharedKey',
      'arn:aws:secretsmanager:eu-west-1:111111111111:secret:shared/dolibarr-AbCdEf',
    );
    const other = new CredentialCheck(consumer, 'SharedCheck', {
      connector: 'dolibarr',
      fields: { baseUrl: 'https://dolibarr.example.com' },
      secret: imported,
      register: { credval: credval.registry, tenant: 'acme' },
    });
    if (!other.readersPolicy) throw new Error('no policy on credval’s roles for an imported secret');
    const readers = other.readersPolicy.node.defaultChild as CfnPolicy;
    const policy = consumer.resolve(readers.policyDocument);
    expect(policy.Statement).toEqual([
      expect.objectContaining({
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        Resource: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:shared/dolibarr-AbCdEf',
      }),
    ]);
    // Attached to credval's two roles (references into the platform stack, made imports at synthesis).
    const roles = JSON.stringify(consumer.resolve(readers.roles));
    expect(roles).toMatch(/CredvalRevalidationWorkerRole/);
    expect(roles).toMatch(/CredvalRecheckCredentialRole/);
  });

  it('is cdk-nag clean in both stacks', () => {
    expect(synthError).toBeUndefined();
    expect(violations(app)).toEqual([]);
  });
});

describe('CredentialCheck with register: a re-check when the owner changes the secret', () => {
  let template: Template;
  let consumer: Stack;
  let platform: Stack;
  let credval: Credval;
  let check: CredentialCheck;
  let secret: Secret;

  beforeAll(() => {
    ({ platform, credval, consumer } = platformAndConsumer());
    secret = new Secret(consumer, 'OdooApiKey');
    Validations.of(secret).acknowledge({ id: 'AwsSolutions-SMG4', reason: 'Rotated in Odoo.' });
    check = new CredentialCheck(consumer, 'OdooCheck', {
      connector: 'odoo',
      fields: { serverUrl: 'https://erp.example.com', database: 'prod', username: 'sync' },
      secret,
      register: { credval: credval.registry, tenant: 'acme' },
    });
    template = Template.fromStack(consumer);
  });

  const secretRef = () => ({ Ref: consumer.getLogicalId(secret.node.defaultChild as never) });

  it('watches this one secret: its new current version, and the API calls that change it', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule')).map(
      (rule) => (rule.Properties as { EventPattern: Record<string, unknown> }).EventPattern,
    );
    expect(rules).toEqual([
      {
        source: ['aws.secretsmanager'],
        'detail-type': ['Secret Label Updated'],
        resources: [{ prefix: secretRef() }],
        detail: { labelUpdated: ['AWSCURRENT'] },
      },
      {
        source: ['aws.secretsmanager'],
        'detail-type': ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: expect.arrayContaining(['PutSecretValue', 'UpdateSecret', 'RotateSecret']),
          errorCode: [{ exists: false }],
          requestParameters: { secretId: [secretRef(), expect.anything()] },
        },
      },
    ]);
  });

  it('invokes credval’s trigger, with a permission in the consumer’s stack for each rule only', () => {
    for (const rule of Object.values(template.findResources('AWS::Events::Rule'))) {
      const targets = (rule.Properties as { Targets: Array<{ Arn: unknown }> }).Targets;
      expect(targets).toHaveLength(1);
      // credval's trigger, imported from the platform stack.
      expect(targets[0]?.Arn).toEqual({
        'Fn::ImportValue': expect.stringMatching(/CredvalRevalidationTrigger.*Arn/),
      });
    }
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).map(
      (p) => p.Properties as Record<string, unknown>,
    );
    expect(permissions).toHaveLength(2);
    for (const permission of permissions) {
      expect(permission).toMatchObject({
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
      });
      expect(JSON.stringify(permission.SourceArn)).toMatch(/OdooCheckSecret(LabelUpdated|ChangedApiCall)/);
    }
    expect(platform.dependencies).toEqual([]);
  });

  it('hands the trigger an event it turns into a re-check of the registered credential', () => {
    // EventBridge's input transformer, applied as EventBridge applies it, to a real-shaped label event.
    const rule = Object.values(template.findResources('AWS::Events::Rule'))[0]?.Properties as {
      Targets: Array<{ InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: unknown } }>;
    };
    const transformer = rule.Targets[0]?.InputTransformer;
    if (!transformer) throw new Error('no input transformer');
    const source = {
      version: '0',
      id: '9a8b7c6d-1234-4abc-9def-0123456789ab',
      'detail-type': 'Secret Label Updated',
      source: 'aws.secretsmanager',
      account: '111111111111',
      time: '2026-12-07T10:00:00Z',
      region: 'eu-west-1',
      resources: ['arn:aws:secretsmanager:eu-west-1:111111111111:secret:OdooApiKey-AbCdEf'],
      detail: { name: 'OdooApiKey', labelUpdated: 'AWSCURRENT', versionId: 'v2' },
    };
    // The template's one intrinsic function resolved as CloudFormation would: the credential id attribute.
    const credentialIdAttribute = {
      'Fn::GetAtt': [consumer.getLogicalId(check.resource.node.defaultChild as never), 'CredentialId'],
    };
    const [, parts] = (transformer.InputTemplate as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
    const joined = parts
      .map((part) => {
        if (typeof part === 'string') return part;
        expect(part).toEqual(credentialIdAttribute);
        return 'cfn-0123456789abcdef0123456789abcdef';
      })
      .join('');
    // A placeholder outside quotes takes the JSON value (a string arrives quoted), as EventBridge substitutes it.
    const delivered = joined.replace(/<([A-Za-z0-9_-]+)>/g, (_all, name: string) => {
      const path = transformer.InputPathsMap[name] ?? '';
      const value = path
        .replace(/^\$\./, '')
        .split('.')
        .reduce<unknown>((at, key) => (at as Record<string, unknown>)?.[key], source);
      return JSON.stringify(value);
    });
    const message = revalidationFromEvent(JSON.parse(delivered), { secretPrefix: 'credval/dev' });
    expect(message).toEqual({
      tenantId: 'acme',
      credentialId: 'cfn-0123456789abcdef0123456789abcdef',
      version: null,
      checkId: `event:${source.id}`,
      trigger: 'event',
      cause: expect.stringContaining('RevalidationRequested'),
    });
  });
});
