import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '../store/eventbridge-publisher.ts';
import { awsClientConfig } from './aws-client-config.ts';
import { lambdaSettings, resourceVariable } from './lambda-environment.ts';
import { once } from './once.ts';
import { AwsSettings } from './settings/aws.ts';

/** EventBridge as the event publisher. */
export function createEventPublisher(env: AwsSettings, busName: string): EventBridgePublisher {
  return new EventBridgePublisher({ client: new EventBridgeClient(awsClientConfig(env)), busName });
}

/** The container's event publisher (`uses.bus`). */
export const lambdaEventPublisher = once(() =>
  createEventPublisher(lambdaSettings(AwsSettings), resourceVariable('EVENT_BUS_NAME')),
);
