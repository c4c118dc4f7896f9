/**
 * The KMS encryption context key that binds each data key of the envelope secret store to one secret: its value
 * is the secret's name, `<prefix>/<tenant>/<credentialId>`. The store sets it; the stack's IAM conditions and the
 * change feed's deny name it (a data module, so that infra can import it).
 */
export const SECRET_CONTEXT_KEY = 'credval:secret';
