import type { HttpDeps } from '../http/route.ts';
import type { Revalidation } from '../service/revalidation.ts';
import type { RevalidationQueue } from '../store/ports.ts';
import { awsStorage, buildHttpDeps, buildRevalidation, type Storage } from './build.ts';
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

/** Revalidation for the sweep and worker functions (needs QUEUE_URL and EVENT_BUS_NAME). */
export function lambdaRevalidation(): ReturnType<typeof buildRevalidation> & { revalidation: Revalidation } {
  const { env, storage } = awsEnvironment();
  if (!storage.queue || !storage.events) throw new Error('QUEUE_URL and EVENT_BUS_NAME must be set');
  revalidation ??= buildRevalidation(env, { ...storage, queue: storage.queue, events: storage.events });
  return revalidation;
}

/** The queue and secret prefix for the event trigger function. */
export function lambdaTrigger(): { queue: RevalidationQueue; secretPrefix: string } & Pick<
  ReturnType<typeof buildRevalidation>,
  'logger' | 'metrics'
> {
  const { env, storage } = awsEnvironment();
  if (!storage.queue) throw new Error('QUEUE_URL must be set');
  const { logger, metrics } = lambdaRevalidation();
  return { queue: storage.queue, secretPrefix: env.SECRET_PREFIX, logger, metrics };
}
