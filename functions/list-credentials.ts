// GET /credentials: list (never secrets). Uses: table (read).
import { lambdaHttpBase } from '../shared/app/observability.ts';
import { lambdaReader } from '../shared/app/table.ts';
import { makeListCredentialsHandler } from '../shared/http/handlers/list-credentials.ts';
import { CredentialReads } from '../shared/service/credential-reads.ts';

export const handler = makeListCredentialsHandler({
  ...lambdaHttpBase(),
  reads: new CredentialReads(lambdaReader()),
});
