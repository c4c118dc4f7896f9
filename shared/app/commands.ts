import { CredentialCommands } from '../service/credential-commands.ts';
import { lambdaChecker } from './checker.ts';
import { handledErrorLogger, lambdaObservability } from './observability.ts';
import { once } from './once.ts';
import { lambdaSecretStore } from './secrets.ts';
import { lambdaServiceConfig } from './service-config.ts';
import { lambdaRepository } from './table.ts';

/** The container's credential commands: checks through the vendors, then the secret store and the table. */
export const lambdaCommands = once(
  () =>
    new CredentialCommands({
      repository: lambdaRepository(),
      secrets: lambdaSecretStore(),
      check: lambdaChecker(),
      clock: { now: () => new Date() },
      config: lambdaServiceConfig(),
      onHandledError: handledErrorLogger(lambdaObservability().logger),
    }),
);
