import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Report } from '../domain/report.ts';

/**
 * Reports as the table stores them: JSON compressed with raw deflate and a preset dictionary of what reports have
 * in common (field names, verdicts, reasons, warning texts, probe names). DynamoDB bills a write by the whole
 * item's size in 1 kB steps, and the last report is most of a credential item: packed, a report of ~1-2 kB takes
 * ~100-300 bytes, so a credential item and a history entry each fit one write unit (README "Scale").
 *
 * The first byte names the format. Format 1's dictionary is fixed forever: items written with it must stay
 * readable, so a better dictionary is a new format byte beside this one, never an edit (a test pins its digest).
 */
const FORMAT_V1 = 1;

/** Reports are a few kB; anything inflating past this is not one of ours. */
const MAX_REPORT_BYTES = 1024 * 1024;

// Three typical reports with neutral values, one per connector; deflate finds the longest matches near the end of
// a dictionary cheapest, so the most common shape (a valid check) comes last.
const DICTIONARY_V1 = Buffer.from(
  [
    '"reason":"invalid_credentials","insufficient_permissions","database_not_found","api_disabled","plan_not_allowed",',
    '"ip_not_allowed","not_the_vendor","blocked_destination","tls_error","timeout","endpoint_unreachable","rate_limited",',
    '"vendor_error","invalid_input","secret_unavailable","verdict":"inconclusive","retryable":true,"retryAfterSeconds":60,',
    '"message":"The API key works on Dolibarr 20.0.2.",',
    '"code":"admin_credential","portal_user","xmlrpc_deprecated","instance_locked","key_expiring","url_normalized",',
    '"no_read_access","outcome":"rejected","not_found","unexpected","failed","blocked","cached",',
    '{"verdict":"invalid","reason":"invalid_credentials","message":"The vendor refused the credential.","field":"apiKey",',
    '"retryable":false,"retryAfterSeconds":null,"identity":null,"vendor":{"product":"dolibarr","version":"20.0.2",',
    '"accessLocked":false},"permissions":[{"resource":"thirdparties","read":true,"write":null}],"warnings":[{"code":',
    '"identity_partial","message":"The key is valid but its user may not read its own profile, so identity and rights',
    ' are partial (grant \\"Read/modify own user\\" to show them)."}],"probes":[{"name":"status","method":"GET","url":',
    '"https://erp.example.org/api/index.php/status","status":200,"ms":15,"outcome":"ok"},{"name":"users/info","method":',
    '"GET","url":"https://erp.example.org/api/index.php/users/info?includepermissions=1","status":403,"ms":3,"outcome":',
    '"denied"},{"name":"thirdparties read","method":"GET","url":"https://erp.example.org/api/index.php/thirdparties?',
    'limit=1","status":200,"ms":4,"outcome":"ok"}],"checkedAt":"2026-01-01T00:00:00.000Z","durationMs":21}',
    '{"verdict":"valid","reason":null,"message":"The token works on Precoro (api.precoro.com) for buyer@example.org.",',
    '"field":null,"retryable":false,"retryAfterSeconds":null,"identity":{"userId":1,"login":"buyer@example.org","name":',
    '"Jane Doe","email":"buyer@example.org","admin":null,"company":null},"vendor":{"product":"precoro","apiHost":',
    '"api.precoro.com","region":null},"permissions":[{"resource":"users","read":true,"write":null}],"warnings":[],',
    '"probes":[{"name":"users","method":"GET","url":"https://api.precoro.com/users?per_page=10","status":200,"ms":3,',
    '"outcome":"ok"}],"checkedAt":"2026-01-01T00:00:00.000Z","durationMs":4}',
    '{"verdict":"valid","reason":null,"message":"The credential works on Odoo 18.0 (database erp) as admin.","field":',
    'null,"retryable":false,',
    '"retryAfterSeconds":null,"identity":{"userId":"1","login":"admin","name":"Jane Doe","email":"admin@example.org",',
    '"admin":false,"company":"My Company"},"vendor":{"product":"odoo","version":"18.0","serie":"18.0","major":18,',
    '"edition":"community","transport":"xmlrpc","portalUser":false},"permissions":[{"resource":"res.partner","read":',
    'true,"write":false}],"warnings":[{"code":"insecure_http","message":"The credential travelled over plain http: use',
    ' https so it cannot be read on the way."}],"probes":[{"name":"version_info","method":"POST","url":',
    '"https://erp.example.org/web/webclient/version_info","status":200,"ms":3,"outcome":"ok"},{"name":',
    '"json2 context_get","method":"POST","url":"https://erp.example.org/json/2/res.users/context_get","status":200,',
    '"ms":2,"outcome":"ok"},{"name":"json2 read own user","method":"POST","url":',
    '"https://erp.example.org/json/2/res.users/read","description":"read res.users 2","status":200,"ms":6,"outcome":',
    '"ok"},{"name":"json2 ir.config_parameter write","method":"POST","url":',
    '"https://erp.example.org/json/2/ir.config_parameter/check_access_rights","description":',
    '"check_access_rights ir.config_parameter write","status":200,"ms":3,"outcome":"ok"},{"name":',
    '"json2 res.partner read","method":"POST","url":"https://erp.example.org/json/2/res.partner/check_access_rights",',
    '"description":"check_access_rights res.partner read","status":200,"ms":4,"outcome":"ok"}],',
    '"checkedAt":"2026-01-01T00:00:00.000Z","durationMs":12}',
  ].join(''),
  'utf8',
);

/** The report packed for storage. */
export function packReport(report: Report): Uint8Array {
  const packed = deflateRawSync(JSON.stringify(report), { level: 9, dictionary: DICTIONARY_V1 });
  const out = new Uint8Array(packed.length + 1);
  out[0] = FORMAT_V1;
  out.set(packed, 1);
  return out;
}

/**
 * The report a stored value holds, as parsed JSON for the caller's schema to check: a packed report (bytes, or
 * base64 as a Lambda stream event carries binary attributes), or a report stored before packing (a map), as is.
 */
export function unpackReport(stored: unknown): unknown {
  const bytes =
    stored instanceof Uint8Array
      ? stored
      : typeof stored === 'string'
        ? Buffer.from(stored, 'base64')
        : undefined;
  if (!bytes) return stored;
  if (bytes[0] !== FORMAT_V1) throw new Error(`unknown packed report format ${bytes[0]}`);
  const json = inflateRawSync(bytes.subarray(1), {
    dictionary: DICTIONARY_V1,
    maxOutputLength: MAX_REPORT_BYTES,
  });
  return JSON.parse(json.toString('utf8'));
}

/** The dictionary's bytes, for the test that pins them. */
export const packedReportDictionaryForTests = DICTIONARY_V1;
