import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { appendFile, chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StorageError } from '../domain/errors.ts';
import { type CredentialEvent, EVENT_SOURCE } from '../domain/events.ts';
import { validateCredentialEvents } from './eventbridge-publisher.ts';
import type { EventPublisher } from './ports.ts';

/** One line of the event log, and the body of one webhook delivery. */
export interface LoggedEvent {
  /** A UUID, unique per event: webhook consumers deduplicate on it (a delivery may be retried). */
  id: string;
  /** ISO 8601, when credval published it. */
  time: string;
  source: typeof EVENT_SOURCE;
  detailType: CredentialEvent['detailType'];
  detail: CredentialEvent['detail'];
}

export interface LocalEventLogOptions {
  /** The NDJSON file, normally `DATA_DIR/events.ndjson`; created (and its directories) on first publish. */
  file: string;
  /** Where to POST each event (LOCAL_WEBHOOK_URL); http or https. */
  webhookUrl?: string;
  /** HMAC-SHA256 key for `x-credval-signature` (LOCAL_WEBHOOK_SECRET); required with webhookUrl. */
  webhookSecret?: string;
  fetchImpl?: typeof fetch;
  /** Retries after the first attempt of a delivery (default 3). */
  retries?: number;
  /** First back-off; it doubles on each retry (default 200 ms). */
  backoffMs?: number;
  /** Per attempt (default 5000 ms). */
  timeoutMs?: number;
  /** Deliveries waiting at most (default 1000); beyond that new ones are dropped and reported as failed. */
  maxPending?: number;
  /** Told when an event could not be delivered after every attempt (0 attempts: dropped, queue full). */
  onDeliveryFailure?: (eventId: string, attempts: number) => void;
  /** The time, injectable for tests. */
  now?: () => Date;
}

export const SIGNATURE_HEADER = 'x-credval-signature';
export const EVENT_HEADER = 'x-credval-event';
export const TIMESTAMP_HEADER = 'x-credval-timestamp';

/** `sha256=<hex HMAC-SHA256 of body with secret>`, the value of `x-credval-signature`. */
export function signWebhookBody(body: string | Uint8Array, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * Checks an `x-credval-signature` header against the exact request body, in constant time. Consumers must verify
 * the raw bytes they received, before parsing the JSON. False for a missing or malformed header.
 */
export function verifyWebhookSignature(
  body: string | Uint8Array,
  header: string | null | undefined,
  secret: string,
): boolean {
  if (typeof header !== 'string' || typeof secret !== 'string' || secret.length === 0) return false;
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match?.[1]) return false;
  const received = Buffer.from(match[1], 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  return received.length === expected.length && timingSafeEqual(received, expected);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code;
  }
  return 'unknown error';
}

/**
 * EventPublisher for local mode (README "Revalidation and events"): every event becomes one JSON line
 * `{ id, time, source, detailType, detail }` appended to an NDJSON file (mode 0600), which is the record. With a
 * webhook configured, each event is then POSTed as that same JSON, signed with HMAC-SHA256
 * (`x-credval-signature: sha256=<hex>`), with `x-credval-event: <detailType>` and `x-credval-timestamp` (Unix
 * seconds of the event's time). Deliveries run in the background, one at a time in publish order, so a slow or
 * failing webhook never slows or fails `publish`: non-2xx answers, redirects and network errors are retried with
 * exponential back-off, then given up on and reported to `onDeliveryFailure`. `flush()` waits for deliveries.
 */
export class LocalEventLog implements EventPublisher {
  private readonly file: string;
  private readonly webhook: { url: string; secret: string } | null;
  private readonly fetchImpl: typeof fetch;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;
  private readonly maxPending: number;
  private readonly onDeliveryFailure: ((eventId: string, attempts: number) => void) | undefined;
  private readonly now: () => Date;
  /** Serialises file appends so lines of concurrent publishes never interleave. */
  private writes: Promise<void> = Promise.resolve();
  private prepared = false;
  /** The delivery chain: each delivery starts after the previous one ended. */
  private deliveries: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(options: LocalEventLogOptions) {
    if (typeof options.file !== 'string' || options.file.length === 0) {
      throw new Error('LocalEventLog needs the path of its event file.');
    }
    this.file = options.file;
    if (options.webhookUrl !== undefined && options.webhookUrl !== '') {
      if (!options.webhookSecret) {
        throw new Error(
          'A webhook URL needs a webhook secret (LOCAL_WEBHOOK_SECRET) to sign the events it receives.',
        );
      }
      let url: URL;
      try {
        url = new URL(options.webhookUrl);
      } catch {
        throw new Error('The webhook URL (LOCAL_WEBHOOK_URL) is not a valid URL.');
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new Error('The webhook URL (LOCAL_WEBHOOK_URL) must be http or https.');
      }
      this.webhook = { url: url.href, secret: options.webhookSecret };
    } else {
      this.webhook = null;
    }
    this.fetchImpl = options.fetchImpl ?? globalThis.fetch;
    this.retries = nonNegativeInteger(options.retries ?? 3, 'retries');
    this.backoffMs = nonNegativeInteger(options.backoffMs ?? 200, 'backoffMs');
    this.timeoutMs = Math.max(1, nonNegativeInteger(options.timeoutMs ?? 5000, 'timeoutMs'));
    this.maxPending = nonNegativeInteger(options.maxPending ?? 1000, 'maxPending');
    this.onDeliveryFailure = options.onDeliveryFailure;
    this.now = options.now ?? (() => new Date());
  }

  async publish(events: CredentialEvent[]): Promise<void> {
    const valid = validateCredentialEvents(events);
    if (valid.length === 0) return;
    const time = this.now().toISOString();
    const records: LoggedEvent[] = valid.map((event) => ({
      id: randomUUID(),
      time,
      source: EVENT_SOURCE,
      detailType: event.detailType,
      detail: event.detail,
    }));
    const lines = records.map((record) => JSON.stringify(record));
    await this.append(`${lines.join('\n')}\n`);
    if (this.webhook) {
      records.forEach((record, index) => {
        this.enqueueDelivery(record.id, lines[index] as string, record);
      });
    }
  }

  /** Resolves when every delivery queued so far has succeeded or been given up on. */
  async flush(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.deliveries;
      await current;
    } while (current !== this.deliveries);
  }

  private append(text: string): Promise<void> {
    const write = this.writes.then(async () => {
      try {
        if (!this.prepared) {
          await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
        }
        await appendFile(this.file, text, { encoding: 'utf8', mode: 0o600, flag: 'a' });
        if (!this.prepared) {
          // `mode` only applies when the file is created: tighten one that already existed.
          if (process.platform !== 'win32') await chmod(this.file, 0o600);
          this.prepared = true;
        }
      } catch (error) {
        // The fs error's message names the path, never the events; keep only its code.
        throw new StorageError(`Could not append to the event log (${errorCode(error)}).`);
      }
    });
    // The next write waits for this one whatever its outcome.
    this.writes = write.catch(() => undefined);
    return write;
  }

  private enqueueDelivery(eventId: string, body: string, record: LoggedEvent): void {
    if (this.pending >= this.maxPending) {
      this.reportFailure(eventId, 0);
      return;
    }
    this.pending += 1;
    this.deliveries = this.deliveries.then(async () => {
      try {
        await this.deliver(eventId, body, record);
      } catch {
        // deliver never throws on purpose; a bug here must still not break the chain.
      } finally {
        this.pending -= 1;
      }
    });
  }

  private async deliver(eventId: string, body: string, record: LoggedEvent): Promise<void> {
    const webhook = this.webhook;
    if (!webhook) return;
    const headers = {
      'content-type': 'application/json',
      [EVENT_HEADER]: record.detailType,
      [SIGNATURE_HEADER]: signWebhookBody(body, webhook.secret),
      [TIMESTAMP_HEADER]: String(Math.floor(Date.parse(record.time) / 1000)),
    };
    const attempts = this.retries + 1;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      try {
        const response = await this.fetchImpl(webhook.url, {
          method: 'POST',
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        // Free the connection; the answer's body is of no interest.
        await response.body?.cancel().catch(() => undefined);
        if (response.status >= 200 && response.status < 300) return;
      } catch {
        // Network error or timeout: retried like a non-2xx answer.
      }
      if (attempt < attempts) await sleep(this.backoffMs * 2 ** (attempt - 1));
    }
    this.reportFailure(eventId, attempts);
  }

  private reportFailure(eventId: string, attempts: number): void {
    try {
      this.onDeliveryFailure?.(eventId, attempts);
    } catch {
      // A failing callback must not break delivery of the next events.
    }
  }
}

function nonNegativeInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0)
    throw new Error(`LocalEventLog: ${name} must be an integer ≥ 0.`);
  return value;
}
