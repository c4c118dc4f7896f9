import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { RegistrationRequest, type RegistrationResult } from '../../domain/registration.ts';
import type * as z from '../../domain/zod.ts';
import type { CredentialRegistrations } from '../../service/register-credential.ts';

/** A key is named only when it looks like a field name: a value pasted as a key (a secret, say) is not. */
const shownKey = (key: string) => (/^[A-Za-z][A-Za-z_]{0,30}$/.test(key) ? key : '(name not shown)');

/** Issues named by path and kind only: zod's own messages may quote what was sent. */
function describe(issue: z.core.$ZodIssue): string {
  const path =
    issue.path.map((part) => (typeof part === 'number' ? String(part) : shownKey(String(part)))).join('.') ||
    '(request)';
  switch (issue.code) {
    case 'invalid_type':
      return `${path}: expected ${issue.expected}`;
    case 'unrecognized_keys':
      return `${path}: unknown key(s) ${issue.keys.map(shownKey).join(', ')}`;
    case 'invalid_union':
      return `${path}: matches none of the accepted shapes`;
    case 'invalid_value':
      return `${path}: not one of the accepted values`;
    case 'invalid_format':
      return `${path}: not in the expected format`;
    case 'too_small':
      return `${path}: too short or too small`;
    case 'too_big':
      return `${path}: too long or too large`;
    default:
      return `${path}: not valid`;
  }
}

/**
 * The `register-credential` function: invoked directly (Lambda Invoke) by a `CredentialCheck` resource's custom
 * resource with a RegistrationRequest (shared/domain/registration.ts). A payload that is not one answers
 * `invalid_input` naming the bad paths, never their values; the rest is the service's answer. Storage failures
 * throw, so the invoker sees a function error and CloudFormation a failed resource. Logs the tenant, the
 * credential id and the outcome; never a field.
 */
export function makeRegisterCredentialHandler(
  registrations: Pick<CredentialRegistrations, 'register' | 'deregister'>,
  o: { logger: Logger; metrics: Metrics },
) {
  return middy<unknown, RegistrationResult>()
    .use(injectLambdaContext(o.logger, { resetKeys: true }))
    .use(logMetrics(o.metrics))
    .handler(async (event: unknown) => {
      const parsed = RegistrationRequest.safeParse(event);
      if (!parsed.success) {
        const problems = parsed.error.issues.map(describe);
        o.metrics.addMetric('Registrations_invalid_input', MetricUnit.Count, 1);
        o.logger.warn('registration request refused', { code: 'invalid_input', problems });
        return {
          ok: false,
          code: 'invalid_input',
          message: `credval: the registration request is not valid: ${problems.join('; ')}`,
        };
      }
      const request = parsed.data;
      const result =
        request.action === 'register'
          ? await registrations.register(request)
          : await registrations.deregister(request);
      o.metrics.addMetric(`Registrations_${result.ok ? result.outcome : result.code}`, MetricUnit.Count, 1);
      const line = {
        action: request.action,
        tenant_id: request.tenantId,
        credential_id: request.credentialId,
        stack_id: request.registration.stackId,
        logical_resource_id: request.registration.logicalResourceId,
        ...(result.ok ? { outcome: result.outcome } : { code: result.code }),
      };
      if (result.ok) o.logger.info('registration done', line);
      else o.logger.warn('registration refused', line);
      return result;
    });
}
