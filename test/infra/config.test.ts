import { App, Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { configFromContext, parseRate } from '../../infra/config.ts';

const configOf = (context: Record<string, unknown> = {}) => configFromContext(new App({ context }).node);

describe('deployment settings from context', () => {
  it('has defaults for everything, so that a plain synth works', () => {
    expect(configOf()).toEqual({
      stage: 'dev',
      jwtIssuer: 'https://issuer.invalid/',
      jwtAudience: ['credval'],
      tenantClaim: 'tenant_id',
      sweepRate: Duration.minutes(5),
      egressAllow: [],
      logRetention: RetentionDays.ONE_MONTH,
      secretPrefix: 'credval/dev',
      secretStore: 'secretsmanager',
      workerConcurrency: 5,
      checkedEvents: 'all',
      checkInterval: '6h',
      invalidConfirmAfter: '5m',
      checkTimeout: '15s',
      logLevel: 'INFO',
      throttle: { rateLimit: 50, burstLimit: 100 },
    });
  });

  it('reads `-c key=value` strings and cdk.json values', () => {
    const config = configOf({
      stage: 'prod',
      jwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf',
      jwtAudience: 'app-client-1, app-client-2',
      tenantClaim: 'custom:tenant',
      sweepRate: '10 minutes',
      egressAllow: '10.0.0.0/8,192.168.1.0/24',
      logRetentionDays: '90',
      throttleRate: '20',
      throttleBurst: 40,
      workerConcurrency: '40',
      alarmTopicArn: 'arn:aws:sns:eu-west-1:111111111111:alarms',
    });
    expect(config).toMatchObject({
      stage: 'prod',
      jwtAudience: ['app-client-1', 'app-client-2'],
      tenantClaim: 'custom:tenant',
      sweepRate: Duration.minutes(10),
      egressAllow: ['10.0.0.0/8', '192.168.1.0/24'],
      logRetention: RetentionDays.THREE_MONTHS,
      secretPrefix: 'credval/prod',
      throttle: { rateLimit: 20, burstLimit: 40 },
      workerConcurrency: 40,
      alarmTopicArn: 'arn:aws:sns:eu-west-1:111111111111:alarms',
    });
    expect(configOf({ jwtAudience: ['a', 'b'] }).jwtAudience).toEqual(['a', 'b']);
  });

  it('accepts schedule rates as Scheduler writes them or as durations', () => {
    expect(parseRate('1 minute').toMinutes()).toBe(1);
    expect(parseRate('rate(2 hours)').toMinutes()).toBe(120);
    expect(parseRate('15m').toMinutes()).toBe(15);
    expect(parseRate('300').toMinutes()).toBe(5);
    expect(() => parseRate('90s')).toThrow(/sweepRate/);
    expect(() => parseRate('0 minutes')).toThrow(/1 minute/);
  });

  it('stops the synth with a message naming the bad key', () => {
    expect(() => configOf({ stage: 'Prod!' })).toThrow(/"stage"/);
    expect(() => configOf({ jwtIssuer: 'http://insecure.example.com' })).toThrow(/"jwtIssuer"/);
    expect(() => configOf({ egressAllow: '10.0.0.0/33' })).toThrow(/"egressAllow"/);
    expect(() => configOf({ logRetentionDays: 31 })).toThrow(/"logRetentionDays"/);
    expect(() => configOf({ secretPrefix: 'credval/' })).toThrow(/"secretPrefix"/);
    expect(() => configOf({ checkTimeout: 'soon' })).toThrow(/"checkTimeout"/);
    expect(() => configOf({ sweepRate: 'soon' })).toThrow(/"sweepRate": "soon" is not a duration/);
    expect(() => configOf({ alarmTopicArn: 'alarms' })).toThrow(/"alarmTopicArn"/);
    expect(() => configOf({ workerConcurrency: 1 })).toThrow(/"workerConcurrency": from 2 to 1000/);
    expect(() => configOf({ workerConcurrency: 'many' })).toThrow(/"workerConcurrency"/);
    expect(() => configOf({ secretStore: 'vault' })).toThrow(/"secretStore": secretsmanager or envelope/);
    expect(() => configOf({ checkedEvents: 'some' })).toThrow(/"checkedEvents": all or changes/);
  });

  it('publishes CredentialChecked for every check unless checkedEvents=changes', () => {
    expect(configOf({}).checkedEvents).toBe('all');
    expect(configOf({ checkedEvents: 'changes' }).checkedEvents).toBe('changes');
  });

  it('keeps secrets in Secrets Manager unless secretStore=envelope', () => {
    expect(configOf({}).secretStore).toBe('secretsmanager');
    expect(configOf({ secretStore: 'envelope' }).secretStore).toBe('envelope');
  });
});
