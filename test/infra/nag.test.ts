import { type Acknowledgment, Validations } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { newApp, synthesize, type Violation, violations } from './support.ts';

/** One acknowledgement as recorded: what, where (construct path), why. */
interface Ack {
  id: string;
  path: string;
  reason: string;
}

const underPath = (path: string, ack: Ack) => path === ack.path || path.startsWith(`${ack.path}/`);

describe('cdk-nag (AwsSolutions) over the whole app', () => {
  it('reports nothing, also with another stage and an alarm topic', () => {
    const app = newApp({
      context: { stage: 'prod', alarmTopicArn: 'arn:aws:sns:eu-west-1:111111111111:credval-alarms' },
    });
    const { stateless } = buildApp(app);
    const error = synthesize(app);
    expect(violations(app)).toEqual([]);
    expect(error).toBeUndefined();
    expect(stateless.stackName).toBe('credval-prod-stateless');
  }, 60_000);

  it('reports nothing with secretStore=envelope (item grants on the table, data key grants on the key)', () => {
    const app = newApp({ context: { secretStore: 'envelope' } });
    buildApp(app);
    const error = synthesize(app);
    expect(violations(app)).toEqual([]);
    expect(error).toBeUndefined();
  }, 60_000);

  describe('every acknowledgement', () => {
    const original = Validations.prototype.acknowledge;
    const acks: Ack[] = [];
    let found: Violation[] = [];

    beforeAll(() => {
      // Record acknowledgements instead of applying them, then see what cdk-nag finds without them.
      Validations.prototype.acknowledge = function (this: Validations, ...rules: Acknowledgment[]) {
        const scope = (this as unknown as { scope: { node: { path: string } } }).scope;
        for (const rule of rules) acks.push({ id: rule.id, path: scope.node.path, reason: rule.reason });
      };
      const app = newApp();
      buildApp(app);
      expect(synthesize(app)?.message).toMatch(/AwsSolutions/);
      found = violations(app);
    }, 60_000);
    afterAll(() => {
      Validations.prototype.acknowledge = original;
    });

    it('covers a real finding on the construct it sits on (none is stale or too broad)', () => {
      expect(acks.length).toBeGreaterThan(0);
      for (const ack of acks) {
        const matching = found
          .filter((v) => v.ruleName === ack.id)
          .flatMap((v) => v.violatingConstructs ?? [])
          .filter((c) => underPath(c.constructPath, ack));
        expect(matching.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(0);
        // On the resource itself or its direct owner, never on a stack or the app.
        expect(ack.path.split('/').length, `${ack.id} at ${ack.path}`).toBeGreaterThanOrEqual(3);
      }
    });

    it('is the only reason a finding is not reported', () => {
      for (const violation of found) {
        for (const construct of violation.violatingConstructs ?? []) {
          const ack = acks.find((a) => a.id === violation.ruleName && underPath(construct.constructPath, a));
          expect(ack, `${violation.ruleName} at ${construct.constructPath}`).toBeDefined();
        }
      }
    });

    it('says why', () => {
      for (const ack of acks) expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(40);
    });

    it('is one of the expected kinds (a new kind needs a look, not a reflex)', () => {
      expect([...new Set(acks.map((a) => a.id.replace(/\[.*\]$/, '[...]')))].sort()).toEqual([
        'AwsSolutions-APIG4',
        'AwsSolutions-IAM5[...]',
        'AwsSolutions-L1',
        'AwsSolutions-SQS3',
      ]);
      const iam5 = [
        ...new Set(acks.filter((a) => a.id.startsWith('AwsSolutions-IAM5')).map((a) => a.id)),
      ].sort();
      expect(iam5).toEqual([
        'AwsSolutions-IAM5[Resource::*]',
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:credval/dev/*]',
      ]);
      // Resource::* only on the X-Ray policies, the reconciliation's ListSecrets and the change feed's
      // ListStreams (none has resource-level permissions); APIG4 only on the public routes.
      for (const ack of acks.filter((a) => a.id === 'AwsSolutions-IAM5[Resource::*]')) {
        expect(ack.path).toMatch(/\/Tracing$|\/Reconcile\/ListSecrets$|\/ChangeFeed\/Role\/DefaultPolicy$/);
      }
      expect(
        acks
          .filter((a) => a.id === 'AwsSolutions-APIG4')
          .map((a) => a.path)
          .sort(),
      ).toEqual([
        'credval-dev-stateless/Default/Api/GET--',
        'credval-dev-stateless/Default/Api/GET--health',
        'credval-dev-stateless/Default/Api/GET--openapi.json',
      ]);
    });
  });
});
