import type * as z from '../domain/zod.ts';
import { parseSettings } from './settings/parse.ts';

const parsed = new Map<z.ZodMiniType, unknown>();

/**
 * One slice of the settings (shared/app/environment.ts) from the container's environment, parsed once. Storage
 * on Lambda is always AWS.
 */
export function lambdaSettings<S extends z.ZodMiniType>(schema: S): z.output<S> {
  if (!parsed.has(schema)) parsed.set(schema, parseSettings(schema, { ...process.env, STORAGE: 'aws' }));
  return parsed.get(schema) as z.output<S>;
}

/** Variables that name a resource: the stack sets each only together with the grant to use it. */
export type ResourceVariable = 'TABLE_NAME' | 'QUEUE_URL' | 'EVENT_BUS_NAME' | 'SECRET_PREFIX';

/**
 * A resource's name from the environment. It is missing when the function's `uses` (shared/app/uses.ts) does
 * not list the resource, so the stack gave no grant for it: fail at once rather than call AWS and be refused.
 */
export function resourceVariable(name: ResourceVariable): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: add the resource to this function's uses (shared/app/functions.ts).`,
    );
  return value;
}
