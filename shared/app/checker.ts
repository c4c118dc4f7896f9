import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { runCheck } from '../connectors/check.ts';
import { createGuardedClient } from '../net/guarded-client.ts';
import type { GuardedClient } from '../net/types.ts';
import type { Checker } from '../service/credential-commands.ts';
import { lambdaSettings } from './lambda-environment.ts';
import { lambdaObservability } from './observability.ts';
import { once } from './once.ts';
import { CheckSettings } from './settings/check.ts';

/** The guarded outbound client as the environment configures it (EGRESS_ALLOW, CHECK_TIMEOUT). */
export function createOutboundClient(
  env: Pick<CheckSettings, 'EGRESS_ALLOW' | 'CHECK_TIMEOUT'>,
): GuardedClient {
  return createGuardedClient({ egressAllow: env.EGRESS_ALLOW, timeoutMs: env.CHECK_TIMEOUT });
}

/** Runs checks through the guarded client and counts them (EMF: checks by connector and verdict, latency). */
export function meteredChecker(client: GuardedClient, metrics: Metrics, deadlineMs?: number): Checker {
  return async (check) => {
    const report = await runCheck(check, { client, ...(deadlineMs ? { deadlineMs } : {}) });
    const metric = metrics.singleMetric();
    metric.addDimensions({ connector: check.connector.id, verdict: report.verdict });
    metric.addMetric('Checks', MetricUnit.Count, 1);
    metric.addMetric('CheckLatency', MetricUnit.Milliseconds, report.durationMs);
    return report;
  };
}

/** The container's checker (`uses.vendors`): one connection pool, reused while the container is warm. */
export const lambdaChecker = once(() => {
  const settings = lambdaSettings(CheckSettings);
  return meteredChecker(
    createOutboundClient(settings),
    lambdaObservability().metrics,
    settings.CHECK_DEADLINE,
  );
});
