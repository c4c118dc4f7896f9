import { InvokeCommand, type InvokeCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import type { RegistrationRequest, RegistrationResult } from '../domain/registration.ts';

/**
 * Calls a credval deployment's register-credential function (Lambda Invoke, request-response) with a registration
 * request. A function error (a crash, a timeout) throws with its kind only; the answer's own refusals come back.
 */
export function lambdaRegistrar(client: LambdaClient) {
  return async (functionArn: string, request: RegistrationRequest): Promise<RegistrationResult> => {
    let answer: InvokeCommandOutput;
    try {
      answer = await client.send(
        new InvokeCommand({ FunctionName: functionArn, Payload: JSON.stringify(request) }),
      );
    } catch (error) {
      throw new Error(`invoking ${functionArn} failed (${(error as Error).name ?? 'Error'})`);
    }
    if (answer.FunctionError) {
      throw new Error(`${functionArn} failed (${answer.FunctionError}); its log has the details`);
    }
    try {
      return JSON.parse(new TextDecoder().decode(answer.Payload)) as RegistrationResult;
    } catch {
      throw new Error(`${functionArn} gave an answer that is not JSON`);
    }
  };
}
