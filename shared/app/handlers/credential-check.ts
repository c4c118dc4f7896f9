import type { Logger } from '@aws-lambda-powertools/logger';
import type { GuardedClient } from '../../net/types.ts';
import type {
  CredentialCheckResource,
  CustomResourceEvent,
  CustomResourceResponse,
} from '../../service/credential-check-resource.ts';

/** Attempts at delivering the answer: the response URL is S3's, which may answer 5xx under load. */
const RESPONSE_ATTEMPTS = 3;

/**
 * The CloudFormation custom resource handler of the `CredentialCheck` construct. CloudFormation waits for an answer
 * at the event's pre-signed ResponseURL, not for the function's return value, so every request gets one: an error
 * inside becomes FAILED (for Delete, SUCCESS: a stack deletion never waits on a check), and the answer is sent
 * through the guarded client like every outbound call.
 */
export function makeCredentialCheckHandler(deps: {
  resource: CredentialCheckResource;
  client: GuardedClient;
  logger: Logger;
}) {
  return async (event: CustomResourceEvent): Promise<void> => {
    deps.logger.info('custom resource request', {
      request_type: event.RequestType,
      logical_resource_id: event.LogicalResourceId,
      stack_id: event.StackId,
    });
    let response: CustomResourceResponse;
    try {
      response = await deps.resource.respond(event);
    } catch (error) {
      // Logged by name only: a message from deep inside could quote anything.
      deps.logger.error('check failed unexpectedly', { error: (error as Error)?.name ?? 'unknown' });
      response = {
        Status: event.RequestType === 'Delete' ? 'SUCCESS' : 'FAILED',
        Reason: 'credval: the check could not run (an internal error); the function log has the details.',
        PhysicalResourceId: event.PhysicalResourceId ?? 'credval-check',
        StackId: event.StackId,
        RequestId: event.RequestId,
        LogicalResourceId: event.LogicalResourceId,
      };
    }
    deps.logger.info('custom resource answer', {
      status: response.Status,
      verdict: response.Data?.Verdict,
      reason: response.Data?.Reason,
    });
    await sendResponse(deps.client, event.ResponseURL, response);
  };
}

/**
 * PUTs the answer to the pre-signed URL. No content type: the URL is signed without one, and S3 refuses a request
 * whose headers differ from the signature.
 */
async function sendResponse(
  client: GuardedClient,
  url: string,
  response: CustomResourceResponse,
): Promise<void> {
  const body = JSON.stringify(response);
  let last = '';
  for (let attempt = 1; attempt <= RESPONSE_ATTEMPTS; attempt += 1) {
    const result = await client.request({ method: 'PUT', url, body, headers: { 'content-type': '' } });
    if (result.ok && result.status < 300) return;
    last = result.ok ? `HTTP ${result.status}` : `${result.failure}: ${result.detail}`;
  }
  throw new Error(`The answer to CloudFormation could not be delivered (${last}).`);
}
