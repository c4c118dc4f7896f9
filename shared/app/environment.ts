import * as z from '../domain/zod.ts';
import { AwsSettings } from './settings/aws.ts';
import { CheckSettings } from './settings/check.ts';
import { HttpSettings } from './settings/http.ts';
import { LocalSettings } from './settings/local.ts';
import { ObservabilitySettings } from './settings/observability.ts';
import { parseSettings } from './settings/parse.ts';
import { ServiceSettings } from './settings/service.ts';

// Every environment variable credval reads (README "Configuration"), in slices (./settings/): a Lambda function
// parses only the slices of the parts it builds, so a read route carries no parser for vendor or local settings;
// the local server and the CLI parse all of them at start-up. A bad value stops the start with a message naming
// the variable instead of failing a request later.

/** Every setting at once: what the local server and the CLI read. */
export const Environment = z.object({
  ...ObservabilitySettings.shape,
  ...HttpSettings.shape,
  ...AwsSettings.shape,
  ...CheckSettings.shape,
  ...ServiceSettings.shape,
  ...LocalSettings.shape,
});
export type Environment = z.output<typeof Environment>;

/** Parses every setting; throws one Error that names every bad variable. */
export function parseEnvironment(env: NodeJS.ProcessEnv): Environment {
  return parseSettings(Environment, env);
}
