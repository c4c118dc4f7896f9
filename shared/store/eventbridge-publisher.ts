import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { StorageError } from '../domain/errors.ts';
import {
  CredentialChecked,
  type CredentialEvent,
  CredentialStatusChanged,
  EVENT_SOURCE,
} from '../domain/events.ts';
import type { EventPublisher } from './ports.ts';

/** PutEvents takes at most 10 entries per call. */
const PUT_EVENTS_MAX_ENTRIES = 10;

const SCHEMAS = {
  CredentialChecked,
  CredentialStatusChanged,
} as const;

/**
 * Checks every event against its schema and returns them with only the schema's fields (zod drops unknown
 * keys), so nothing that was attached by mistake leaves the process. An invalid event is a bug in the caller,
 * not an outage: a plain Error naming the index, the path and the issue code, never a value.
 */
export function validateCredentialEvents(events: readonly CredentialEvent[]): CredentialEvent[] {
  return events.map((event, index) => {
    const detailType: unknown = event?.detailType;
    const schema =
      typeof detailType === 'string' && Object.hasOwn(SCHEMAS, detailType)
        ? SCHEMAS[detailType as keyof typeof SCHEMAS]
        : undefined;
    if (!schema) {
      throw new Error(`Event ${index} has an unknown detailType; expected one of ${Object.keys(SCHEMAS)}.`);
    }
    const result = schema.safeParse(event.detail);
    if (!result.success) {
      const issues = result.error.issues
        .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(detail)'}: ${issue.code}`)
        .join('; ');
      throw new Error(`Event ${index} (${detailType}) does not match its schema: ${issues}.`);
    }
    return { detailType, detail: result.data } as CredentialEvent;
  });
}

/** The error's name (the AWS error code for SDK errors), never its message. */
function awsErrorName(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string') {
    return error.name;
  }
  return 'UnknownError';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * EventPublisher on an EventBridge bus (README "Revalidation and events"): source `credval`, one entry per event,
 * PutEvents in chunks of 10 sent in order. Entries that EventBridge rejects (FailedEntryCount > 0, e.g.
 * throttling or an internal failure) are sent once more on their own; if some still fail, a StorageError
 * says how many and with which error codes. Error messages never include an event's detail (the SDK error
 * stays available as `cause`).
 */
export class EventBridgePublisher implements EventPublisher {
  private readonly client: EventBridgeClient;
  private readonly busName: string;
  private readonly retryDelayMs: number;

  constructor(options: { client: EventBridgeClient; busName: string; retryDelayMs?: number }) {
    if (typeof options.busName !== 'string' || options.busName.length === 0) {
      throw new Error('EventBridgePublisher needs a busName.');
    }
    this.client = options.client;
    this.busName = options.busName;
    this.retryDelayMs = options.retryDelayMs ?? 100;
  }

  async publish(events: CredentialEvent[]): Promise<void> {
    const entries: PutEventsRequestEntry[] = validateCredentialEvents(events).map((event) => ({
      Source: EVENT_SOURCE,
      DetailType: event.detailType,
      Detail: JSON.stringify(event.detail),
      EventBusName: this.busName,
    }));
    for (let start = 0; start < entries.length; start += PUT_EVENTS_MAX_ENTRIES) {
      await this.putChunk(entries.slice(start, start + PUT_EVENTS_MAX_ENTRIES));
    }
  }

  /** Sends one chunk; retries the rejected entries once, then throws naming how many failed. */
  private async putChunk(chunk: PutEventsRequestEntry[]): Promise<void> {
    const firstFailures = await this.put(chunk);
    if (firstFailures.length === 0) return;
    if (this.retryDelayMs > 0) await sleep(this.retryDelayMs);
    const retry = firstFailures.map((failure) => failure.entry);
    const finalFailures = await this.put(retry);
    if (finalFailures.length === 0) return;
    const codes = [...new Set(finalFailures.map((f) => f.code))].join(', ');
    throw new StorageError(
      `EventBridge rejected ${finalFailures.length} of ${chunk.length} events after a retry (${codes}).`,
    );
  }

  /** One PutEvents call; returns the entries it rejected, with the error code of each. */
  private async put(
    entries: PutEventsRequestEntry[],
  ): Promise<{ entry: PutEventsRequestEntry; code: string }[]> {
    let output: { FailedEntryCount?: number; Entries?: PutEventsResultEntry[] } | undefined;
    try {
      output = await this.client.send(new PutEventsCommand({ Entries: entries }));
    } catch (error) {
      throw new StorageError(`EventBridge PutEvents failed (${awsErrorName(error)}).`, { cause: error });
    }
    const failedCount = output?.FailedEntryCount ?? 0;
    if (failedCount === 0) return [];
    const results = output?.Entries ?? [];
    const failed = entries.flatMap((entry, index) => {
      const result = results[index];
      // Result entries are in request order; one with an ErrorCode (or none at all) was not accepted.
      if (result && result.ErrorCode === undefined && result.EventId !== undefined) return [];
      return [{ entry, code: safeCode(result?.ErrorCode) }];
    });
    // FailedEntryCount says some failed but the entries do not say which: treat them all as failed.
    return failed.length > 0 ? failed : entries.map((entry) => ({ entry, code: 'UnknownError' }));
  }
}

/** An EventBridge error code (e.g. `ThrottlingException`), kept only if it looks like one. */
function safeCode(code: string | undefined): string {
  return code !== undefined && /^[A-Za-z0-9._-]{1,64}$/.test(code) ? code : 'UnknownError';
}
