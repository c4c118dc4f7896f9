import { lambdaChecker } from './checker.ts';
import { handledErrorLogger, lambdaObservability } from './observability.ts';
import { once } from './once.ts';
import { lambdaSecretStore } from './secrets.ts';
import { lambdaServiceConfig } from './service-config.ts';
import { lambdaRepository } from './table.ts';

/**
 * What every use case that checks a stored credential is built from (the commands, the worker): the table,
 * the secret store, the checker, the clock, the tunables and the handled-error log.
 */
export const lambdaCheckParts = once(() => ({
  repository: lambdaRepository(),
  secrets: lambdaSecretStore(),
  check: lambdaChecker(),
  clock: { now: () => new Date() },
  config: lambdaServiceConfig(),
  onHandledError: handledErrorLogger(lambdaObservability().logger),
}));
