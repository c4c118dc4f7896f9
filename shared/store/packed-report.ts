import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Report } from '../domain/report.ts';

/**
 * Reports as the table stores them: JSON compressed with raw deflate and a preset dictionary of what reports have
 * in common (field names, verdicts, reasons, warning texts, probe names). DynamoDB bills a write by the whole
 * item's size in 1 kB steps, and the last report is most of a credential item: packed, a report of ~1-2 kB takes
 * ~200-300 bytes, so a credential item and a history entry each fit one write unit (README "Scale").
 *
 * The first byte names the format. Format 1's dictionary is fixed forever: items written with it must stay
 * readable, so a better dictionary is a new format byte beside this one, never an edit (a test pins its digest).
 */
const FORMAT_V1 = 1;

/** Reports are a few kB; anything inflating past this is not one of ours. */
const MAX_REPORT_BYTES = 1024 * 1024;

// What reports share, with neutral values: the fields of a valid report in their order, each connector's vendor
// facts and probe shapes, and the longest recurring texts. Deflate finds matches near the end of a dictionary
// cheapest, so the most common shape (a valid check) comes last. Kept to ~1.5 kB: every function that reads
// credentials carries it (the read routes' bundle budget is 450 kB).
const DICTIONARY_V1 = Buffer.from(
  [
    '"vendor":{"product":"dolibarr","version":"20.0.2","accessLocked":false}"code":"identity_partial","me',
    'ssage":"The key is valid but its user may not read its own profile, so identity and rights are parti',
    'al (grant \\"Read/modify own user\\" to show them)."{"name":"users/info","method":"GET","url":"https:/',
    '/erp.example.org/api/index.php/users/info?includepermissions=1","status":403,"outcome":"denied"}"ven',
    'dor":{"product":"precoro","apiHost":"api.precoro.com","region":null}"url":"https://erp.example.org/j',
    'son/2/res.users/context_get","description":"check_access_rights ir.config_parameter write"{"verdict"',
    ':"valid","reason":null,"message":"The credential works on ","field":null,"retryable":false,"retryAft',
    'erSeconds":null,"identity":{"userId":2,"login":"admin@example.org","name":"Jane Doe","email":"admin@',
    'example.org","admin":false,"company":"My Company"},"vendor":{"product":"odoo","version":"18.0","seri',
    'e":"18.0","major":18,"edition":"community","transport":"json2","portalUser":false},"permissions":[{"',
    'resource":"res.partner","read":true,"write":false}],"warnings":[{"code":"insecure_http","message":"T',
    'he credential travelled over plain http: use https so it cannot be read on the way."}],"probes":[{"n',
    'ame":"json2 res.partner read","method":"POST","url":"https://erp.example.org/json/2/res.partner/chec',
    'k_access_rights","description":"check_access_rights res.partner read","status":200,"ms":6,"outcome":',
    '"ok"}],"checkedAt":"2026-01-01T00:00:00.000Z","durationMs":12}',
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
