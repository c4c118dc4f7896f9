import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { type CredvalConfig, configFromContext } from './config.ts';
import { StatefulStack } from './stateful-stack.ts';
import { StatelessStack } from './stateless-stack.ts';

const CROSS_STACK_REFERENCES = '@aws-cdk/core:defaultCrossStackReferences';

/**
 * Builds the credval CDK app; `npm run synth` runs it offline (no account, no lookups, no Docker). The stacks are
 * environment-agnostic: `cdk deploy` takes account and region from the caller's credentials.
 * Settings come from context (README "Deploy"); `overrides` replaces some of them (tests).
 */
export function buildApp(
  app = new App(),
  overrides: Partial<CredvalConfig> = {},
): { app: App; stateful: StatefulStack; stateless: StatelessStack; config: CredvalConfig } {
  // The stateless stack imports the table and key through CloudFormation exports ("strong"), so the stateful
  // stack cannot be deleted while the other uses it; said explicitly, so that CLI and tests agree.
  if (app.node.tryGetContext(CROSS_STACK_REFERENCES) === undefined)
    app.node.setContext(CROSS_STACK_REFERENCES, 'strong');
  const config = { ...configFromContext(app.node), ...overrides };
  const stateful = new StatefulStack(app, `credval-${config.stage}-stateful`, {
    description: 'credval: credentials table and data key (retained on delete)',
  });
  const stateless = new StatelessStack(app, `credval-${config.stage}-stateless`, {
    description: 'credval: HTTP API, functions, revalidation queue, schedule, event bus, rules and alarms',
    table: stateful.table,
    key: stateful.key,
    config,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stateful, stateless, config };
}

if (import.meta.url === `file://${process.argv[1]}`) buildApp();
