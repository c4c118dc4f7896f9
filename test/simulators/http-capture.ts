// Reader for the recorded vendor exchanges in test/fixtures/vendor-captures (`*.http` files).
// Format: raw request bytes (request line, headers, blank line, body), a separator of CRLFs, then the raw
// response bytes (status line, headers, blank line, body). Dolibarr files put one CRLF between request and
// response, Odoo files two; response bodies may be gzip (binary). Secrets appear as placeholders such as
// `<KEY>` or `<PASSWORD:ADMIN>`, so Content-Length headers cannot be trusted to cut bodies.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export interface CapturedRequest {
  method: string;
  /** Path plus query, as on the request line. */
  path: string;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Header lines as recorded (original case and order). */
  rawHeaders: Array<[string, string]>;
  body: string;
}

export interface CapturedResponse {
  status: number;
  /** Reason phrase from the status line, e.g. "API not found (failed to include API file)". */
  reason: string;
  headers: Record<string, string>;
  rawHeaders: Array<[string, string]>;
  /** Body bytes as recorded (gzip stays compressed). */
  body: Buffer;
  /** Body as UTF-8 text, gunzipped first when Content-Encoding is gzip. */
  text: string;
}

export interface Capture {
  request: CapturedRequest;
  response: CapturedResponse;
}

export type VendorCaptureDir = 'dolibarr' | 'odoo-18.0' | 'odoo-19.0';

/** Folder holding the copied captures (test/fixtures/vendor-captures). */
export const CAPTURES_DIR = fileURLToPath(new URL('../fixtures/vendor-captures/', import.meta.url));

function parseHeaderLines(lines: string[]): {
  headers: Record<string, string>;
  rawHeaders: Array<[string, string]>;
} {
  const headers: Record<string, string> = {};
  const rawHeaders: Array<[string, string]> = [];
  for (const line of lines) {
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon);
    // Values keep inner and trailing spaces ("DOLAPIKEY:  <KEY> "); only the one space after the colon goes.
    const value = line.slice(colon + 1).replace(/^ /, '');
    rawHeaders.push([name, value]);
    const key = name.toLowerCase();
    headers[key] = key in headers ? `${headers[key]}, ${value}` : value;
  }
  return { headers, rawHeaders };
}

/** Splits one recorded exchange into request and response. */
export function parseCapture(fileText: Buffer): Capture {
  // latin1 keeps a 1:1 mapping between string offsets and bytes, so binary bodies survive slicing.
  const all = fileText.toString('latin1');
  const headEnd = all.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error('capture: no end of request headers');
  const headLines = all.slice(0, headEnd).split('\r\n');
  const requestLine = headLines.shift() ?? '';
  const [method = '', path = ''] = requestLine.split(' ');
  const afterHead = headEnd + 4;

  const statusMatch = /(^|\n)HTTP\/1\.[01] \d{3}/.exec(all.slice(afterHead));
  if (!statusMatch) throw new Error('capture: no response status line');
  const responseStart = afterHead + statusMatch.index + (statusMatch[1] ?? '').length;

  let requestBody = all.slice(afterHead, responseStart);
  for (let i = 0; i < 2 && requestBody.endsWith('\r\n'); i++) requestBody = requestBody.slice(0, -2);

  const respHeadEnd = all.indexOf('\r\n\r\n', responseStart);
  const respHead = respHeadEnd < 0 ? all.slice(responseStart) : all.slice(responseStart, respHeadEnd);
  const respLines = respHead.split('\r\n');
  const statusLine = respLines.shift() ?? '';
  const statusParts = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  const body = respHeadEnd < 0 ? Buffer.alloc(0) : fileText.subarray(respHeadEnd + 4);
  const { headers, rawHeaders } = parseHeaderLines(respLines);
  const encoding = (headers['content-encoding'] ?? '').toLowerCase();
  const text =
    encoding.includes('gzip') && body.length > 0 ? gunzipSync(body).toString('utf8') : body.toString('utf8');
  const request = parseHeaderLines(headLines);

  return {
    request: {
      method,
      path,
      headers: request.headers,
      rawHeaders: request.rawHeaders,
      body: Buffer.from(requestBody, 'latin1').toString('utf8'),
    },
    response: {
      status: Number(statusParts?.[1] ?? 0),
      reason: statusParts?.[2] ?? '',
      headers,
      rawHeaders,
      body,
      text,
    },
  };
}

const cache = new Map<string, Capture>();

/** Loads and parses `test/fixtures/vendor-captures/<vendorDir>/<name>.http` (the `.http` suffix is optional). */
export function loadCapture(vendorDir: VendorCaptureDir, name: string): Capture {
  const file = name.endsWith('.http') ? name : `${name}.http`;
  const key = `${vendorDir}/${file}`;
  let capture = cache.get(key);
  if (!capture) {
    capture = parseCapture(readFileSync(`${CAPTURES_DIR}${key}`));
    cache.set(key, capture);
  }
  return capture;
}

/** Reads the fault of a recorded Python XML-RPC answer without a full XML parser (the text is well-formed). */
export function recordedFault(capture: Capture): { faultCode: number | string; faultString: string } {
  const xml = capture.response.text;
  const member = (name: string): { type: string; value: string } => {
    const m = new RegExp(`<name>${name}</name>\\s*<value><(int|string)>([\\s\\S]*?)</\\1></value>`).exec(xml);
    if (!m) throw new Error(`capture: no ${name} in fault`);
    return { type: m[1] ?? 'string', value: unescapeXml(m[2] ?? '') };
  };
  const code = member('faultCode');
  const faultString = member('faultString').value;
  return { faultCode: code.type === 'int' ? Number(code.value) : code.value, faultString };
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&amp;/g, '&');
}
