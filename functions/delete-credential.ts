// DELETE /credentials/{id}. Uses: table, secrets (delete).
import { handledErrorLogger, lambdaHttpBase, lambdaObservability } from '../shared/app/observability.ts';
import { lambdaSecretStore } from '../shared/app/secrets.ts';
import { lambdaServiceConfig } from '../shared/app/service-config.ts';
import { lambdaRepository } from '../shared/app/table.ts';
import { makeDeleteCredentialHandler } from '../shared/http/handlers/delete-credential.ts';

export const handler = makeDeleteCredentialHandler({
  ...lambdaHttpBase(),
  deletion: {
    repository: lambdaRepository(),
    secrets: lambdaSecretStore(),
    recoveryDays: lambdaServiceConfig().deletionRecoveryDays,
    onHandledError: handledErrorLogger(lambdaObservability().logger),
  },
});
