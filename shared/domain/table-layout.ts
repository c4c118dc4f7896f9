/**
 * The one DynamoDB table's key layout (docs/architecture.md "Write path"), shared by the CDK stack that creates the table
 * and the repository adapter that reads and writes it, so the two cannot drift.
 */
export const TABLE_LAYOUT = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Sparse index of credentials due for a check: only items carrying `dueShard` are in it. */
  dueIndex: {
    name: 'due',
    partitionKey: 'dueShard',
    sortKey: 'nextCheckAt',
    /**
     * What the index holds besides its keys and the table's: only what the sweep reads, and nothing that changes.
     * A lease moves an item in the index (a delete and an insert, 1 write unit each for a small entry); any other
     * write leaves the entry alone unless it reschedules the credential (a routine check keeps the time its lease
     * set), so no other write pays for the index at all.
     */
    projectedAttributes: ['tenantId', 'id'],
  },
  /** Epoch seconds after which DynamoDB deletes the item (check history). */
  timeToLiveAttribute: 'expiresAt',
  /**
   * Sort keys of credential items start with this (other items: history, idempotency records, configuration):
   * the change feed's stream filter passes only these.
   */
  credentialSortKeyPrefix: 'C#',
  /** Shards of the due index, so a million credentials make no hot partition; the sweep queries each. */
  dueShards: 16,
  /**
   * The envelope secret store's items (SECRET_STORE=envelope): partition `SECRET#NN` (a shard of the secret's name,
   * so the store can list every secret without a Scan), sort key `S#<name>`; its branch keys in `SECRET#KEYS`
   * (shared/store/branch-keys.ts). IAM scopes its grants to these partitions (`dynamodb:LeadingKeys`), so a function
   * that may touch secrets cannot touch credentials that way.
   */
  secretPartitionPrefix: 'SECRET#',
  secretShards: 16,
} as const;
