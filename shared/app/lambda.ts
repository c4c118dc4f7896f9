import type { HttpDeps } from '../http/route.ts';
import { awsStorage, buildHttpDeps } from './build.ts';
import { parseEnvironment } from './environment.ts';

let deps: HttpDeps | undefined;

/**
 * The dependencies of a Lambda container, built on first use and reused while the container is warm
 * (clients, the connection pool, the Precoro ledger). On Lambda, storage is always AWS.
 */
export function lambdaDeps(): HttpDeps {
  deps ??= (() => {
    const env = parseEnvironment({ ...process.env, STORAGE: 'aws' });
    return buildHttpDeps(env, awsStorage(env));
  })();
  return deps;
}
