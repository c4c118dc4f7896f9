// What a Lambda function touches. This is data, read by two sides: the function's entry builds exactly these
// parts (shared/app/parts.ts), and the stack grants exactly these permissions and sets exactly these variables
// (infra/credval-function.ts `bindUses`). test/infra/function-uses.test.ts checks that each entry's import graph
// builds what its list says, so code cannot use a part its function has no grant for.

/** What a function does with stored secrets; the stack maps each to the secret store's API actions. */
export type SecretUse =
  /** Store the first value of a new credential (and delete it again if the item cannot be written). */
  | 'create'
  /** Read the current value. */
  | 'read'
  /** Write a new current value, keeping the previous one. */
  | 'rotate'
  /** Schedule deletion with a recovery window. */
  | 'delete'
  /** List the secrets under the prefix (reconciliation). */
  | 'list';

export interface Uses {
  /**
   * The credentials table: `read` (GetItem, Query), `write` (also PutItem: whole items), or `lease` (also
   * UpdateItem of the lease attributes only: the sweep).
   */
  table?: 'read' | 'write' | 'lease';
  /** Delete credential items (DeleteItem), whatever `table` says. */
  deletes?: true;
  /** Query the sparse due index (the sweep). */
  dueIndex?: true;
  /** Keep `Idempotency-Key` records (in the credentials table). */
  idempotency?: true;
  secrets?: readonly SecretUse[];
  /** Send to the revalidation queue. */
  queue?: true;
  /** Publish to the event bus. */
  bus?: true;
  /** Call vendors: the connectors and the guarded outbound client. */
  vendors?: true;
  /**
   * Read secrets their owners keep, by ARN (credentials a `CredentialCheck` resource registered): the grants come
   * per secret from each CredentialCheck construct, not from the stack.
   */
  externalSecrets?: true;
}
