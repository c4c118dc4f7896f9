import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StatefulStack } from './stateful-stack.ts';

/** Builds the credval CDK app; `npm run synth` runs it offline (no account, no lookups, no Docker). */
export function buildApp(app = new App()): { app: App; stateful: StatefulStack } {
  const stage = String(app.node.tryGetContext('stage') ?? 'dev');
  const stateful = new StatefulStack(app, `credval-${stage}-stateful`, {
    description: 'credval: credentials table and data key (retained on delete)',
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stateful };
}

if (import.meta.url === `file://${process.argv[1]}`) buildApp();
