import { createHash } from 'node:crypto';
import {
  type BatchResultErrorEntry,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { StorageError } from '../domain/errors.ts';
import { RevalidationMessage } from '../domain/events.ts';
import type { RevalidationQueue } from './ports.ts';

/** SendMessageBatch takes at most 10 entries per call. */
const SEND_BATCH_MAX_ENTRIES = 10;

/**
 * Checks messages against the schema before they are queued: an invalid one is a bug in the caller, so a plain
 * Error naming the index, path and issue code (never a value).
 */
export function validateRevalidationMessages(messages: readonly unknown[]): RevalidationMessage[] {
  return messages.map((message, index) => {
    const result = RevalidationMessage.safeParse(message);
    if (!result.success) {
      const issues = result.error.issues
        .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(message)'}: ${issue.code}`)
        .join('; ');
      throw new Error(`Revalidation message ${index} does not match its schema: ${issues}.`);
    }
    return result.data;
  });
}

function awsErrorName(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string') {
    return error.name;
  }
  return 'UnknownError';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface SqsRevalidationQueueOptions {
  client: SQSClient;
  queueUrl: string;
  /** Pause before the one retry of rejected entries (default 100 ms). */
  retryDelayMs?: number;
  /**
   * FIFO queues only (a URL ending in `.fifo`): the message group, e.g. the destination host so one customer's
   * server never gets concurrent checks (README "Revalidation and events"). Default: tenant and credential.
   */
  messageGroupId?: (message: RevalidationMessage) => string;
}

/**
 * RevalidationQueue on SQS: SendMessageBatch in chunks of 10 (entry Id = its index in the chunk, body = the
 * message as JSON), sent in order. Entries SQS rejects are sent once more on their own; if some still fail, a
 * StorageError says how many and with which codes. On a FIFO queue every entry also gets a MessageGroupId and a
 * MessageDeduplicationId derived from tenant, credential and checkId, so a re-sent message is dropped by SQS.
 */
export class SqsRevalidationQueue implements RevalidationQueue {
  private readonly client: SQSClient;
  private readonly queueUrl: string;
  private readonly retryDelayMs: number;
  private readonly fifo: boolean;
  private readonly groupOf: (message: RevalidationMessage) => string;

  constructor(options: SqsRevalidationQueueOptions) {
    if (typeof options.queueUrl !== 'string' || options.queueUrl.length === 0) {
      throw new Error('SqsRevalidationQueue needs a queueUrl.');
    }
    this.client = options.client;
    this.queueUrl = options.queueUrl;
    this.retryDelayMs = options.retryDelayMs ?? 100;
    this.fifo = options.queueUrl.endsWith('.fifo');
    this.groupOf = options.messageGroupId ?? ((m) => `${m.tenantId}/${m.credentialId}`);
  }

  async send(messages: RevalidationMessage[]): Promise<void> {
    const valid = validateRevalidationMessages(messages);
    for (let start = 0; start < valid.length; start += SEND_BATCH_MAX_ENTRIES) {
      const chunk = valid.slice(start, start + SEND_BATCH_MAX_ENTRIES);
      await this.sendChunk(chunk.map((message, index) => this.entry(message, index)));
    }
  }

  private entry(message: RevalidationMessage, index: number): SendMessageBatchRequestEntry {
    const entry: SendMessageBatchRequestEntry = { Id: String(index), MessageBody: JSON.stringify(message) };
    if (!this.fifo) return entry;
    return {
      ...entry,
      MessageGroupId: this.groupOf(message),
      MessageDeduplicationId: createHash('sha256')
        .update(`${message.tenantId}\u0000${message.credentialId}\u0000${message.checkId}`)
        .digest('hex'),
    };
  }

  private async sendChunk(entries: SendMessageBatchRequestEntry[]): Promise<void> {
    const firstFailures = await this.sendBatch(entries);
    if (firstFailures.length === 0) return;
    if (this.retryDelayMs > 0) await sleep(this.retryDelayMs);
    const failedIds = new Set(firstFailures.map((f) => f.Id));
    const finalFailures = await this.sendBatch(entries.filter((e) => failedIds.has(e.Id)));
    if (finalFailures.length === 0) return;
    const codes = [...new Set(finalFailures.map((f) => safeCode(f.Code)))].join(', ');
    throw new StorageError(
      `SQS rejected ${finalFailures.length} of ${entries.length} revalidation messages after a retry (${codes}).`,
    );
  }

  /** One SendMessageBatch call; returns the rejected entries (by Id). */
  private async sendBatch(entries: SendMessageBatchRequestEntry[]): Promise<BatchResultErrorEntry[]> {
    let output: { Failed?: BatchResultErrorEntry[]; Successful?: { Id?: string }[] } | undefined;
    try {
      output = await this.client.send(
        new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
      );
    } catch (error) {
      throw new StorageError(`SQS SendMessageBatch failed (${awsErrorName(error)}).`, { cause: error });
    }
    const sent = entries.map((e) => e.Id);
    const failed = (output?.Failed ?? []).filter((f) => f.Id !== undefined && sent.includes(f.Id));
    const successful = output?.Successful;
    if (successful === undefined) return failed;
    // An entry in neither list was not confirmed: count it as failed too.
    const answered = new Set([...failed.map((f) => f.Id), ...successful.map((s) => s.Id)]);
    const unanswered = entries
      .filter((e) => !answered.has(e.Id))
      .map((e) => ({ Id: e.Id, Code: 'Unconfirmed', SenderFault: false }) as BatchResultErrorEntry);
    return [...failed, ...unanswered];
  }
}

function safeCode(code: string | undefined): string {
  return code !== undefined && /^[A-Za-z0-9._-]{1,64}$/.test(code) ? code : 'UnknownError';
}
