import type { Credential } from '../domain/credential.ts';
import type { ChangeFeedConsumer } from '../service/change-feed.ts';
import type { CredentialChange, CredentialRepository } from '../store/ports.ts';

/**
 * The local stand-in for the table's DynamoDB stream (dynalite has none): a repository whose credential writes,
 * once stored, are handed to the same change-feed consumer the stream feeds on AWS, with the same old and new
 * images (the writes return what they replaced). The consumer runs before the write returns, so a client that
 * re-checks and then reads the history sees the check. A failure there is reported and the request still
 * succeeds, as on AWS; unlike the stream, nothing retries it, and a process that dies between the item write
 * and the consumer loses that check's history entry and events (README "Revalidation and events").
 */
export function withLocalChangeFeed(
  repository: CredentialRepository,
  consumer: Pick<ChangeFeedConsumer, 'handle'>,
  onHandledError: (what: string, error: unknown) => void,
): CredentialRepository {
  const feed = async (change: CredentialChange) => {
    try {
      await consumer.handle(change);
    } catch (error) {
      onHandledError('record a stored change (history entry, events)', error);
    }
  };
  return {
    get: (tenantId, id) => repository.get(tenantId, id),
    list: (tenantId, options) => repository.list(tenantId, options),
    putCheck: (record, expiresAt) => repository.putCheck(record, expiresAt),
    listChecks: (tenantId, credentialId, options) => repository.listChecks(tenantId, credentialId, options),
    listDue: (shard, dueBefore, options) => repository.listDue(shard, dueBefore, options),
    // A lease moves the next check time only: it stores no check, so there is nothing to record or announce.
    lease: (due, leasedUntil) => repository.lease(due, leasedUntil),
    async create(credential: Credential) {
      await repository.create(credential);
      await feed({ before: null, after: credential });
    },
    async replace(credential: Credential, expectedVersion: number) {
      const before = await repository.replace(credential, expectedVersion);
      await feed({ before, after: credential });
      return before;
    },
    async delete(tenantId: string, id: string, expectedVersion?: number) {
      const before = await repository.delete(tenantId, id, expectedVersion);
      await feed({ before, after: null });
      return before;
    },
  };
}
