import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '../store/eventbridge-publisher.ts';
import { awsClientConfig } from './aws-client-config.ts';
import type { Environment } from './environment.ts';
import { lambdaEnvironment, resourceVariable } from './lambda-environment.ts';
import { once } from './once.ts';

/** EventBridge as the event publisher. */
export function createEventPublisher(env: Environment, busName: string): EventBridgePublisher {
  return new EventBridgePublisher({ client: new EventBridgeClient(awsClientConfig(env)), busName });
}

/** The container's event publisher (`uses.bus`). */
export const lambdaEventPublisher = once(() =>
  createEventPublisher(lambdaEnvironment(), resourceVariable('EVENT_BUS_NAME')),
);
