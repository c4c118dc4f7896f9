import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Environment } from './environment.ts';
import { lambdaEnvironment } from './lambda-environment.ts';
import { once } from './once.ts';

export interface Observability {
  logger: Logger;
  metrics: Metrics;
}

type ObservabilitySettings = Pick<
  Environment,
  'LOG_LEVEL' | 'POWERTOOLS_SERVICE_NAME' | 'POWERTOOLS_METRICS_NAMESPACE'
>;

/** Logger and metrics named by POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE (default credval). */
export function createObservability(env: ObservabilitySettings): Observability {
  return {
    logger: new Logger({ serviceName: env.POWERTOOLS_SERVICE_NAME, logLevel: env.LOG_LEVEL }),
    metrics: new Metrics({
      namespace: env.POWERTOOLS_METRICS_NAMESPACE,
      serviceName: env.POWERTOOLS_SERVICE_NAME,
    }),
  };
}

/** The container's logger and metrics. Every function has them: they need no grant. */
export const lambdaObservability = once(() => createObservability(lambdaEnvironment()));

/** What every HTTP handler takes besides its own parts. */
export const lambdaHttpBase = once(() => {
  const env = lambdaEnvironment();
  return { ...lambdaObservability(), tenantClaim: env.TENANT_CLAIM, corsOrigins: env.CORS_ORIGINS };
});

/** Handled failures are logged by name only: their messages could come from anywhere. */
export function handledErrorLogger(logger: Logger) {
  return (what: string, error: unknown) => logger.warn(what, { error: (error as Error)?.name ?? 'unknown' });
}
