/** Errors the use cases raise on purpose; the HTTP layer maps each `code` to a status. Match on `code`. */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ServiceError';
  }
}

export class NotFoundError extends ServiceError {
  constructor(message = 'No such credential.') {
    super('not_found', message);
  }
}

export class ConflictError extends ServiceError {
  constructor(message: string) {
    super('conflict', message);
  }
}

/** The stored version is not the one the caller based its change on (If-Match, or a concurrent writer). */
export class VersionConflictError extends ServiceError {
  constructor(message = 'The credential was changed by someone else; fetch it again and retry.') {
    super('version_conflict', message);
  }
}

export class SecretNotFoundError extends ServiceError {
  constructor(message = 'The stored secret is missing.') {
    super('secret_not_found', message);
  }
}

/**
 * A stored secret that does not decrypt as what it claims to be: altered, or copied from another credential (its
 * encryption is bound to its own name and version). It fails closed; retrying cannot help, an operator must
 * restore or replace the secret.
 */
export class SecretUnreadableError extends ServiceError {
  constructor(
    message = 'The stored secret of this credential failed its integrity check and cannot be used; nothing was changed. An operator must restore or replace it.',
  ) {
    super('secret_unreadable', message);
  }
}

/** A storage call failed (network, throttling, permissions): retryable, never the caller's fault. */
export class StorageError extends ServiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('storage_unavailable', message, options);
  }
}

/** One problem with the request input, named by field. */
export interface InputIssue {
  field: string | null;
  message: string;
}

/** The request cannot be acted on as sent (400). */
export class InputError extends ServiceError {
  constructor(
    readonly issues: InputIssue[],
    message = issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; '),
  ) {
    super('invalid_input', message);
  }
}

/** If-Match named another version than the stored one (412). */
export class PreconditionFailedError extends ServiceError {
  constructor(
    message = 'The credential has changed since you read it (If-Match does not match its version).',
  ) {
    super('precondition_failed', message);
  }
}

/** A paging cursor that this listing did not issue: tampered with, garbage, or from another tenant or query. */
export class InvalidCursorError extends ServiceError {
  constructor(message = 'The cursor is not valid for this listing.') {
    super('invalid_cursor', message);
  }
}

/** A secret named by ARN could not be read; the message is safe to show in a stack's events. */
export class SecretReadError extends Error {
  override readonly name = 'SecretReadError';
}
