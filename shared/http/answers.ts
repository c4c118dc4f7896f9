import { type CheckRecord, type Credential, toView } from '../domain/credential.ts';
import { HttpError } from './problem.ts';
import { json } from './route.ts';

/** `ETag` of a credential: its version, as a strong tag. */
export function etagOf(credential: Credential): string {
  return `"${credential.version}"`;
}

/** Reads `If-Match: "3"` (or W/"3", or 3); undefined when absent, 412 when not a version. */
export function ifMatchVersion(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,12})"?\s*$/.exec(header);
  if (!match)
    throw new HttpError(412, 'precondition_failed', 'If-Match must be the ETag of the credential, e.g. "3".');
  return Number(match[1]);
}

/** A credential as the API answers it: the view, with its ETag. */
export function credentialResult(status: number, credential: Credential, extra: Record<string, string> = {}) {
  return json(status, toView(credential), { etag: etagOf(credential), ...extra });
}

/** A history entry as the API answers it: without the keys the path already names. */
export function checkView(record: CheckRecord) {
  const { tenantId: _tenant, credentialId: _id, ...view } = record;
  return view;
}
