import type { Clock, CredentialRepository, SecretStore } from '../store/ports.ts';
import { credentialOfSecret } from './triggers.ts';

export interface ReconcileDeps {
  secrets: Pick<SecretStore, 'list' | 'scheduleDeletion'>;
  repository: Pick<CredentialRepository, 'get'>;
  clock: Clock;
  /** Secrets are named `<prefix>/<tenant>/<credentialId>`. */
  secretPrefix: string;
  /** Recovery window of a secret scheduled for deletion, in days. */
  recoveryDays: number;
  /**
   * How old a secret without an item must be before it counts as an orphan: a create writes its secret a moment
   * before its item, so a younger one may be a create still in flight.
   */
  graceMs: number;
  onHandledError?: (what: string, error: unknown) => void;
}

/** What one reconciliation did. */
export interface ReconcileResult {
  /** Secrets under the prefix that were looked at (not yet scheduled for deletion). */
  examined: number;
  /** Secrets older than the grace period whose credential item does not exist. */
  orphans: number;
  /** Orphans now scheduled for deletion. */
  scheduled: number;
  /** Orphans whose scheduling failed (tried again next time). */
  failed: number;
  /** Secrets under the prefix whose names are not `<prefix>/<tenant>/<id>` (left alone, and reported). */
  foreign: number;
}

/**
 * Finds secrets that no credential item describes (a process that died between writing a secret and its item,
 * or between deleting an item and scheduling its secret's deletion) and schedules their deletion, recoverable
 * like any deleted credential's. It reads the secret store's list page by page and one item per secret, a
 * page's items at once.
 */
/** Secrets listed per page, and so item reads in flight at most. */
const PAGE = 100;

export async function reconcileSecrets(deps: ReconcileDeps): Promise<ReconcileResult> {
  const result: ReconcileResult = { examined: 0, orphans: 0, scheduled: 0, failed: 0, foreign: 0 };
  const head = `${deps.secretPrefix}/`;
  const cutoff = deps.clock.now().getTime() - deps.graceMs;
  let cursor: string | null = null;
  do {
    const page = await deps.secrets.list(head, { limit: PAGE, cursor });
    const candidates: Array<{ name: string; tenantId: string; credentialId: string }> = [];
    for (const secret of page.items) {
      if (secret.deletionScheduled) continue;
      result.examined += 1;
      const owner = credentialOfSecret(secret.name, deps.secretPrefix);
      if (!owner) {
        result.foreign += 1;
        continue;
      }
      if (Date.parse(secret.createdAt) > cutoff) continue;
      candidates.push({ name: secret.name, ...owner });
    }
    // A page's items are looked up at once: one after another, a million secrets would take longer than the
    // function may run (~5 ms a read); a page is at most PAGE reads in flight.
    const owned = await Promise.all(
      candidates.map(async (c) => (await deps.repository.get(c.tenantId, c.credentialId)) !== null),
    );
    for (const [index, candidate] of candidates.entries()) {
      if (owned[index]) continue;
      result.orphans += 1;
      try {
        await deps.secrets.scheduleDeletion(candidate.name, deps.recoveryDays);
        result.scheduled += 1;
      } catch (error) {
        result.failed += 1;
        deps.onHandledError?.('schedule the deletion of an orphaned secret', error);
      }
    }
    cursor = page.nextCursor;
  } while (cursor);
  return result;
}
