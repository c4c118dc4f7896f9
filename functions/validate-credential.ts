// POST /validations: dry-run check against the vendor, stores nothing. Uses: vendors.
import { lambdaChecker } from '../shared/app/checker.ts';
import { lambdaHttpBase } from '../shared/app/observability.ts';
import { makeValidateHandler } from '../shared/http/handlers/validate-credential.ts';

export const handler = makeValidateHandler({ ...lambdaHttpBase(), check: lambdaChecker() });
