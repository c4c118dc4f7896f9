import { describe, expect, it } from 'vitest';
import {
  classifyDolibarrResourceRead,
  classifyDolibarrStatus,
  hasRight,
  parseDolibarrUser,
} from '../../shared/connectors/dolibarr/classify.ts';
import { type Answer, capturedAnswer, captureNames, loadCapture } from '../helpers/captured-answer.ts';

/** What each recorded exchange must classify to, by the classifier credval applies to that call. */
type Expectation =
  | { status: 'valid' | `invalid:${string}` | `inconclusive:${string}` }
  | { user: 'admin' | 'none' }
  | { read: boolean | null }
  | { notACredvalCall: string };

const EXPECTED: Record<string, Expectation> = {
  'status-valid-key': { status: 'valid' },
  'status-valid-key-norights-user': { status: 'valid' },
  'status-lowercase-header-name': { status: 'valid' },
  'status-query-api_key': { status: 'valid' },
  'status-query-DOLAPIKEY': { status: 'valid' },
  'status-valid-key-accept-encoding-gzip': { status: 'valid' },
  'api-module-reenabled-status-valid-key': { status: 'valid' },
  // php -S falls back to api/index.php, so /api/status answers like the real route (capture README).
  'path-missing-index-php': { status: 'valid' },
  'status-wrong-key': { status: 'invalid:invalid_credentials' },
  'status-disabled-user-key': { status: 'invalid:invalid_credentials' },
  'status-key-surrounded-by-spaces': { status: 'invalid:invalid_credentials' },
  'status-wrong-key-accept-encoding-gzip': { status: 'invalid:invalid_credentials' },
  'status-key-with-dolcrypt-prefix': { status: 'invalid:invalid_input' },
  // Our DOLAPIKEY header did not arrive: a proxy problem, not a verdict on the key.
  'status-no-key': { status: 'inconclusive:vendor_error' },
  'status-empty-key-header': { status: 'inconclusive:vendor_error' },
  'status-bearer-header': { status: 'inconclusive:vendor_error' },
  'api-module-disabled-status-valid-key': { status: 'invalid:api_disabled' },
  'api-module-disabled-status-wrong-key': { status: 'invalid:api_disabled' },
  'api-module-disabled-status-no-key': { status: 'invalid:api_disabled' },
  'api-module-disabled-users-info-valid-key': { status: 'invalid:api_disabled' },
  'api-module-disabled-nonexistent-endpoint': { status: 'invalid:api_disabled' },
  'status-valid-key-accept-xml': { status: 'invalid:not_the_vendor' },
  'path-api-index-nonexistent-endpoint': { status: 'invalid:not_the_vendor' },
  'path-api-index-nonexistent-endpoint-no-key': { status: 'invalid:not_the_vendor' },
  'path-status-extra-segment': { status: 'invalid:not_the_vendor' },
  'path-api-index-no-endpoint': { status: 'invalid:not_the_vendor' },
  'path-api-index-slash': { status: 'invalid:not_the_vendor' },
  'path-missing-api-index-php': { status: 'invalid:not_the_vendor' },
  'path-root-no-key': { status: 'invalid:not_the_vendor' },
  'path-explorer-no-key': { status: 'invalid:not_the_vendor' },
  'users-info-admin': { user: 'admin' },
  'users-info-includepermissions-admin': { user: 'admin' },
  'users-info-norights': { user: 'none' },
  'users-info-readonly': { user: 'none' },
  'users-info-includepermissions-norights': { user: 'none' },
  'users-info-includepermissions-readonly': { user: 'none' },
  'users-info-disabled-user': { user: 'none' },
  'users-info-wrong-key': { user: 'none' },
  'users-info-no-key': { user: 'none' },
  'thirdparties-limit1-admin': { read: true },
  'thirdparties-limit1-readonly': { read: true },
  'thirdparties-suppliers-limit1-readonly': { read: true },
  // An empty page is a 404 "Thirdparties not found": the user may read, there is just nothing there.
  'thirdparties-empty-page-readonly': { read: true },
  'thirdparties-limit1-norights': { read: false },
  'thirdparties-suppliers-limit1-norights': { read: false },
  'thirdparties-limit1-disabled-user': { read: false },
  'setup-company-admin': { read: true },
  'setup-company-norights': { read: false },
  'setup-company-readonly': { read: false },
  'setup-modules-admin': { read: true },
  'setup-modules-readonly': { read: false },
  'users-list-readonly': { read: false },
  'status-head-valid-key': { notACredvalCall: 'credval sends GET, never HEAD' },
  'status-options-preflight': { notACredvalCall: 'a browser CORS preflight' },
  'login-readonly-valid-password': { notACredvalCall: 'credval takes API keys, never calls /login' },
  'login-readonly-wrong-password': { notACredvalCall: 'credval takes API keys, never calls /login' },
};

function statusVerdict(answer: Answer): string {
  const result = classifyDolibarrStatus(answer, Date.now());
  return 'verdict' in result ? `${result.verdict}:${result.reason}` : 'valid';
}

describe('Dolibarr classification of every recorded exchange', () => {
  it('has an expectation for every capture file', () => {
    expect(captureNames('dolibarr').filter((name) => !(name in EXPECTED))).toEqual([]);
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    if ('notACredvalCall' in expected) continue;
    it(`classifies ${name}`, () => {
      const answer = capturedAnswer(loadCapture('dolibarr', name));
      if ('status' in expected) expect(statusVerdict(answer)).toBe(expected.status);
      if ('user' in expected) {
        const user = parseDolibarrUser(answer);
        if (expected.user === 'none') expect(user).toBeNull();
        else expect(user).toMatchObject({ login: 'admin', admin: true });
      }
      if ('read' in expected) expect(classifyDolibarrResourceRead(answer)).toBe(expected.read);
    });
  }

  it('reads the version and lock from /status', () => {
    const result = classifyDolibarrStatus(capturedAnswer(loadCapture('dolibarr', 'status-valid-key')), 0);
    expect(result).toEqual({ version: '20.0.2', accessLocked: false, environment: null });
  });

  it('reads rights from the includepermissions tree and never keeps the password hash', () => {
    const user = parseDolibarrUser(
      capturedAnswer(loadCapture('dolibarr', 'users-info-includepermissions-admin')),
    );
    expect(user?.rights).not.toBeNull();
    expect(hasRight(user?.rights ?? {}, 'fournisseur.commande.creer')).toBe(true);
    expect(hasRight(user?.rights ?? {}, 'produit.lire')).toBe(false);
    expect(JSON.stringify(user)).not.toContain('pass_crypted');
  });

  it('never copies the vendor text or debug block into the message', () => {
    const result = classifyDolibarrStatus(capturedAnswer(loadCapture('dolibarr', 'status-wrong-key')), 0);
    expect(JSON.stringify(result)).not.toMatch(/conf->entity|api_access\.class\.php/);
  });
});
