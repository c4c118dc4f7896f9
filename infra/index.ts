// `credval/constructs`: what a CDK app of its own needs to deploy credval (README "In your own CDK app").
// One export line per construct.
export type { CredvalConfig, CredvalSettings } from './config.ts';
export {
  CredentialCheck,
  type CredentialCheckProps,
  type CredentialRegistration,
  type CredentialRequirement,
  type CredvalRegistry,
} from './credential-check.ts';
export { Credval, type CredvalProps } from './credval.ts';
export { CredvalData, type ICredvalData } from './credval-data.ts';
export type { CredvalFunction } from './credval-function.ts';
