import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

/** A stack's status by its id (e.g. `UPDATE_ROLLBACK_IN_PROGRESS`), or null when it cannot be read. */
export function cloudFormationStackStatus(client: CloudFormationClient) {
  return async (stackId: string): Promise<string | null> => {
    try {
      const answer = await client.send(new DescribeStacksCommand({ StackName: stackId }));
      return answer.Stacks?.[0]?.StackStatus ?? null;
    } catch {
      return null;
    }
  };
}
