import { type CfnResource, Duration, Fn, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Construct } from 'constructs';
// The package's own name, resolved through package.json "exports", as a platform team's app imports it.
import { Credval, type CredvalProps } from 'credval/constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { configFromContext } from '../../infra/config.ts';
import { newApp, synthesize, violations } from './support.ts';

type Json = Record<string, unknown>;

/** A platform team's stack: its own alarm topic, and credval with typed props in the same stack. */
class PlatformStack extends Stack {
  readonly alarms: Topic;
  readonly credval: Credval;

  constructor(scope: Construct, id: string, props: StackProps & { credval: CredvalProps }) {
    super(scope, id, props);
    // CloudWatch can publish to an encrypted topic only with a customer-managed key that lets it.
    const alarmKey = new Key(this, 'AlarmKey', { enableKeyRotation: true });
    alarmKey.grant(new ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    this.alarms = new Topic(this, 'Alarms', { masterKey: alarmKey, enforceSSL: true });
    this.credval = new Credval(this, 'Credval', { ...props.credval, alarmTopic: this.alarms });
  }
}

const PROPS = {
  stage: 'platform',
  jwtIssuer: 'https://login.example.com/realms/acme',
  jwtAudience: ['credval-api', 'credval-console'],
  egressAllow: ['10.20.0.0/16', '192.168.7.0/24'],
  checkInterval: '12h',
  sweepRate: Duration.minutes(15),
  logRetention: RetentionDays.THREE_MONTHS,
  secretStore: 'envelope',
  checkedEvents: 'changes',
} satisfies CredvalProps;

describe('Credval in a CDK app of its own (credval/constructs)', () => {
  let stack: PlatformStack;
  let template: Template;
  let resources: Record<string, { Type: string; Properties: Json; DeletionPolicy?: string }>;
  const propsOf = (id: string): Json => {
    const resource = resources[id];
    if (!resource) throw new Error(`no resource ${id}`);
    return resource.Properties;
  };
  const idOf = (construct: { node: { defaultChild?: unknown } }) =>
    stack.getLogicalId(construct.node.defaultChild as CfnResource);

  beforeAll(() => {
    stack = new PlatformStack(newApp(), 'platform-credval', { credval: PROPS });
    template = Template.fromStack(stack);
    resources = template.toJSON().Resources;
  }, 60_000);

  it('takes the issuer and audiences for its JWT authorizer', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Authorizer', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: PROPS.jwtIssuer, Audience: PROPS.jwtAudience },
    });
  });

  it('gives every function EGRESS_ALLOW, CHECK_INTERVAL and CHECKED_EVENTS from the props, and the envelope store where secrets are used', () => {
    expect(stack.credval.functions.size).toBeGreaterThan(10);
    for (const [name, fn] of stack.credval.functions) {
      const env = (propsOf(idOf(fn.function)).Environment as { Variables: Json }).Variables;
      expect(env, name).toMatchObject({
        EGRESS_ALLOW: '10.20.0.0/16,192.168.7.0/24',
        CHECK_INTERVAL: '12h',
        CHECKED_EVENTS: 'changes',
        SECRET_PREFIX: 'credval/platform',
      });
      if ('SECRET_STORE' in env) expect(env.SECRET_STORE, name).toBe('envelope');
    }
    expect(stack.credval.functions.get('create-credential')).toBeDefined();
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(15 minutes)' });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('sends every alarm to the topic it was given', () => {
    const alarms = Object.values(resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBe(stack.credval.alarms.length);
    expect(alarms.length).toBe(2 * stack.credval.functions.size + 4);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: idOf(stack.alarms) }]);
    expect(stack.credval.alarmTopic).toBe(stack.alarms);
  });

  it('creates its table and key in the same stack when given no data: retained, nothing imported', () => {
    const tableId = idOf(stack.credval.table);
    const keyId = idOf(stack.credval.key);
    expect(stack.credval.table.node.path).toBe('platform-credval/Credval/Data/Credentials');
    expect(resources[tableId]).toMatchObject({
      Type: 'AWS::DynamoDB::Table',
      DeletionPolicy: 'Retain',
      Properties: { SSESpecification: { KMSMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } } },
    });
    expect(resources[keyId]).toMatchObject({ Type: 'AWS::KMS::Key', DeletionPolicy: 'Retain' });
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    expect(JSON.stringify(template.toJSON())).not.toContain('Fn::ImportValue');
    // The functions use this table: its name comes in by Ref, its stream feeds the change feed.
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [tableId, 'StreamArn'] },
    });
    expect(stack.credval.url).toBe(stack.credval.stage.url);
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'credval-platform' });
  });

  it('passes cdk-nag (AwsSolutions) with nothing to report', () => {
    // A fresh app: a finding would fail Template.fromStack's synth above instead of this test.
    const app = newApp();
    new PlatformStack(app, 'platform-credval', { credval: PROPS });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const error = synthesize(app);
    expect(violations(app)).toEqual([]);
    expect(error).toBeUndefined();
  }, 60_000);
});

describe('Credval props are checked as context is', () => {
  const propsError = (props: CredvalProps) => {
    try {
      new Credval(new Stack(newApp(), 'checked'), 'Credval', props);
    } catch (error) {
      return (error as Error).message;
    }
    return undefined;
  };
  const contextError = (context: Json) => {
    try {
      configFromContext(newApp({ context }).node);
    } catch (error) {
      return (error as Error).message;
    }
    return undefined;
  };

  it('refuses a bad prop with the message bad context gets, naming the prop', () => {
    expect(propsError({ workerConcurrency: 1 })).toBe(
      'Invalid Credval prop "workerConcurrency": from 2 to 1000',
    );
    expect(contextError({ workerConcurrency: 1 })).toBe(
      'Invalid context "workerConcurrency": from 2 to 1000',
    );
    expect(propsError({ jwtIssuer: 'http://x' })).toBe('Invalid Credval prop "jwtIssuer": an https URL');
    expect(contextError({ jwtIssuer: 'http://x' })).toBe('Invalid context "jwtIssuer": an https URL');
    const pairs: Array<[CredvalProps, Json]> = [
      [{ stage: 'Prod!' }, { stage: 'Prod!' }],
      [{ egressAllow: ['10.0.0.0/33'] }, { egressAllow: '10.0.0.0/33' }],
      [{ checkTimeout: 'soon' }, { checkTimeout: 'soon' }],
      [{ secretPrefix: 'credval/' }, { secretPrefix: 'credval/' }],
      [{ alarmTopicArn: 'alarms' }, { alarmTopicArn: 'alarms' }],
      [{ secretStore: 'vault' as never }, { secretStore: 'vault' }],
    ];
    for (const [props, context] of pairs) {
      const fromProps = propsError(props);
      expect(fromProps, JSON.stringify(props)).toMatch(/^Invalid Credval prop "/);
      expect(fromProps?.replace('Credval prop', 'context')).toBe(contextError(context));
    }
  });

  it('names props by their own names where context names differ', () => {
    expect(propsError({ logRetention: 31 as RetentionDays })).toMatch(
      /^Invalid Credval prop "logRetention": 31 is not/,
    );
    expect(contextError({ logRetentionDays: 31 })).toMatch(/^Invalid context "logRetentionDays": 31 is not/);
    expect(propsError({ throttle: { rateLimit: 0 } })).toMatch(
      /"throttle\.rateLimit": expected a positive integer/,
    );
    expect(propsError({ sweepRate: Duration.seconds(90) })).toMatch(/"sweepRate": .*whole number of minutes/);
  });

  it('has the defaults context has', () => {
    const credval = new Credval(new Stack(newApp(), 'defaults'), 'Credval');
    expect(credval.config).toEqual(configFromContext(newApp().node));
  });

  it('accepts an issuer known only at deploy time (a token, e.g. a user pool URL from another construct)', () => {
    const stack = new Stack(newApp(), 'token');
    const issuer = Fn.importValue('platform-issuer-url');
    new Credval(stack, 'Credval', { jwtIssuer: issuer });
    Template.fromStack(stack).hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Issuer: { 'Fn::ImportValue': 'platform-issuer-url' } },
    });
  });

  it('takes one alarm topic: an ITopic or an ARN, not both', () => {
    const stack = new Stack(newApp(), 'both');
    const topic = new Topic(stack, 'Alarms');
    expect(
      () =>
        new Credval(stack, 'Credval', {
          alarmTopic: topic,
          alarmTopicArn: 'arn:aws:sns:eu-west-1:111111111111:a',
        }),
    ).toThrow(/alarmTopic or alarmTopicArn, not both/);
  });
});
