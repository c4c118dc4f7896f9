import type { RevalidationMessage } from '../domain/events.ts';
import type { RevalidationQueue } from './ports.ts';
import { validateRevalidationMessages } from './sqs-queue.ts';

/**
 * RevalidationQueue in process (local mode and tests): messages wait in an array, first in first out, until
 * `drain` takes them. Messages are checked against the schema like on SQS, and stored as copies so a caller
 * changing its object later does not change the queued message.
 */
export class MemoryRevalidationQueue implements RevalidationQueue {
  private readonly messages: RevalidationMessage[] = [];

  async send(messages: RevalidationMessage[]): Promise<void> {
    this.messages.push(...validateRevalidationMessages(messages));
  }

  /** Removes and returns up to `max` messages (all when omitted), oldest first. */
  drain(max?: number): RevalidationMessage[] {
    if (max !== undefined && (!Number.isInteger(max) || max < 0)) {
      throw new Error('drain(max) needs a non-negative integer.');
    }
    return this.messages.splice(0, max ?? this.messages.length);
  }

  /** How many messages wait. */
  get size(): number {
    return this.messages.length;
  }
}
