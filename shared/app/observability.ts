import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { lambdaSettings } from './lambda-environment.ts';
import { once } from './once.ts';
import { HttpSettings } from './settings/http.ts';
import { ObservabilitySettings } from './settings/observability.ts';

export interface Observability {
  logger: Logger;
  metrics: Metrics;
}

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
export const lambdaObservability = once(() => createObservability(lambdaSettings(ObservabilitySettings)));

/** What every HTTP handler takes besides its own parts. */
export const lambdaHttpBase = once(() => {
  const env = lambdaSettings(HttpSettings);
  return { ...lambdaObservability(), tenantClaim: env.TENANT_CLAIM, corsOrigins: env.CORS_ORIGINS };
});

/** Handled failures are logged by name only: their messages could come from anywhere. */
export function handledErrorLogger(logger: Logger) {
  return (what: string, error: unknown) => logger.warn(what, { error: (error as Error)?.name ?? 'unknown' });
}
