// Names on the event buses credval reads and writes: constants only, shared by the code that builds and parses
// events and by the stack whose rules match them.

/** EventBridge `source` of everything credval publishes. */
export const EVENT_SOURCE = 'credval';

/** Inbound: a consumer whose own call with a credential was refused asks for a re-check. */
export const REVALIDATION_REQUESTED = 'RevalidationRequested';

/** CloudTrail API calls that change, or start changing, a secret's value. */
export const SECRET_CHANGE_EVENT_NAMES = [
  'PutSecretValue',
  'UpdateSecret',
  'RotateSecret',
  'UpdateSecretVersionStage',
] as const;

export const SECRETS_MANAGER_SOURCE = 'aws.secretsmanager';
export const CLOUDTRAIL_API_CALL = 'AWS API Call via CloudTrail';
export const CLOUDTRAIL_SERVICE_EVENT = 'AWS Service Event via CloudTrail';
export const SECRET_LABEL_UPDATED = 'Secret Label Updated';
