// GET /credentials/{id}/checks: check history. Uses: table (read).
import { lambdaHttpBase } from '../shared/app/observability.ts';
import { lambdaReader } from '../shared/app/table.ts';
import { makeListChecksHandler } from '../shared/http/handlers/list-checks.ts';
import { CredentialReads } from '../shared/service/credential-reads.ts';

export const handler = makeListChecksHandler({
  ...lambdaHttpBase(),
  reads: new CredentialReads(lambdaReader()),
});
