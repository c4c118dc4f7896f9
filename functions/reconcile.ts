// Scheduled: schedules the deletion of secrets that no credential item describes. Uses: table (read), secrets.
import { makeReconcileHandler } from '../shared/app/handlers/reconcile.ts';
import { handledErrorLogger, lambdaObservability } from '../shared/app/observability.ts';
import { lambdaSecretStore } from '../shared/app/secrets.ts';
import { lambdaServiceConfig } from '../shared/app/service-config.ts';
import { lambdaRepository } from '../shared/app/table.ts';
import { reconcileSecrets } from '../shared/service/reconcile-secrets.ts';

export const handler = makeReconcileHandler(
  () =>
    reconcileSecrets({
      secrets: lambdaSecretStore(),
      repository: lambdaRepository(),
      clock: { now: () => new Date() },
      secretPrefix: lambdaServiceConfig().secretPrefix,
      recoveryDays: lambdaServiceConfig().deletionRecoveryDays,
      graceMs: lambdaServiceConfig().reconcileGraceMs,
      onHandledError: handledErrorLogger(lambdaObservability().logger),
    }),
  lambdaObservability(),
);
