import type { HttpDeps } from '../http/route.ts';
import type { RevalidationQueue } from '../store/ports.ts';
import { awsStorage, buildHttpDeps, buildRevalidation, observability, type Storage } from './build.ts';
import { type Environment, parseEnvironment } from './environment.ts';

let env: Environment | undefined;
let storage: Storage | undefined;
let httpDeps: HttpDeps | undefined;
let revalidation: ReturnType<typeof buildRevalidation> | undefined;

function awsEnvironment(): { env: Environment; storage: Storage } {
  env ??= parseEnvironment({ ...process.env, STORAGE: 'aws' });
  storage ??= awsStorage(env);
  return { env, storage };
}

/**
 * The dependencies of a Lambda container, built on first use and reused while the container is warm
 * (clients, the connection pool, the Precoro ledger). On Lambda, storage is always AWS.
 */
export function lambdaDeps(): HttpDeps {
  const { env, storage } = awsEnvironment();
  httpDeps ??= buildHttpDeps(env, storage);
  return httpDeps;
}

/** Revalidation for the sweep (needs QUEUE_URL) and the worker (needs EVENT_BUS_NAME). */
export function lambdaRevalidation(): ReturnType<typeof buildRevalidation> {
  const { env, storage } = awsEnvironment();
  revalidation ??= buildRevalidation(env, storage);
  return revalidation;
}

/** The queue and secret prefix for the event trigger function: it checks nothing and publishes nothing. */
export function lambdaTrigger(): { queue: RevalidationQueue; secretPrefix: string } & ReturnType<
  typeof observability
> {
  const { env, storage } = awsEnvironment();
  if (!storage.queue) throw new Error('QUEUE_URL must be set');
  return { queue: storage.queue, secretPrefix: env.SECRET_PREFIX, ...observability(env) };
}
