import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { SendMessageBatchCommand, SQSClient, SQSServiceException } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageError } from '../../shared/domain/errors.ts';
import type { RevalidationMessage } from '../../shared/domain/events.ts';
import { MemoryRevalidationQueue } from '../../shared/store/memory-queue.ts';
import { SqsRevalidationQueue } from '../../shared/store/sqs-queue.ts';

const QUEUE = 'https://sqs.eu-west-1.amazonaws.com/111122223333/credval-revalidation';
const FIFO = 'https://sqs.eu-west-1.amazonaws.com/111122223333/credval-revalidation.fifo';
const CANARY = 'canary-51c0e3-queue';

const client = new SQSClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'never-used' },
});
const sqs = mockClient(client);
afterEach(() => sqs.reset());

const queue = (queueUrl = QUEUE) => new SqsRevalidationQueue({ client, queueUrl, retryDelayMs: 0 });

function message(n: number, tenantId = 'tenant-a'): RevalidationMessage {
  return {
    tenantId,
    credentialId: `cred-${n}`,
    version: n + 1,
    checkId: `schedule:cred-${n}:2025-03-11T09:00:00.000Z`,
    trigger: 'schedule',
    cause: 'sweep',
  };
}

const calls = () => sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);

const allOk = (input: { Entries?: { Id?: string }[] }) => ({
  Successful: (input.Entries ?? []).map((e) => ({
    Id: e.Id,
    MessageId: `m-${e.Id}`,
    MD5OfMessageBody: 'x',
  })),
  Failed: [],
});

describe('SqsRevalidationQueue', () => {
  it('sends SendMessageBatch with Id = index in the chunk and the message as JSON body', async () => {
    sqs.on(SendMessageBatchCommand).callsFake(allOk);
    await queue().send([message(0), message(1)]);
    expect(calls()).toEqual([
      {
        QueueUrl: QUEUE,
        Entries: [
          { Id: '0', MessageBody: JSON.stringify(message(0)) },
          { Id: '1', MessageBody: JSON.stringify(message(1)) },
        ],
      },
    ]);
  });

  it('batches 23 messages into 10, 10 and 3, in order, Ids restarting at 0 per chunk', async () => {
    sqs.on(SendMessageBatchCommand).callsFake(allOk);
    const messages = Array.from({ length: 23 }, (_, i) => message(i));
    await queue().send(messages);
    const sent = calls();
    expect(sent.map((c) => c.Entries?.length)).toEqual([10, 10, 3]);
    expect(sent[2]?.Entries?.map((e) => e.Id)).toEqual(['0', '1', '2']);
    expect(sent.flatMap((c) => c.Entries?.map((e) => JSON.parse(e.MessageBody ?? '')))).toEqual(messages);
  });

  it('sends nothing for no messages', async () => {
    await queue().send([]);
    expect(calls()).toHaveLength(0);
  });

  it('retries only the failed entries once, keeping their Ids', async () => {
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [
          { Id: '0', MessageId: 'a', MD5OfMessageBody: 'x' },
          { Id: '2', MessageId: 'c', MD5OfMessageBody: 'x' },
        ],
        Failed: [{ Id: '1', SenderFault: false, Code: 'InternalError', Message: 'try again' }],
      })
      .callsFake(allOk);
    await queue().send([message(0), message(1), message(2)]);
    expect(calls()).toEqual([
      {
        QueueUrl: QUEUE,
        Entries: [0, 1, 2].map((i) => ({ Id: String(i), MessageBody: JSON.stringify(message(i)) })),
      },
      { QueueUrl: QUEUE, Entries: [{ Id: '1', MessageBody: JSON.stringify(message(1)) }] },
    ]);
  });

  it('throws a StorageError naming how many failed after the retry, without message contents', async () => {
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.filter((e) => e.Id !== '1').map((e) => ({
        Id: e.Id,
        MessageId: 'm',
        MD5OfMessageBody: 'x',
      })),
      Failed: input.Entries.filter((e) => e.Id === '1').map((e) => ({
        Id: e.Id,
        SenderFault: false,
        Code: 'ServiceUnavailable',
        Message: `echo ${CANARY}`,
      })),
    }));
    const error = await queue()
      .send([message(0, CANARY), message(1, CANARY), message(2, CANARY)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toBe(
      'SQS rejected 1 of 3 revalidation messages after a retry (ServiceUnavailable).',
    );
    expect(inspect(error, { depth: 10 })).not.toContain(CANARY);
    expect(calls().map((c) => c.Entries?.map((e) => e.Id))).toEqual([['0', '1', '2'], ['1']]);
  });

  it('counts entries SQS neither confirmed nor rejected as failed', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    await expect(queue().send([message(0)])).rejects.toThrow(
      'SQS rejected 1 of 1 revalidation messages after a retry (Unconfirmed).',
    );
    expect(calls()).toHaveLength(2);
  });

  it('turns an SDK error into a StorageError naming its code only', async () => {
    sqs.on(SendMessageBatchCommand).rejects(
      new SQSServiceException({
        name: 'QueueDoesNotExist',
        $fault: 'client',
        $metadata: {},
        message: 'The specified queue does not exist.',
      }),
    );
    const error = await queue()
      .send([message(0, CANARY)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toBe('SQS SendMessageBatch failed (QueueDoesNotExist).');
  });

  it('rejects an invalid message with a plain Error before sending anything', async () => {
    const bad = { ...message(0), trigger: CANARY } as unknown as RevalidationMessage;
    const error = await queue()
      .send([message(1), bad])
      .catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(StorageError);
    expect((error as Error).message).toBe(
      'Revalidation message 1 does not match its schema: trigger: invalid_value.',
    );
    expect(inspect(error)).not.toContain(CANARY);
    expect(calls()).toHaveLength(0);
  });

  it('on a FIFO queue, adds a message group and a deduplication id from tenant, credential and checkId', async () => {
    sqs.on(SendMessageBatchCommand).callsFake(allOk);
    await queue(FIFO).send([message(0)]);
    const m = message(0);
    expect(calls()).toEqual([
      {
        QueueUrl: FIFO,
        Entries: [
          {
            Id: '0',
            MessageBody: JSON.stringify(m),
            MessageGroupId: 'tenant-a/cred-0',
            MessageDeduplicationId: createHash('sha256')
              .update(`tenant-a\u0000cred-0\u0000${m.checkId}`)
              .digest('hex'),
          },
        ],
      },
    ]);
    sqs.resetHistory();
    const byHost = new SqsRevalidationQueue({
      client,
      queueUrl: FIFO,
      messageGroupId: () => 'erp.example.com',
    });
    await byHost.send([message(0)]);
    expect(calls()[0]?.Entries?.[0]?.MessageGroupId).toBe('erp.example.com');
  });
});

describe('MemoryRevalidationQueue', () => {
  it('keeps messages in order; drain(max) returns and removes the oldest', async () => {
    const memory = new MemoryRevalidationQueue();
    await memory.send([message(0), message(1)]);
    await memory.send([message(2)]);
    expect(memory.size).toBe(3);
    expect(memory.drain(2)).toEqual([message(0), message(1)]);
    expect(memory.size).toBe(1);
    expect(memory.drain()).toEqual([message(2)]);
    expect(memory.drain()).toEqual([]);
    expect(memory.size).toBe(0);
  });

  it('stores copies, and rejects invalid messages like SQS', async () => {
    const memory = new MemoryRevalidationQueue();
    const m = message(0);
    await memory.send([m]);
    m.cause = 'changed later';
    expect(memory.drain()).toEqual([message(0)]);
    await expect(memory.send([{ ...m, checkId: '' }])).rejects.toThrow(/checkId/);
    expect(memory.size).toBe(0);
    expect(() => memory.drain(-1)).toThrow();
  });
});
