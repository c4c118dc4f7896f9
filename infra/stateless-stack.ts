import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { HttpApi, HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { EventBus } from 'aws-cdk-lib/aws-events';
import type { Role } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { CredvalConfig } from './config.ts';
import type { CredvalRegistry } from './credential-check.ts';
import { Credval } from './credval.ts';
import type { CredvalFunction } from './credval-function.ts';

export { API_CHECK_DEADLINE, COPY_DIRS, REVALIDATION_FUNCTIONS, WORKER_CHECK_DEADLINE } from './credval.ts';

export interface StatelessStackProps extends StackProps {
  table: ITable;
  key: IKey;
  config: CredvalConfig;
}

/**
 * The code stack of `npm run deploy`: one `Credval` with the id `Default` (which CDK leaves out of logical IDs, so
 * every resource keeps the ID it had when the stack created it itself) on the stateful stack's table and key, and
 * the stack outputs. Everything in it can be destroyed and redeployed without losing data.
 */
export class StatelessStack extends Stack {
  readonly credval: Credval;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    const { table, key, config, ...stackProps } = props;
    super(scope, id, stackProps);
    this.credval = new Credval(this, 'Default', { ...config, data: { table, key } });

    new CfnOutput(this, 'ApiUrl', { value: this.credval.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'EventBusName', { value: this.credval.bus.eventBusName });
    new CfnOutput(this, 'RevalidationQueueUrl', { value: this.credval.queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.credval.deadLetterQueue.queueUrl });
  }

  get registry(): CredvalRegistry {
    return this.credval.registry;
  }

  get config(): CredvalConfig {
    return this.credval.config;
  }
  get functions(): ReadonlyMap<string, CredvalFunction> {
    return this.credval.functions;
  }
  get api(): HttpApi {
    return this.credval.api;
  }
  get stage(): HttpStage {
    return this.credval.stage;
  }
  get accessLogs(): LogGroup {
    return this.credval.accessLogs;
  }
  get queue(): Queue {
    return this.credval.queue;
  }
  get deadLetterQueue(): Queue {
    return this.credval.deadLetterQueue;
  }
  get bus(): EventBus {
    return this.credval.bus;
  }
  get sweepSchedule(): CfnSchedule {
    return this.credval.sweepSchedule;
  }
  get reconcileSchedule(): CfnSchedule {
    return this.credval.reconcileSchedule;
  }
  get sweepScheduleRole(): Role {
    return this.credval.sweepScheduleRole;
  }
  get changeFeedFailures(): Queue {
    return this.credval.changeFeedFailures;
  }
  get alarms(): readonly Alarm[] {
    return this.credval.alarms;
  }
  get skippedRoutes(): readonly string[] {
    return this.credval.skippedRoutes;
  }
}
