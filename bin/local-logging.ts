import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Environment } from '../shared/app/environment.ts';

/**
 * Keeps the local server's output for people: the CloudWatch EMF metric lines (three in four of all lines)
 * and the AWS SDK's Node-version notice only at LOG_LEVEL=DEBUG. Both are switched off through the
 * environment variables their libraries read, because every metric object Powertools creates (including
 * each `singleMetric()`) reads them anew; a variable already set by the operator is left as it is.
 * Only the local server calls this: on Lambda the EMF lines are how metrics reach CloudWatch.
 */
export function quietLocalDiagnostics(env: Pick<Environment, 'LOG_LEVEL'>): void {
  if (env.LOG_LEVEL === 'DEBUG') return;
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** The access log's default: stdout, where the JSON logs go too, when LOG_LEVEL lets INFO lines through. */
export function defaultAccessLog(env: Pick<Environment, 'LOG_LEVEL'>): ((line: string) => void) | null {
  return env.LOG_LEVEL === 'DEBUG' || env.LOG_LEVEL === 'INFO'
    ? (line) => {
        process.stdout.write(line);
      }
    : null;
}

const MAX_PATH_CHARS = 200;

/** What one access log line says about a request. */
export interface AccessEntry {
  at: Date;
  method: string;
  /** The path only: the query string is left out, since it may carry what should not be logged. */
  path: string;
  status: number;
  ms: number;
  correlationId: string | null;
  /** The client went away before the answer was sent. */
  aborted: boolean;
}

/**
 * One line a person can read, e.g.
 * `2026-11-23T10:00:00.000Z POST /credentials 201 41 ms correlation-id=5b1e...`.
 * Never a body, a header (so never a token) or a query string.
 */
export function formatAccessLine(entry: AccessEntry): string {
  // URL parsing has percent-encoded spaces and control characters already; the cap keeps lines short.
  const path = entry.path.length > MAX_PATH_CHARS ? `${entry.path.slice(0, MAX_PATH_CHARS)}...` : entry.path;
  const ms = entry.ms < 10 ? entry.ms.toFixed(1) : String(Math.round(entry.ms));
  return [
    entry.at.toISOString(),
    entry.method,
    path,
    String(entry.status),
    `${ms} ms`,
    `correlation-id=${entry.correlationId ?? '-'}`,
    ...(entry.aborted ? ['(client went away)'] : []),
  ].join(' ');
}

/** What the server learns about a request while answering it, for its access line. */
export interface AccessNotes {
  /** The parsed path, without the query string ('-' until the URL is parsed). */
  path: string;
  correlationId: string | null;
}

/**
 * Writes one access line per request once its answer is sent (or the client is gone), from the notes the
 * server filled in meanwhile.
 */
export function logAccess(
  req: IncomingMessage,
  res: ServerResponse,
  write: (line: string) => void,
): AccessNotes {
  const started = performance.now();
  const at = new Date();
  const notes: AccessNotes = { path: '-', correlationId: null };
  res.once('close', () => {
    write(
      `${formatAccessLine({
        at,
        method: req.method ?? '-',
        path: notes.path,
        status: res.statusCode,
        ms: performance.now() - started,
        correlationId: notes.correlationId,
        aborted: !res.writableFinished,
      })}\n`,
    );
  });
  return notes;
}
