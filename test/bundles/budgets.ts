import type { FunctionName } from '../../shared/app/functions.ts';

// Size budgets of the Lambda bundles (minified ESM, the AWS SDK inside), in bytes (1 kB = 1,000 bytes). Sizes are
// deterministic for a lockfile, so `npm run test:bundles` fails when a function outgrows its budget; timing
// goals (cold import against a DynamoDB-only baseline) are measured by `npm run bench`, never asserted.

/** No function may carry more. */
export const ANY_FUNCTION_BUDGET = 1_000_000;
/** Functions that serve a page or a generated document: no AWS client, no connector. */
export const STATIC_FUNCTION_BUDGET = 150_000;
/** Read routes: the table only, no connector and no outbound client. */
export const READ_FUNCTION_BUDGET = 450_000;

const STATIC: FunctionName[] = ['console', 'health', 'openapi', 'list-connectors'];
const READS: FunctionName[] = ['get-credential', 'list-credentials', 'list-checks'];

/** The budget of a function's bundle. */
export function bundleBudget(name: string): number {
  if (STATIC.includes(name as FunctionName)) return STATIC_FUNCTION_BUDGET;
  if (READS.includes(name as FunctionName)) return READ_FUNCTION_BUDGET;
  return ANY_FUNCTION_BUDGET;
}

/** Which budget group a function is in, for reports. */
export function budgetGroup(name: string): 'static' | 'read' | 'other' {
  if (STATIC.includes(name as FunctionName)) return 'static';
  if (READS.includes(name as FunctionName)) return 'read';
  return 'other';
}
