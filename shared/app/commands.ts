import { CredentialCommands } from '../service/credential-commands.ts';
import { lambdaCheckParts } from './check-parts.ts';
import { once } from './once.ts';

/** The container's credential commands: checks through the vendors, then the secret store and the table. */
export const lambdaCommands = once(() => new CredentialCommands(lambdaCheckParts()));
