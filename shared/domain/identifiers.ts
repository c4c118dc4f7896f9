// The shapes of the ids every entry point agrees on: the API (the tenant claim, the `{id}` path parameter), the
// event triggers, registrations from CredentialCheck resources, and the construct that makes them (infra may read
// this module: it is data).

/** A tenant id, as the JWT claim must carry it. */
export const TENANT_ID = /^[A-Za-z0-9_.-]{1,64}$/;
/** A credential id: a uuid for those created through the API, `cfn-<hash>` for registered ones. */
export const CREDENTIAL_ID = /^[A-Za-z0-9-]{1,64}$/;
