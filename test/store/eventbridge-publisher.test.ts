import { inspect } from 'node:util';
import {
  EventBridgeClient,
  EventBridgeServiceException,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { StorageError } from '../../shared/domain/errors.ts';
import type { CredentialEvent } from '../../shared/domain/events.ts';
import { EventBridgePublisher } from '../../shared/store/eventbridge-publisher.ts';

const BUS = 'credval-events';
const CANARY = 'canary-7d1e0b5a-detail-value';

const client = new EventBridgeClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'never-used' },
});
const eb = mockClient(client);
afterEach(() => eb.reset());

const publisher = () => new EventBridgePublisher({ client, busName: BUS, retryDelayMs: 0 });

function checked(n: number, tenantId = 'tenant-a'): CredentialEvent {
  return {
    detailType: 'CredentialChecked',
    detail: {
      tenantId,
      credentialId: `cred-${n}`,
      connector: 'odoo',
      checkId: `check-${n}`,
      verdict: 'valid',
      reason: null,
      status: 'valid',
      checkedAt: '2025-03-11T09:14:02.000Z',
    },
  };
}

const changed: CredentialEvent = {
  detailType: 'CredentialStatusChanged',
  detail: {
    tenantId: 'tenant-a',
    credentialId: 'cred-1',
    connector: 'dolibarr',
    from: 'valid',
    to: 'invalid',
    reason: 'invalid_credentials',
    checkedAt: '2025-03-11T09:14:02.000Z',
    checkId: 'check-1',
  },
};

/** The Entries of every PutEvents call, in order. */
const sentEntries = () => eb.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries);

const entryOf = (event: CredentialEvent) => ({
  Source: 'credval',
  DetailType: event.detailType,
  Detail: JSON.stringify(event.detail),
  EventBusName: BUS,
});

const ok = (count: number) => ({
  FailedEntryCount: 0,
  Entries: Array.from({ length: count }, (_, i) => ({ EventId: `evt-${i}` })),
});

describe('EventBridgePublisher', () => {
  it('sends each event as one entry with source credval, its detail-type, the JSON detail and the bus', async () => {
    eb.on(PutEventsCommand).resolves(ok(2));
    await publisher().publish([checked(1), changed]);
    expect(eb.commandCalls(PutEventsCommand).map((call) => call.args[0].input)).toEqual([
      { Entries: [entryOf(checked(1)), entryOf(changed)] },
    ]);
    expect(JSON.parse(sentEntries()[0]?.[1]?.Detail ?? '')).toEqual(changed.detail);
  });

  it('sends nothing for no events', async () => {
    await publisher().publish([]);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('chunks 23 events into 10, 10 and 3, in order', async () => {
    eb.on(PutEventsCommand).callsFake((input) => ok(input.Entries.length));
    const events = Array.from({ length: 23 }, (_, i) => checked(i));
    await publisher().publish(events);
    const calls = sentEntries();
    expect(calls.map((entries) => entries?.length)).toEqual([10, 10, 3]);
    expect(calls.flat()).toEqual(events.map(entryOf));
  });

  it('retries only the rejected entries once, then succeeds', async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { EventId: 'a' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' },
          { EventId: 'c' },
          { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal' },
        ],
      })
      .resolves(ok(2));
    const events = [checked(0), checked(1), checked(2), checked(3)];
    await publisher().publish(events);
    expect(sentEntries()).toEqual([events.map(entryOf), [entryOf(checked(1)), entryOf(checked(3))]]);
  });

  it('throws a StorageError naming how many failed after the retry, without any detail text', async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 2,
        Entries: [
          { ErrorCode: 'ThrottlingException', ErrorMessage: `echo ${CANARY}` },
          { EventId: 'b' },
          { ErrorCode: 'InternalFailure', ErrorMessage: `echo ${CANARY}` },
        ],
      })
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ EventId: 'a2' }, { ErrorCode: 'InternalFailure', ErrorMessage: `echo ${CANARY}` }],
      });
    const events = [checked(0, CANARY), checked(1, CANARY), checked(2, CANARY)];
    const error = await publisher()
      .publish(events)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe('storage_unavailable');
    expect((error as Error).message).toBe(
      'EventBridge rejected 1 of 3 events after a retry (InternalFailure).',
    );
    expect(inspect(error, { depth: 10 })).not.toContain(CANARY);
    expect(sentEntries().map((entries) => entries?.length)).toEqual([3, 2]);
  });

  it('stops at the first chunk that fails: later chunks are not sent', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 10, Entries: [] });
    const events = Array.from({ length: 15 }, (_, i) => checked(i));
    await expect(publisher().publish(events)).rejects.toThrow(
      'EventBridge rejected 10 of 10 events after a retry (UnknownError).',
    );
    expect(sentEntries().map((entries) => entries?.length)).toEqual([10, 10]);
  });

  it('turns an SDK error into a StorageError naming its code only', async () => {
    eb.on(PutEventsCommand).rejects(
      new EventBridgeServiceException({
        name: 'AccessDeniedException',
        $fault: 'client',
        $metadata: {},
        message: 'User is not authorized to perform: events:PutEvents',
      }),
    );
    const error = await publisher()
      .publish([checked(0, CANARY)])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as Error).message).toBe('EventBridge PutEvents failed (AccessDeniedException).');
    expect(inspect(error, { depth: 10 })).not.toContain(CANARY);
  });

  it('rejects an event that does not match its schema with a plain Error, before sending anything', async () => {
    const bad = checked(0);
    (bad.detail as Record<string, unknown>).verdict = CANARY;
    const error = await publisher()
      .publish([checked(1), bad])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(StorageError);
    expect((error as Error).message).toBe(
      'Event 1 (CredentialChecked) does not match its schema: verdict: invalid_value.',
    );
    expect(inspect(error, { depth: 10 })).not.toContain(CANARY);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);

    const unknownType = { detailType: 'SecretLeaked', detail: {} } as unknown as CredentialEvent;
    await expect(publisher().publish([unknownType])).rejects.toThrow(/unknown detailType/);
  });

  it('sends only the schema fields: anything else attached to a detail is dropped', async () => {
    eb.on(PutEventsCommand).resolves(ok(1));
    const event = checked(0);
    (event.detail as Record<string, unknown>).apiKey = CANARY;
    await publisher().publish([event]);
    expect(JSON.stringify(sentEntries())).not.toContain(CANARY);
    expect(sentEntries()).toEqual([[entryOf(checked(0))]]);
  });

  it('needs a bus name', () => {
    expect(() => new EventBridgePublisher({ client, busName: '' })).toThrow(/busName/);
  });
});
