import { failed } from '../connectors/findings.ts';
import { findConnector } from '../connectors/registry.ts';
import type { Credential } from '../domain/credential.ts';
import { SecretReadError } from '../domain/errors.ts';
import type { Report } from '../domain/report.ts';
import type { Clock, SecretReader, SecretValue } from '../store/ports.ts';

// Secrets credval does not keep, read by ARN: the deploy-time check of a `CredentialCheck` resource
// (./credential-check-resource.ts) and the re-checks of the credentials such a resource registered
// (./register-credential.ts). credval only reads them; nothing here writes, logs or returns a value.

/**
 * The secret fields from a secret's text: a JSON object by field name, or, for a connector with exactly one secret
 * field, the bare value. Throws SecretReadError naming what is missing, never a value.
 */
export function secretFieldsOf(text: string, keys: readonly string[], arn: string): SecretValue {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    if (keys.length === 1 && keys[0] && text.trim() !== '') return { [keys[0]]: text.trim() };
    throw new SecretReadError(
      `credval: the secret ${arn} must hold a JSON object with ${keys.map((k) => `"${k}"`).join(', ')}.`,
    );
  }
  const object = parsed as Record<string, unknown>;
  const fields: SecretValue = {};
  for (const key of keys) {
    const value = object[key];
    if (typeof value === 'string' && value !== '') fields[key] = value;
  }
  if (Object.keys(fields).length === 0) {
    throw new SecretReadError(
      `credval: the secret ${arn} has none of the secret fields ${keys.map((k) => `"${k}"`).join(', ')} (a JSON object by field name).`,
    );
  }
  return fields;
}

/** The names of a connector's secret fields (none for a connector credval does not know). */
export function secretKeysOf(connectorId: string): string[] {
  return (findConnector(connectorId)?.fields ?? []).filter((field) => field.secret).map((field) => field.key);
}

/** What reading a registered credential's secret gave: its secret fields, or why there are none. */
export type ExternalSecret = { ok: true; fields: SecretValue } | { ok: false; report: Report };

/**
 * Reads a registered credential's secret (`secretArn`) through `reader` and turns it into the connector's secret
 * fields. When it cannot be read (gone, access denied, not the expected shape, or no reader in this deployment),
 * the answer is the report of a check that could not reach the vendor: `inconclusive` / `secret_unavailable` with
 * the error's message, to be stored like any other check's. Other failures (none that the reader expects) throw.
 */
export async function readExternalSecret(
  reader: SecretReader | undefined,
  credential: Pick<Credential, 'connector' | 'secretArn'>,
  clock: Clock,
): Promise<ExternalSecret> {
  const arn = credential.secretArn ?? '';
  const started = clock.now();
  try {
    if (!reader) {
      throw new SecretReadError(
        `credval: this server reads no secret kept by its owner, so it cannot check the secret ${arn} (registered credentials are checked by a deployment on AWS).`,
      );
    }
    const secret = await reader(arn);
    return { ok: true, fields: secretFieldsOf(secret.value, secretKeysOf(credential.connector), arn) };
  } catch (error) {
    if (!(error instanceof SecretReadError)) throw error;
    return { ok: false, report: secretUnavailableReport(error.message, started, clock.now()) };
  }
}

/** The report of a check that stopped before the vendor because the secret could not be read. */
export function secretUnavailableReport(message: string, started: Date, finished: Date): Report {
  // The connectors' own shape of a failed check: the verdict follows from the reason (not definite: inconclusive).
  return {
    ...failed('secret_unavailable', message),
    probes: [],
    checkedAt: started.toISOString(),
    durationMs: Math.max(0, finished.getTime() - started.getTime()),
  };
}
