import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import { TABLE_LAYOUT } from '../../shared/domain/table-layout.ts';

function newApp(): App {
  return new App({
    outdir: mkdtempSync(join(tmpdir(), 'credval-cdk-')),
    context: { 'aws:cdk:bundling-stacks': [] },
  });
}

function violations(app: App): unknown[] {
  const report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: Array<{ violations: unknown[] }>;
  };
  return report.pluginReports.flatMap((r) => r.violations);
}

describe('stateful stack', () => {
  let template: Template;
  beforeAll(() => {
    const { stateful } = buildApp(newApp());
    template = Template.fromStack(stateful);
  }, 60_000);

  it('keeps the data key with rotation on, retained on delete', () => {
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('creates one table keyed by the shared layout, encrypted with the data key, protected and retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: TABLE_LAYOUT.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE_LAYOUT.sortKey, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: TABLE_LAYOUT.timeToLiveAttribute, Enabled: true },
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
        },
      },
    });
  });

  it('has the sparse due index the sweep queries instead of scanning, holding only what the sweep reads', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: TABLE_LAYOUT.dueIndex.name,
          KeySchema: [
            { AttributeName: TABLE_LAYOUT.dueIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: TABLE_LAYOUT.dueIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['tenantId', 'id'] },
        },
      ],
    });
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('reports nothing on the app', () => {
    const { app } = buildApp(newApp());
    app.synth();
    expect(violations(app)).toEqual([]);
  }, 60_000);

  it('is really watching: an unencrypted, unlogged bucket fails synthesis', () => {
    const { app, stateful } = buildApp(newApp());
    new Bucket(stateful, 'Careless');
    expect(() => app.synth()).toThrow(/AwsSolutions-S1|server access/);
    expect(violations(app).length).toBeGreaterThan(0);
  }, 60_000);
});
