import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RevalidationMessage } from '../../shared/domain/events.ts';
import { credentialOfSecret, revalidationFromEvent } from '../../shared/service/triggers.ts';

/** Real-shaped EventBridge events (see test/fixtures/events), modelled on AWS documentation examples. */
function fixture(name: string): Record<string, unknown> & { detail: Record<string, unknown> } {
  return JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8'));
}

const OPTIONS = { secretPrefix: 'credval' };
const TENANT = 'tenant-a';
const CREDENTIAL = '6f1c1a52-7a0e-4c8e-9d7b-3c2f1e0a9b8c';
const NAME = `credval/${TENANT}/${CREDENTIAL}`;
const ARN = `arn:aws:secretsmanager:eu-west-1:111122223333:secret:${NAME}-Xq3LrT`;

const from = (event: unknown, options = OPTIONS) => revalidationFromEvent(event, options);

describe('revalidationFromEvent: CloudTrail API calls via EventBridge', () => {
  it.each([
    ['cloudtrail-put-secret-value', 'PutSecretValue'],
    ['cloudtrail-update-secret', 'UpdateSecret'],
    ['cloudtrail-rotate-secret', 'RotateSecret'],
    ['cloudtrail-update-secret-version-stage', 'UpdateSecretVersionStage'],
  ])('%s asks for a re-check of the credential of the secret', (name, eventName) => {
    const event = fixture(name);
    expect(event.detail.eventName).toBe(eventName);
    expect(from(event)).toEqual({
      tenantId: TENANT,
      credentialId: CREDENTIAL,
      version: null,
      checkId: `event:${event.id}`,
      trigger: 'event',
      cause: `secret changed (${eventName} via CloudTrail)`,
    });
  });

  it('reads a secret named by name (PutSecretValue) and by full ARN, dropping the random suffix (UpdateSecret)', () => {
    expect(fixture('cloudtrail-put-secret-value').detail.requestParameters).toEqual(
      expect.objectContaining({ secretId: NAME }),
    );
    expect(fixture('cloudtrail-update-secret').detail.requestParameters).toEqual(
      expect.objectContaining({ secretId: ARN }),
    );
    expect(from(fixture('cloudtrail-update-secret'))?.credentialId).toBe(CREDENTIAL);
  });

  it('the PutSecretValue fixture, like CloudTrail, carries no secret value', () => {
    const event = fixture('cloudtrail-put-secret-value');
    const request = event.detail.requestParameters as Record<string, unknown>;
    expect(Object.keys(request).sort()).toEqual(['clientRequestToken', 'secretId']);
    expect(JSON.stringify(event)).not.toMatch(/secretString|secretBinary/i);
  });

  it('gives the same checkId for a redelivered event', () => {
    const event = fixture('cloudtrail-put-secret-value');
    expect(from(structuredClone(event))?.checkId).toBe(from(event)?.checkId);
  });

  it('falls back to the ARN in responseElements (arn, or aRN in events before February 2024)', () => {
    for (const key of ['arn', 'aRN']) {
      const event = fixture('cloudtrail-update-secret');
      event.detail.requestParameters = { clientRequestToken: 'x' };
      event.detail.responseElements = { [key]: ARN };
      expect(from(event)?.credentialId).toBe(CREDENTIAL);
    }
  });

  it('ignores failed calls (errorCode set)', () => {
    const event = fixture('cloudtrail-put-secret-value-access-denied');
    expect(event.detail.errorCode).toBe('AccessDenied');
    expect(from(event)).toBeNull();
    const other = fixture('cloudtrail-update-secret');
    other.detail.errorCode = 'ResourceNotFoundException';
    expect(from(other)).toBeNull();
  });

  it('ignores secrets outside the prefix, and names that are not <prefix>/<tenant>/<credential>', () => {
    const names = [
      `other/${TENANT}/${CREDENTIAL}`,
      `credvalx/${TENANT}/${CREDENTIAL}`,
      `credval/${TENANT}`,
      `credval/${TENANT}/${CREDENTIAL}/extra`,
      `credval//${CREDENTIAL}`,
      `credval/${TENANT}/`,
      `credval/ten ant/${CREDENTIAL}`,
      `credval/${TENANT}/cred_with_underscore`,
      'prod/db/password',
      `arn:aws:secretsmanager:eu-west-1:111122223333:secret:other/${TENANT}/${CREDENTIAL}-AbCdEf`,
      `arn:aws:s3:::credval/${TENANT}/${CREDENTIAL}`,
    ];
    for (const secretId of names) {
      const event = fixture('cloudtrail-put-secret-value');
      event.detail.requestParameters = { secretId };
      event.detail.responseElements = null;
      expect(from(event), secretId).toBeNull();
    }
  });

  it('uses the configured prefix, which may contain slashes', () => {
    const event = fixture('cloudtrail-put-secret-value');
    event.detail.requestParameters = { secretId: `prod/credval/${TENANT}/${CREDENTIAL}` };
    expect(from(event, { secretPrefix: 'prod/credval' })?.tenantId).toBe(TENANT);
    expect(from(event)).toBeNull();
  });

  it('ignores calls that only stage a non-current version', () => {
    const pending = fixture('cloudtrail-put-secret-value');
    (pending.detail.requestParameters as Record<string, unknown>).versionStages = ['AWSPENDING'];
    expect(from(pending)).toBeNull();
    const current = fixture('cloudtrail-put-secret-value');
    (current.detail.requestParameters as Record<string, unknown>).versionStages = ['AWSCURRENT'];
    expect(from(current)).not.toBeNull();
    const label = fixture('cloudtrail-update-secret-version-stage');
    (label.detail.requestParameters as Record<string, unknown>).versionStage = 'MYLABEL';
    expect(from(label)).toBeNull();
  });

  it('ignores other Secrets Manager calls, other event sources and other services', () => {
    const get = fixture('cloudtrail-put-secret-value');
    get.detail.eventName = 'GetSecretValue';
    expect(from(get)).toBeNull();
    const del = fixture('cloudtrail-put-secret-value');
    del.detail.eventName = 'DeleteSecret';
    expect(from(del)).toBeNull();
    const otherService = fixture('cloudtrail-put-secret-value');
    otherService.source = 'aws.ssm';
    expect(from(otherService)).toBeNull();
    const otherEventSource = fixture('cloudtrail-put-secret-value');
    otherEventSource.detail.eventSource = 'ssm.amazonaws.com';
    expect(from(otherEventSource)).toBeNull();
  });
});

describe('revalidationFromEvent: Secrets Manager service and native events', () => {
  it('RotationSucceeded (AWS Service Event via CloudTrail) names the secret in additionalEventData', () => {
    const event = fixture('cloudtrail-rotation-succeeded');
    expect(from(event)).toEqual({
      tenantId: TENANT,
      credentialId: CREDENTIAL,
      version: null,
      checkId: 'event:dd5fd657-7361-f5d2-0c0f-0fe27390611b',
      trigger: 'event',
      cause: 'secret rotation succeeded (RotationSucceeded via CloudTrail)',
    });
  });

  it('other service events (RotationFailed, RotationStarted) ask for nothing', () => {
    for (const eventName of ['RotationFailed', 'RotationStarted', 'RotationAbandoned']) {
      const event = fixture('cloudtrail-rotation-succeeded');
      event.detail.eventName = eventName;
      expect(from(event), eventName).toBeNull();
    }
  });

  it('Secret Label Updated for AWSCURRENT asks for a re-check', () => {
    const event = fixture('secret-label-updated');
    expect(from(event)).toEqual({
      tenantId: TENANT,
      credentialId: CREDENTIAL,
      version: null,
      checkId: 'event:6a7e8feb-b491-4cf7-a9f1-bf3703467718',
      trigger: 'event',
      cause: 'secret current version changed (Secret Label Updated)',
    });
  });

  it('Secret Label Updated takes the secret from resources[0] when detail.name is missing', () => {
    const event = fixture('secret-label-updated');
    delete event.detail.name;
    expect(from(event)?.credentialId).toBe(CREDENTIAL);
  });

  it('Secret Label Updated for a custom label, or for another secret, asks for nothing', () => {
    const custom = fixture('secret-label-updated');
    custom.detail.labelUpdated = 'BLUE';
    expect(from(custom)).toBeNull();
    const other = fixture('secret-label-updated');
    other.detail.name = 'mySecret';
    other.resources = ['arn:aws:secretsmanager:us-west-2:012345678901:secret:mySecret-a1b2c3'];
    expect(from(other)).toBeNull();
  });
});

describe('revalidationFromEvent: RevalidationRequested', () => {
  it('turns a consumer request into a message, without the free-text reason', () => {
    const event = fixture('revalidation-requested');
    const message = from(event);
    expect(message).toEqual({
      tenantId: TENANT,
      credentialId: CREDENTIAL,
      version: null,
      checkId: 'event:b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e',
      trigger: 'event',
      cause: 'RevalidationRequested from acme.purchasing-sync',
    });
    expect(message?.cause).not.toContain('401');
  });

  it('ignores requests from credval itself, and invalid details', () => {
    const own = fixture('revalidation-requested');
    own.source = 'credval';
    expect(from(own)).toBeNull();
    const invalid: Array<(detail: Record<string, unknown>) => void> = [
      (d) => delete d.tenantId,
      (d) => delete d.credentialId,
      (d) => (d.tenantId = ''),
      (d) => (d.credentialId = 42),
      (d) => (d.credentialId = 'x'.repeat(65)),
      (d) => (d.tenantId = '../other'),
      (d) => (d.credentialId = 'a/b'),
      (d) => (d.reason = 'r'.repeat(501)),
    ];
    for (const change of invalid) {
      const event = fixture('revalidation-requested');
      change(event.detail);
      expect(from(event), JSON.stringify(event.detail).slice(0, 80)).toBeNull();
    }
  });

  it('does not name an oddly shaped source in the cause', () => {
    const event = fixture('revalidation-requested');
    event.source = 'evil\nsource with spaces';
    expect(from(event)?.cause).toBe('RevalidationRequested from unnamed source');
  });
});

describe('revalidationFromEvent: garbage and missing fields', () => {
  it('returns null for anything that is not a recognisable event', () => {
    const garbage: unknown[] = [
      undefined,
      null,
      0,
      'PutSecretValue',
      [],
      {},
      { 'detail-type': 'AWS API Call via CloudTrail' },
      { id: 'x', source: 'aws.secretsmanager', 'detail-type': 'AWS API Call via CloudTrail' },
      { id: 'x', source: 'aws.secretsmanager', 'detail-type': 'AWS API Call via CloudTrail', detail: 'nope' },
      { id: 'x', source: 'aws.secretsmanager', 'detail-type': 'AWS API Call via CloudTrail', detail: [] },
    ];
    for (const event of garbage) expect(from(event)).toBeNull();
  });

  it.each([
    ['id', (e: Record<string, unknown>) => delete e.id],
    ['id (bad shape)', (e: Record<string, unknown>) => (e.id = 'id with spaces')],
    ['source', (e: Record<string, unknown>) => delete e.source],
    ['detail-type', (e: Record<string, unknown>) => delete e['detail-type']],
    ['detail', (e: Record<string, unknown>) => delete e.detail],
    ['detail.eventName', (e: { detail: Record<string, unknown> }) => delete e.detail.eventName],
    ['detail.eventSource', (e: { detail: Record<string, unknown> }) => delete e.detail.eventSource],
    [
      'detail.requestParameters and responseElements',
      (e: { detail: Record<string, unknown> }) => {
        e.detail.requestParameters = null;
        e.detail.responseElements = null;
      },
    ],
    [
      'secretId not a string',
      (e: { detail: Record<string, unknown> }) => {
        e.detail.requestParameters = { secretId: { name: NAME } };
        e.detail.responseElements = null;
      },
    ],
  ])('a CloudTrail event without %s is ignored', (_, change) => {
    const event = fixture('cloudtrail-put-secret-value');
    change(event as never);
    expect(from(event)).toBeNull();
  });

  it('never throws, and anything it returns is a valid RevalidationMessage (property)', () => {
    const base = [
      fixture('cloudtrail-put-secret-value'),
      fixture('secret-label-updated'),
      fixture('revalidation-requested'),
      fixture('cloudtrail-rotation-succeeded'),
    ];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc
            .constantFrom(...base)
            .chain((event) =>
              fc
                .record({ key: fc.constantFrom(...Object.keys(event.detail)), value: fc.jsonValue() })
                .map(({ key, value }) => ({ ...event, detail: { ...event.detail, [key]: value } })),
            ),
        ),
        (event) => {
          const message = from(event);
          if (message !== null) expect(RevalidationMessage.safeParse(message).success).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a hostile object with throwing getters is ignored', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('boom');
        },
        has() {
          throw new Error('boom');
        },
      },
    );
    expect(from(hostile)).toBeNull();
  });
});

describe('credentialOfSecret', () => {
  it('maps names and full ARNs; a partial ARN (no suffix) of a UUID credential keeps its id', () => {
    expect(credentialOfSecret(NAME, 'credval')).toEqual({ tenantId: TENANT, credentialId: CREDENTIAL });
    expect(credentialOfSecret(ARN, 'credval')).toEqual({ tenantId: TENANT, credentialId: CREDENTIAL });
    expect(
      credentialOfSecret(`arn:aws:secretsmanager:eu-west-1:111122223333:secret:${NAME}`, 'credval'),
    ).toEqual({ tenantId: TENANT, credentialId: CREDENTIAL });
    expect(
      credentialOfSecret(
        `arn:aws-cn:secretsmanager:cn-north-1:111122223333:secret:${NAME}-a1B2c3`,
        'credval',
      ),
    ).toEqual({ tenantId: TENANT, credentialId: CREDENTIAL });
  });

  it('round-trips any valid tenant and credential id through a full ARN', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/),
        fc.uuid(),
        fc.stringMatching(/^[A-Za-z0-9]{6}$/),
        (tenantId, credentialId, suffix) => {
          const arn = `arn:aws:secretsmanager:eu-west-1:111122223333:secret:credval/${tenantId}/${credentialId}-${suffix}`;
          expect(credentialOfSecret(arn, 'credval')).toEqual({ tenantId, credentialId });
        },
      ),
    );
  });
});
