// GET /credentials/{id}: metadata and last report. Uses: table (read).
import { lambdaHttpBase } from '../shared/app/observability.ts';
import { lambdaReader } from '../shared/app/table.ts';
import { makeGetCredentialHandler } from '../shared/http/handlers/get-credential.ts';
import { CredentialReads } from '../shared/service/credential-reads.ts';

export const handler = makeGetCredentialHandler({
  ...lambdaHttpBase(),
  reads: new CredentialReads(lambdaReader()),
});
