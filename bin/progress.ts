import type { Writable } from 'node:stream';
import type { PreparedCheck } from '../shared/connectors/check.ts';
import type { GuardedClient } from '../shared/net/types.ts';

/** A terminal stream: stderr when it is attached to one. */
export type TerminalStream = Writable & { isTTY?: boolean; columns?: number };

export interface ProgressOptions {
  /** Nothing is drawn before this, so quick checks never flash a line (default 250 ms). */
  delayMs?: number;
  /** Redraw period (default 100 ms). */
  intervalMs?: number;
  now?: () => number;
}

/** A running progress line; `stop()` clears it and leaves the cursor where the line began. */
export interface Progress {
  stop(): void;
}

const CLEAR_LINE = '\r\u001b[2K';

/**
 * Shows `describe()` and the seconds elapsed on one self-rewriting line of `stream`, only when the stream is a
 * terminal: piped or redirected output never receives control characters.
 */
export function startProgress(
  stream: TerminalStream,
  describe: () => string,
  options: ProgressOptions = {},
): Progress {
  if (!stream.isTTY) return { stop: () => undefined };
  const now = options.now ?? Date.now;
  const started = now();
  let drawn = false;
  const draw = () => {
    const seconds = ((now() - started) / 1000).toFixed(1);
    let line = `${describe()} ${seconds} s`;
    // A line wider than the terminal wraps, and \r then clears only its last row.
    const width = (stream.columns ?? 80) - 1;
    if (line.length > width) line = `${line.slice(0, Math.max(0, width - 1))}…`;
    stream.write(`${CLEAR_LINE}${line}`);
    drawn = true;
  };
  let interval: NodeJS.Timeout | undefined;
  const delay = setTimeout(() => {
    draw();
    interval = setInterval(draw, options.intervalMs ?? 100);
    interval.unref();
  }, options.delayMs ?? 250);
  delay.unref();
  return {
    stop() {
      clearTimeout(delay);
      clearInterval(interval);
      if (drawn) stream.write(CLEAR_LINE);
      drawn = false;
    },
  };
}

/** Where a URL points, for display: scheme, host and path only (never user info or a query). */
export function displayUrl(url: string): string | null {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return null;
  }
}

/** The same client, telling `onRequest` where each call goes before it is sent. */
export function watchRequests(client: GuardedClient, onRequest: (url: string) => void): GuardedClient {
  return {
    request: (request) => {
      onRequest(request.url);
      return client.request(request);
    },
    close: () => client.close(),
  };
}

/** The first non-secret URL field of a check (the vendor's address as typed), for display. */
export function firstUrlField(check: Pick<PreparedCheck, 'connector' | 'fields'>): string | null {
  const spec = check.connector.fields.find((f) => f.format === 'url' && !f.secret && check.fields[f.key]);
  return spec ? displayUrl(check.fields[spec.key] as string) : null;
}
