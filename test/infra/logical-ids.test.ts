import type { CfnResource } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/app.ts';
import RECORDED from './logical-ids.json' with { type: 'json' };
import { newApp } from './support.ts';

/**
 * The logical IDs of the deployed templates must not move: CloudFormation replaces a resource whose ID changed, and
 * the table and the key are retained, so a new ID would leave the old ones orphaned and start a new, empty table.
 * logical-ids.json was recorded from the templates as they were before the stacks became `CredvalData` and
 * `Credval` under the id `Default`; regenerate it only for a change that is meant to replace resources.
 */
describe('logical IDs of the deployed stacks', () => {
  for (const secretStore of ['secretsmanager', 'envelope'] as const) {
    it(`stay as recorded with secretStore=${secretStore}`, () => {
      const { stateful, stateless } = buildApp(newApp({ context: { secretStore } }));
      const data = Template.fromStack(stateful).toJSON() as {
        Resources: Record<string, { Type: string }>;
        Outputs: Record<string, { Export: { Name: string } }>;
      };
      const code = Template.fromStack(stateless).toJSON() as {
        Resources: Record<string, unknown>;
        Outputs: Record<string, unknown>;
      };

      // The retained resources, by name: these two must never change.
      const idOf = (construct: { node: { defaultChild?: unknown } }) =>
        stateful.getLogicalId(construct.node.defaultChild as CfnResource);
      expect(idOf(stateful.key)).toBe('DataKey17AFBB84');
      expect(idOf(stateful.table)).toBe('CredentialsF8F243AA');
      expect(Object.fromEntries(Object.entries(data.Resources).map(([id, r]) => [id, r.Type]))).toEqual(
        RECORDED.stateful.resources,
      );
      // The stateless stack imports the table and key by these export names.
      expect(
        Object.values(data.Outputs)
          .map((o) => o.Export.Name)
          .sort(),
      ).toEqual(RECORDED.stateful.exports);

      // Every recorded resource keeps its ID; the only others are those added since (new, replacing nothing).
      expect(Object.keys(code.Resources).sort()).toEqual(
        [...RECORDED.stateless[secretStore], ...RECORDED.stateless.added].sort(),
      );
      expect(Object.keys(code.Outputs).sort()).toEqual(RECORDED.stateless.outputs);
    }, 60_000);
  }
});
