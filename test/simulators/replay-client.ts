// Sends a recorded request (from a capture file) to a simulator with raw node:http, so the method, path,
// header names and body go out as recorded (no fetch defaults such as Accept-Encoding are added).
import { request as httpRequest } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { CapturedRequest } from './http-capture.ts';

export interface ReplayResponse {
  status: number;
  reason: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Gunzipped when Content-Encoding is gzip. */
  text: string;
  ms: number;
}

/** Header lines that belong to the recording's connection, not to the request itself. */
const CONNECTION_HEADERS = new Set(['host', 'content-length', 'connection']);

/** Replaces placeholders such as `<KEY>` or `<PASSWORD:ADMIN>` in a string. */
export function substitute(text: string, secrets: Record<string, string>): string {
  return text.replace(/<[A-Z][A-Z-]*(?::[A-Z-]+)?>/g, (m) => secrets[m] ?? m);
}

/** Replays `req` against `baseUrl` after substituting secrets in the path, header values and body. */
export function replay(
  baseUrl: string,
  req: CapturedRequest,
  secrets: Record<string, string>,
): Promise<ReplayResponse> {
  const url = new URL(baseUrl);
  const headers: Array<[string, string]> = [['Host', url.host]];
  const recorded: Array<[string, string]> = req.rawHeaders
    .filter(([name]) => !CONNECTION_HEADERS.has(name.toLowerCase()))
    .map(([name, value]) => [name, substitute(value, secrets)]);
  headers.push(...recorded);
  const body = Buffer.from(substitute(req.body, secrets), 'utf8');
  if (body.length > 0 || req.headers['content-length'] !== undefined) {
    headers.push(['Content-Length', String(body.length)]);
  }
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: req.method,
        path: substitute(req.path, secrets),
        headers: headers.flat(),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const buf = Buffer.concat(chunks);
          const flat: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          const gz = (flat['content-encoding'] ?? '').includes('gzip') && buf.length > 0;
          resolve({
            status: res.statusCode ?? 0,
            reason: res.statusMessage ?? '',
            headers: flat,
            body: buf,
            text: gz ? gunzipSync(buf).toString('utf8') : buf.toString('utf8'),
            ms: performance.now() - started,
          });
        });
        res.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
