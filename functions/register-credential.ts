// Invoked by a CredentialCheck resource's custom resource (Lambda Invoke): registers a credential whose secret its
// owner keeps in Secrets Manager, or removes that registration. Uses: table (write, deletes).
import { makeRegisterCredentialHandler } from '../shared/app/handlers/register-credential.ts';
import { lambdaObservability } from '../shared/app/observability.ts';
import { lambdaServiceConfig } from '../shared/app/service-config.ts';
import { lambdaRepository } from '../shared/app/table.ts';
import { CredentialRegistrations } from '../shared/service/register-credential.ts';

const registrations = new CredentialRegistrations({
  repository: lambdaRepository(),
  clock: { now: () => new Date() },
  config: lambdaServiceConfig(),
});
export const handler = makeRegisterCredentialHandler(registrations, lambdaObservability());
