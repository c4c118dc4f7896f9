/**
 * The KMS encryption context key that binds each data key of the envelope secret store to one secret: its value
 * is the secret's name, `<prefix>/<tenant>/<credentialId>`. The store sets it; the stack's IAM conditions and the
 * change feed's deny name it (a data module, so that infra can import it).
 */
export const SECRET_CONTEXT_KEY = 'credval:secret';

/**
 * The KMS encryption context key of the envelope store's branch keys (shared/store/branch-keys.ts): its value is
 * `branchKeyContext(prefix, id)`, so the stack can grant a deployment's functions its own branch keys only.
 */
export const BRANCH_KEY_CONTEXT_KEY = 'credval:branch-key';

/** The encryption context value of branch key `id` of the deployment whose secrets are under `prefix`. */
export function branchKeyContext(prefix: string, id: string): string {
  return `${prefix}/branch-keys/${id}`;
}
