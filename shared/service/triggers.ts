import {
  CLOUDTRAIL_API_CALL,
  CLOUDTRAIL_SERVICE_EVENT,
  EVENT_SOURCE,
  REVALIDATION_REQUESTED,
  SECRET_CHANGE_EVENT_NAMES,
  SECRET_LABEL_UPDATED,
  SECRETS_MANAGER_SOURCE,
} from '../domain/event-names.ts';
import { RevalidationMessage, RevalidationRequested } from '../domain/events.ts';
import { CREDENTIAL_ID, TENANT_ID } from '../domain/identifiers.ts';
import * as z from '../domain/zod.ts';

/**
 * Event-driven re-checks (README "Revalidation and events"): turns an inbound EventBridge event into a RevalidationMessage, or
 * null when the event is not about a credval credential. Pure and total: whatever arrives (another service's
 * event, a failed API call, garbage), it returns null rather than throwing, and never copies free text from the
 * event into the message.
 *
 * Recognised events, all with the EventBridge envelope (`version`, `id`, `detail-type`, `source`, `account`,
 * `time`, `region`, `resources`, `detail`):
 *
 * 1. CloudTrail via EventBridge, `source: aws.secretsmanager`, `detail-type: AWS API Call via CloudTrail`, for
 *    PutSecretValue, UpdateSecret, RotateSecret and UpdateSecretVersionStage. The secret is
 *    `detail.requestParameters.secretId` (a name or an ARN; CloudTrail never logs the secret value), falling back
 *    to the ARN in `detail.responseElements` (`arn`; `aRN` in events before February 2024). Calls that failed
 *    (`detail.errorCode` set) are ignored, and so are calls that only stage a non-current version
 *    (PutSecretValue with `versionStages` lacking AWSCURRENT, UpdateSecretVersionStage of another label): the
 *    current value, which is what a re-check reads, did not change.
 *    Source: https://docs.aws.amazon.com/secretsmanager/latest/userguide/monitoring-eventbridge.html and
 *    https://docs.aws.amazon.com/secretsmanager/latest/userguide/cloudtrail_log_entries.html
 * 2. CloudTrail service event `RotationSucceeded`, `detail-type: AWS Service Event via CloudTrail`, the secret ARN
 *    in `detail.additionalEventData.SecretId`, `requestParameters` null. The AWS user guide lists the event
 *    (retrieve-ct-entries.html) but shows no example entry; this shape follows the example event in the AWS
 *    Security Blog post on multi-user rotation with AppConfig (2022), the closest documented one.
 * 3. The native Secrets Manager event `Secret Label Updated` (no CloudTrail needed), sent when a staging label
 *    moves to a new version, for every label except AWSPENDING and AWSPREVIOUS; detail
 *    `{ name, labelUpdated, versionId }` and the secret ARN in `resources[0]`. Only AWSCURRENT triggers a re-check.
 *    Source: https://docs.aws.amazon.com/secretsmanager/latest/userguide/event-detail-secret-label-updated-secretsmanager.html
 *    and https://docs.aws.amazon.com/secretsmanager/latest/userguide/secret-event-notifications.html
 * 4. `detail-type: RevalidationRequested` from any source but credval itself, detail `{ tenantId, credentialId,
 *    reason? }` (README "HTTP API"), sent by a consumer whose own call with the credential was refused.
 *
 * Secret names are `<secretPrefix>/<tenantId>/<credentialId>`; anything else (another prefix, more or fewer
 * segments, ids outside their character sets) is not credval's and is ignored. The checkId is `event:<event id>`,
 * so a redelivered event maps to the same check.
 */

export interface TriggerOptions {
  /** The configured SECRET_PREFIX (default `credval`). */
  secretPrefix: string;
}

const AWSCURRENT = 'AWSCURRENT';
/** EventBridge event ids are UUIDs; anything else of a safe shape is accepted too. */
const EVENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** arn:<partition>:secretsmanager:<region>:<account>:secret:<name>-<6 random characters> */
const SECRET_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:(.+)$/;
const ARN_SUFFIX = /-[A-Za-z0-9]{6}$/;
const MAX_SECRET_ID = 2048;

const Envelope = z.object({
  id: z.string().check(z.regex(EVENT_ID)),
  'detail-type': z.string(),
  source: z.string(),
  resources: z.optional(z.array(z.unknown())),
  detail: z.unknown(),
});
type Envelope = z.infer<typeof Envelope>;

const SecretId = z.string().check(z.minLength(1), z.maxLength(MAX_SECRET_ID));
const JsonObject = z.record(z.string(), z.unknown());

const ApiCallDetail = z.object({
  eventSource: z.literal('secretsmanager.amazonaws.com'),
  eventName: z.enum(SECRET_CHANGE_EVENT_NAMES),
  errorCode: z.optional(z.unknown()),
  errorMessage: z.optional(z.unknown()),
  requestParameters: z.nullish(JsonObject),
  responseElements: z.nullish(JsonObject),
});

const ServiceEventDetail = z.object({
  eventSource: z.literal('secretsmanager.amazonaws.com'),
  eventName: z.literal('RotationSucceeded'),
  errorCode: z.optional(z.unknown()),
  additionalEventData: z.object({ SecretId }),
});

const LabelUpdatedDetail = z.object({
  name: z.optional(SecretId),
  labelUpdated: z.string(),
  versionId: z.optional(z.string()),
});

/** Tenant and credential of a credval secret name or ARN, or null when the secret is not one of credval's. */
export function credentialOfSecret(
  secretId: string,
  secretPrefix: string,
): { tenantId: string; credentialId: string } | null {
  if (typeof secretId !== 'string' || secretId.length === 0 || secretId.length > MAX_SECRET_ID) return null;
  if (typeof secretPrefix !== 'string' || secretPrefix.length === 0) return null;
  let name = secretId;
  const arn = SECRET_ARN.exec(secretId);
  if (arn) {
    // A complete ARN ends in a hyphen and 6 random characters that are not part of the name. (A partial ARN has
    // no suffix; credval's credential ids are UUIDs, whose last segment has 12 characters, so none is cut.)
    name = (arn[1] as string).replace(ARN_SUFFIX, '');
  } else if (secretId.startsWith('arn:')) {
    return null;
  }
  const head = `${secretPrefix}/`;
  if (!name.startsWith(head)) return null;
  const parts = name.slice(head.length).split('/');
  if (parts.length !== 2) return null;
  const [tenantId, credentialId] = parts as [string, string];
  if (!TENANT_ID.test(tenantId) || !CREDENTIAL_ID.test(credentialId)) return null;
  return { tenantId, credentialId };
}

/** The RevalidationMessage for an inbound EventBridge event, or null when it asks for none. Never throws. */
export function revalidationFromEvent(event: unknown, options: TriggerOptions): RevalidationMessage | null {
  try {
    const envelope = Envelope.safeParse(event);
    if (!envelope.success) return null;
    const target = targetOf(envelope.data, options);
    if (!target) return null;
    const message = RevalidationMessage.safeParse({
      tenantId: target.tenantId,
      credentialId: target.credentialId,
      version: null,
      checkId: `event:${envelope.data.id}`,
      trigger: 'event',
      cause: target.cause,
    });
    return message.success ? message.data : null;
  } catch {
    // Unreachable for JSON input; a hostile object (throwing getters, proxies) is ignored like garbage.
    return null;
  }
}

type Target = { tenantId: string; credentialId: string; cause: string };

function targetOf(envelope: Envelope, options: TriggerOptions): Target | null {
  const detailType = envelope['detail-type'];
  if (detailType === REVALIDATION_REQUESTED) return fromRevalidationRequested(envelope);
  if (envelope.source !== SECRETS_MANAGER_SOURCE) return null;
  if (detailType === CLOUDTRAIL_API_CALL) return fromApiCall(envelope, options);
  if (detailType === CLOUDTRAIL_SERVICE_EVENT) return fromServiceEvent(envelope, options);
  if (detailType === SECRET_LABEL_UPDATED) return fromLabelUpdated(envelope, options);
  return null;
}

function withCause(
  credential: { tenantId: string; credentialId: string } | null,
  cause: string,
): Target | null {
  return credential ? { ...credential, cause } : null;
}

function fromApiCall(envelope: Envelope, options: TriggerOptions): Target | null {
  const parsed = ApiCallDetail.safeParse(envelope.detail);
  if (!parsed.success) return null;
  const detail = parsed.data;
  // A failed call (AccessDenied, ResourceNotFound, ...) changed nothing.
  if (present(detail.errorCode) || present(detail.errorMessage)) return null;
  const request = detail.requestParameters ?? {};
  if (detail.eventName === 'PutSecretValue' && Array.isArray(request.versionStages)) {
    if (!request.versionStages.includes(AWSCURRENT)) return null;
  }
  if (detail.eventName === 'UpdateSecretVersionStage' && typeof request.versionStage === 'string') {
    if (request.versionStage !== AWSCURRENT) return null;
  }
  const response = detail.responseElements ?? {};
  const secretId = [request.secretId, response.arn, response.aRN, response.ARN].find(
    (candidate) => SecretId.safeParse(candidate).success,
  ) as string | undefined;
  if (secretId === undefined) return null;
  return withCause(
    credentialOfSecret(secretId, options.secretPrefix),
    `secret changed (${detail.eventName} via CloudTrail)`,
  );
}

function fromServiceEvent(envelope: Envelope, options: TriggerOptions): Target | null {
  const parsed = ServiceEventDetail.safeParse(envelope.detail);
  if (!parsed.success || present(parsed.data.errorCode)) return null;
  return withCause(
    credentialOfSecret(parsed.data.additionalEventData.SecretId, options.secretPrefix),
    'secret rotation succeeded (RotationSucceeded via CloudTrail)',
  );
}

function fromLabelUpdated(envelope: Envelope, options: TriggerOptions): Target | null {
  const parsed = LabelUpdatedDetail.safeParse(envelope.detail);
  // Custom labels move too; only AWSCURRENT changes the value a check reads.
  if (!parsed.success || parsed.data.labelUpdated !== AWSCURRENT) return null;
  const resource = envelope.resources?.[0];
  const secretId =
    parsed.data.name ?? (SecretId.safeParse(resource).success ? (resource as string) : undefined);
  if (secretId === undefined) return null;
  return withCause(
    credentialOfSecret(secretId, options.secretPrefix),
    'secret current version changed (Secret Label Updated)',
  );
}

function fromRevalidationRequested(envelope: Envelope): Target | null {
  // credval's own events never ask credval for anything; this also stops a loop if one were routed back.
  if (envelope.source === EVENT_SOURCE) return null;
  const parsed = RevalidationRequested.safeParse(envelope.detail);
  if (!parsed.success) return null;
  const { tenantId, credentialId } = parsed.data;
  if (!TENANT_ID.test(tenantId) || !CREDENTIAL_ID.test(credentialId)) return null;
  // The consumer's `reason` is free text: kept out of the cause, which goes to logs. The source is named only
  // when it has the shape of an EventBridge source.
  const source = /^[A-Za-z0-9._/-]{1,64}$/.test(envelope.source) ? envelope.source : 'unnamed source';
  return { tenantId, credentialId, cause: `RevalidationRequested from ${source}` };
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}
