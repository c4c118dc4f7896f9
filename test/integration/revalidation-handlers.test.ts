import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeTriggerHandler } from '../../shared/app/handlers/revalidation-trigger.ts';
import { makeWorkerHandler } from '../../shared/app/handlers/revalidation-worker.ts';
import { makeSweepHandler } from '../../shared/app/handlers/sweep.ts';
import { runCheck } from '../../shared/connectors/check.ts';
import type { Credential } from '../../shared/domain/credential.ts';
import { StorageError } from '../../shared/domain/errors.ts';
import type { CredentialEvent, RevalidationMessage } from '../../shared/domain/events.ts';
import { createGuardedClient } from '../../shared/net/guarded-client.ts';
import type { GuardedClient } from '../../shared/net/types.ts';
import { ServiceConfig } from '../../shared/service/config.ts';
import { FRESH_MONITOR } from '../../shared/service/status-policy.ts';
import { MemoryCredentialRepository } from '../../shared/store/memory-credential-repository.ts';
import { MemoryRevalidationQueue } from '../../shared/store/memory-queue.ts';
import { MemorySecretStore } from '../../shared/store/memory-secret-store.ts';
import { revalidationOf } from '../helpers/revalidation.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';

const CREDENTIAL_ID = '6f1c1a52-7a0e-4c8e-9d7b-3c2f1e0a9b8c'; // the id in the event fixtures
const context = {
  functionName: 'credval-worker',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:credval-worker',
  memoryLimitInMB: '512',
  getRemainingTimeInMillis: () => 30_000,
} as unknown as Context;
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8'));

/** An SQS record as Lambda receives it. */
function sqsRecord(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1795400000000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1795400000001',
    },
    messageAttributes: {},
    md5OfBody: 'ignored',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:111111111111:credval-revalidation',
    awsRegion: 'eu-west-1',
  };
}

describe('revalidation Lambda handlers with real-shaped events', () => {
  let sim: DolibarrSimulator;
  let client: GuardedClient;
  let repository: MemoryCredentialRepository;
  let secrets: MemorySecretStore;
  let queue: MemoryRevalidationQueue;
  let events: CredentialEvent[];
  let failReadFor: Set<string>;
  let revalidation: ReturnType<typeof revalidationOf>;
  const observability = {
    logger: new Logger({ serviceName: 'credval-test', logLevel: 'SILENT' }),
    metrics: new Metrics({ namespace: 'credval-test', serviceName: 'credval-test' }),
  };
  const now = Date.parse('2026-11-23T12:00:00Z');

  beforeAll(async () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    sim = await startDolibarrSimulator({
      users: Array.from({ length: 6 }, (_, i) => ({
        id: i + 1,
        login: `u${i}`,
        apiKey: `worker-key-${i}-abcdef0123`,
        rights: ['societe.lire'],
      })),
      failureDelayMs: 10,
    });
    client = createGuardedClient({ egressAllow: ['127.0.0.0/8'] });
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });

  async function seed(i: number, id = `cred-${i}`, tenantId = 'tenant-a'): Promise<Credential> {
    const credential: Credential = {
      tenantId,
      id,
      connector: 'dolibarr',
      name: id,
      description: '',
      fields: { baseUrl: sim.url },
      requirements: [],
      status: 'valid',
      lastCheck: null,
      version: 1,
      createdAt: new Date(now - 86_400_000).toISOString(),
      updatedAt: new Date(now - 86_400_000).toISOString(),
      nextCheckAt: new Date(now - 60_000).toISOString(),
      secretName: `credval/${tenantId}/${id}`,
      monitor: FRESH_MONITOR,
    };
    await repository.create(credential);
    await secrets.create(
      credential.secretName,
      { apiKey: `worker-key-${i}-abcdef0123` },
      {
        requestToken: id.padEnd(32, '0'),
        tags: { tenantId, credentialId: id, connector: 'dolibarr' },
      },
    );
    return credential;
  }

  beforeEach(() => {
    repository = new MemoryCredentialRepository();
    secrets = new MemorySecretStore();
    queue = new MemoryRevalidationQueue();
    events = [];
    failReadFor = new Set();
    const getCurrent = secrets.getCurrent.bind(secrets);
    secrets.getCurrent = async (name) => {
      if (failReadFor.delete(name)) throw new StorageError('injected: Secrets Manager unavailable');
      return getCurrent(name);
    };
    revalidation = revalidationOf({
      repository,
      secrets,
      queue,
      events: { publish: async (batch) => void events.push(...batch) },
      check: (check) => runCheck(check, { client }),
      clock: { now: () => new Date(now) },
      config: ServiceConfig.parse({}),
    });
  });

  it('the sweep handler queues what is due', async () => {
    await seed(0);
    await seed(1);
    const handler = makeSweepHandler(revalidation, observability);
    // EventBridge Scheduler invokes the target with its configured input; ours is empty.
    const result = await handler({}, context);
    expect(result).toMatchObject({ due: 2, queued: 2 });
    expect(queue.size).toBe(2);
  });

  it('reports only the failing item of an SQS batch, and drops a malformed one', async () => {
    await seed(0);
    await seed(1);
    await revalidation.sweep();
    const [first, second] = queue.drain() as [RevalidationMessage, RevalidationMessage];
    failReadFor.add(`credval/tenant-a/${first.credentialId}`); // its secret cannot be read: it must come again
    const handler = makeWorkerHandler(revalidation, observability);
    const event: SQSEvent = {
      Records: [
        sqsRecord('m-1', JSON.stringify(first)),
        sqsRecord('m-2', '{"not":"a message"}'),
        sqsRecord('m-3', JSON.stringify(second)),
      ],
    };
    expect(await handler(event, context)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });

    // SQS delivers m-1 again: now it is checked, once; delivered a third time it is recognised and not re-checked.
    sim.reset();
    const again = await handler({ Records: [event.Records[0] as SQSRecord] }, context);
    expect(again).toEqual({ batchItemFailures: [] });
    expect(sim.requests.length).toBeGreaterThan(0);
    sim.reset();
    expect(await handler({ Records: [event.Records[0] as SQSRecord] }, context)).toEqual({
      batchItemFailures: [],
    });
    expect(sim.requests).toHaveLength(0);
    const history = await repository.listChecks('tenant-a', first.credentialId, { limit: 10 });
    expect(history.items.map((h) => h.checkId)).toEqual([first.checkId]);
    expect(events.filter((e) => e.detail.credentialId === first.credentialId)).toHaveLength(1);
  });

  it('a worker that dies mid-batch: the redelivered batch redoes only the unfinished checks, history once each', async () => {
    for (let i = 0; i < 5; i++) await seed(i);
    await revalidation.sweep();
    const batch = queue.drain();
    expect(batch).toHaveLength(5);
    // Two finish, the third dies right after its result was stored, two never start.
    await revalidation.work(batch[0] as RevalidationMessage);
    await revalidation.work(batch[1] as RevalidationMessage);
    const replace = repository.replace.bind(repository);
    repository.replace = async (...args) => {
      await replace(...args);
      throw new StorageError('injected: the process died here');
    };
    await expect(revalidation.work(batch[2] as RevalidationMessage)).rejects.toThrow();
    repository.replace = replace;

    // No batch response came back, so SQS delivers the whole batch again.
    sim.reset();
    const handler = makeWorkerHandler(revalidation, observability);
    const response = await handler(
      { Records: batch.map((m, i) => sqsRecord(`m-${i}`, JSON.stringify(m))) },
      context,
    );
    expect(response).toEqual({ batchItemFailures: [] });
    // Only the two unfinished checks reached the vendor (each a /status and a /users/info call at most).
    const checkedAgain = new Set(sim.requests.map((r) => r.headers.dolapikey));
    expect(checkedAgain).toEqual(new Set(['worker-key-3-abcdef0123', 'worker-key-4-abcdef0123']));
    // Every check is stored once; locally, the one whose process died after its write has no history entry
    // (the in-process feed never saw the write: README "Revalidation and events"), which on AWS the table's
    // stream delivers anyway (test/integration/change-feed.test.ts).
    for (const [i, message] of batch.entries()) {
      expect((await repository.get('tenant-a', message.credentialId))?.monitor.lastCheckId).toBe(
        message.checkId,
      );
      const history = await repository.listChecks('tenant-a', message.credentialId, { limit: 10 });
      expect(history.items.map((h) => h.checkId)).toEqual(i === 2 ? [] : [message.checkId]);
    }
  });

  it('a user edit between the sweep and the check wins; the check is not forced on it', async () => {
    const credential = await seed(0);
    await revalidation.sweep();
    const leased = (await repository.get('tenant-a', credential.id)) as Credential;
    await repository.replace({ ...leased, name: 'renamed', version: leased.version + 1 }, leased.version);
    sim.reset();
    expect(await revalidation.work(queue.drain()[0] as RevalidationMessage)).toBe('superseded');
    expect(sim.requests).toHaveLength(0);
    expect((await repository.get('tenant-a', credential.id))?.name).toBe('renamed');
  });

  it('a routine scheduled check keeps the next check time its lease set; a rejection, an event or a short lease schedule afresh', async () => {
    let clock = now;
    const later = revalidationOf({
      repository,
      secrets,
      queue,
      events: { publish: async (batch) => void events.push(...batch) },
      check: (check) => runCheck(check, { client }),
      clock: { now: () => new Date(clock) },
      config: ServiceConfig.parse({}),
      random: () => 0.5,
    });
    const routine = await seed(0);
    const rejected = await seed(1);
    sim.revokeKey('u1');
    const interval = ServiceConfig.parse({}).checkIntervalMs;
    const leasedUntil = new Date(now + interval * 1.05).toISOString(); // jitter 10 %, random 0.5
    await later.sweep();
    expect((await repository.get('tenant-a', routine.id))?.nextCheckAt).toBe(leasedUntil);

    clock = now + 10 * 60_000; // the checks run a while after the sweep
    const messages = queue.drain();
    for (const message of messages) expect(await later.work(message)).toBe('checked');
    // Still valid: the lease's time stays, so the check's write did not move the credential in the due index.
    expect(await repository.get('tenant-a', routine.id)).toMatchObject({
      status: 'valid',
      nextCheckAt: leasedUntil,
    });
    // A first rejection is confirmed INVALID_CONFIRM_AFTER (5 min, jittered 5 %) after the check, not at the lease's time.
    expect((await repository.get('tenant-a', rejected.id))?.nextCheckAt).toBe(
      new Date(clock + 5 * 60_000 * 1.05).toISOString(),
    );

    // An event-driven re-check is not leased: the next check is an interval after it.
    const byEvent = {
      ...(messages[0] as RevalidationMessage),
      trigger: 'event' as const,
      version: null,
      checkId: 'evt-1',
    };
    expect(await later.work({ ...byEvent, credentialId: routine.id })).toBe('checked');
    expect((await repository.get('tenant-a', routine.id))?.nextCheckAt).toBe(
      new Date(clock + interval * 1.05).toISOString(),
    );

    // A lease of 15 minutes (as the sweep wrote them before leases lasted an interval) is replaced.
    const short = await seed(2);
    await repository.lease(
      { tenantId: 'tenant-a', id: short.id, nextCheckAt: short.nextCheckAt as string },
      new Date(clock + 15 * 60_000),
    );
    const message = {
      tenantId: 'tenant-a',
      credentialId: short.id,
      version: 2,
      checkId: `sched:${short.id}:2`,
    };
    expect(await later.work({ ...message, trigger: 'schedule', cause: 'sweep' })).toBe('checked');
    expect((await repository.get('tenant-a', short.id))?.nextCheckAt).toBe(
      new Date(clock + interval * 1.05).toISOString(),
    );
  });

  it.each([
    ['cloudtrail-put-secret-value', 1],
    ['cloudtrail-update-secret', 1],
    ['cloudtrail-rotate-secret', 1],
    ['secret-label-updated', 1],
    ['revalidation-requested', 1],
    ['cloudtrail-put-secret-value-access-denied', 0],
  ])(
    'the trigger handler turns %s into %i queued re-check(s), which the worker runs',
    async (name, expected) => {
      await seed(0, CREDENTIAL_ID);
      const handler = makeTriggerHandler(queue, 'credval', observability);
      expect(await handler(fixture(name), context)).toEqual({ queued: expected });
      const messages = queue.drain();
      expect(messages).toHaveLength(expected);
      if (expected === 0) return;
      expect(messages[0]).toMatchObject({
        tenantId: 'tenant-a',
        credentialId: CREDENTIAL_ID,
        trigger: 'event',
        version: null,
      });
      expect(await revalidation.work(messages[0] as RevalidationMessage)).toBe('checked');
      expect(await revalidation.work(messages[0] as RevalidationMessage)).toBe('already_done');
    },
  );
});
