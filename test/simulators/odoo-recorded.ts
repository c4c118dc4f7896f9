// Texts the Odoo simulator replays verbatim from the recorded exchanges (test/fixtures/vendor-captures/odoo-*):
// Python tracebacks, JSON error objects and HTML pages. Loaded lazily, once per series.
import { loadCapture, recordedFault, type VendorCaptureDir } from './http-capture.ts';

type JsonObject = Record<string, unknown>;

export interface OdooRecorded {
  dir: VendorCaptureDir;
  /** faultString of a recorded `/xmlrpc/2` fault. */
  xmlFault(name: string): string;
  /** The whole recorded fault (legacy `/xmlrpc` string codes included). */
  fault(name: string): { faultCode: number | string; faultString: string };
  /** `error.data.debug` of a recorded JSON-RPC error. */
  jsonrpcDebug(name: string): string;
  /** `debug` of a recorded JSON-2 error body. */
  json2Debug(name: string): string;
  /** Raw response body text. */
  body(name: string): string;
}

const cache = new Map<VendorCaptureDir, OdooRecorded>();

/** Recorded texts for the 18.0 or 19.0 captures. */
export function odooRecorded(dir: VendorCaptureDir): OdooRecorded {
  let rec = cache.get(dir);
  if (rec) return rec;
  const json = (name: string): JsonObject => JSON.parse(loadCapture(dir, name).response.text) as JsonObject;
  rec = {
    dir,
    xmlFault: (name) => recordedFault(loadCapture(dir, name)).faultString,
    fault: (name) => recordedFault(loadCapture(dir, name)),
    jsonrpcDebug: (name) => {
      const error = json(name).error as { data: { debug: string } };
      return error.data.debug;
    },
    json2Debug: (name) => json(name).debug as string,
    body: (name) => loadCapture(dir, name).response.text,
  };
  cache.set(dir, rec);
  return rec;
}

/**
 * Replaces the exception line(s) at the end of a Python traceback (everything after the last frame) with
 * `tail`, keeping the frames. Used to reuse a recorded traceback for another message of the same origin.
 */
export function replaceTracebackTail(traceback: string, tail: string): string {
  const lines = traceback.replace(/\n+$/, '').split('\n');
  let lastFrame = -1;
  for (const [i, line] of lines.entries()) if (line.startsWith('  File ')) lastFrame = i;
  let end = lastFrame + 1;
  while (end < lines.length && lines[end]?.startsWith('    ')) end++;
  return `${[...lines.slice(0, end), tail].join('\n')}\n`;
}

/** Python's json.dumps layout (", " and ": " separators, ASCII escapes), which Odoo's JSON answers use. */
export function pyJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[\u007f-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
  }
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as JsonObject).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${pyJson(k)}: ${pyJson(v)}`).join(', ')}}`;
  }
  return 'null';
}
