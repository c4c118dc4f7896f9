import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));

/** Paths of the committed test-only TLS fixtures (regenerate with test/fixtures/tls/make-certs.sh). */
export const tlsFixturePaths = {
  caCert: `${dir}ca-cert.pem`,
  leafCert: `${dir}leaf-cert.pem`,
  leafKey: `${dir}leaf-key.pem`,
  expiredCert: `${dir}expired-cert.pem`,
  expiredKey: `${dir}expired-key.pem`,
  selfSignedCert: `${dir}self-signed-cert.pem`,
  selfSignedKey: `${dir}self-signed-key.pem`,
} as const;

/** Reads one of the TLS fixtures as PEM text. */
export function readTlsFixture(name: keyof typeof tlsFixturePaths): string {
  return readFileSync(tlsFixturePaths[name], 'utf8');
}
