import { type Environment, parseEnvironment } from './environment.ts';
import { once } from './once.ts';

/** The environment of a Lambda container, parsed once; storage on Lambda is always AWS. */
export const lambdaEnvironment = once(
  (): Environment => parseEnvironment({ ...process.env, STORAGE: 'aws' }),
);

/** Variables that name a resource: the stack sets each only together with the grant to use it. */
export type ResourceVariable = 'TABLE_NAME' | 'QUEUE_URL' | 'EVENT_BUS_NAME';

/**
 * A resource's name from the environment. It is missing when the function's `uses` (shared/app/uses.ts) does
 * not list the resource, so the stack gave no grant for it: fail at once rather than call AWS and be refused.
 */
export function resourceVariable(name: ResourceVariable): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set: add the resource to this function's uses (shared/app/functions.ts).`);
  return value;
}
