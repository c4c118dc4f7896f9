import { ROUTES, type RouteName } from '../http/routes.ts';
import type { Uses } from './uses.ts';

/** A function that no HTTP route calls: started by a schedule, a queue or an event rule. */
export interface BackgroundFunction {
  summary: string;
  uses: Uses;
}

/** The revalidation functions (README "Revalidation and events"). */
export const BACKGROUND_FUNCTIONS = {
  sweep: {
    summary: 'Scheduled: queues every credential due for a re-check',
    uses: { table: 'lease', dueIndex: true, queue: true },
  },
  'revalidation-worker': {
    summary: 'SQS: re-checks queued credentials (partial batch failures)',
    uses: { vendors: true, table: 'write', secrets: ['read'], externalSecrets: true },
  },
  'change-feed': {
    summary: "DynamoDB stream: each stored check's history entry and events (partial batch failures)",
    uses: { table: 'write', bus: true },
  },
  reconcile: {
    summary: 'Scheduled: schedules the deletion of secrets that no credential item describes',
    uses: { table: 'read', secrets: ['list', 'delete'] },
  },
  'revalidation-trigger': {
    summary: 'EventBridge: a changed secret or RevalidationRequested queues a re-check',
    uses: { queue: true },
  },
  'register-credential': {
    summary:
      'Invoked by a CredentialCheck resource: registers a credential whose secret its owner keeps, or removes it',
    uses: { table: 'write', deletes: true },
  },
} as const satisfies Record<string, BackgroundFunction>;

export type BackgroundFunctionName = keyof typeof BACKGROUND_FUNCTIONS;
export type FunctionName = RouteName | BackgroundFunctionName;

/** Every function's name and what it touches: one entry per `functions/<name>.ts`. */
export function allFunctions(): Array<{ name: FunctionName; uses: Uses }> {
  return [
    ...ROUTES.map((route) => ({ name: route.name as FunctionName, uses: route.uses as Uses })),
    ...Object.entries(BACKGROUND_FUNCTIONS).map(([name, fn]) => ({
      name: name as FunctionName,
      uses: fn.uses as Uses,
    })),
  ];
}

/**
 * Functions of the constructs other teams put in their own stacks (infra/credential-check.ts): bundled like the
 * others, but no part of a credval deployment.
 */
export const CONSTRUCT_FUNCTIONS = {
  'credential-check': {
    summary: 'CloudFormation custom resource: checks a credential during a deploy, its secret read by ARN',
    uses: { vendors: true },
  },
} as const satisfies Record<string, BackgroundFunction>;
