import { ConflictError, SecretNotFoundError, ServiceError } from '../domain/errors.ts';
import type {
  CredentialRepository,
  SecretStore,
  SecretValue,
  SecretVersion,
  SecretVersions,
} from '../store/ports.ts';
import { credentialOfSecret } from './triggers.ts';

export interface MigrateDeps {
  /** Where the secrets are now. */
  source: SecretStore;
  /** Where they go. */
  target: SecretStore;
  repository: Pick<CredentialRepository, 'get'>;
  /** Secrets are named `<prefix>/<tenant>/<credentialId>`. */
  secretPrefix: string;
  /** Recovery window of a retired source copy, in days. */
  recoveryDays: number;
  /** List only: say what would move, change nothing. */
  dryRun?: boolean;
  /** Copy and verify, but leave the source copies live (the first pass of a switch, README "Moving between stores"). */
  keepSource?: boolean;
  /** Told after each secret (for a progress bar): how many are done of how many. */
  onProgress?: (done: number, total: number) => void;
  /**
   * Secrets moved at once (default 1). Each secret's steps stay in order; only different secrets overlap, so an
   * interrupted run resumes as before. The stores' own rate limits bound it (Secrets Manager writes: 50 a second).
   */
  concurrency?: number;
}

/** What happened to one secret of the source store. */
export type MoveOutcome =
  /** Copied to the target, read back and found equal; retired in the source unless `keepSource`. */
  | 'moved'
  /** The target already held the version the credential names (an earlier run, or a write there since). */
  | 'already_moved'
  /** Dry run: would be copied. */
  | 'would_move'
  /** No credential describes it (a crash between two writes): left where it is, for the reconciliation. */
  | 'orphan'
  /** Not named `<prefix>/<tenant>/<id>`: not credval's, left alone. */
  | 'foreign'
  /** Scheduled for deletion in the source: left to expire there. */
  | 'deleted'
  /** Changing while it was moved (a write in flight): left as it was; run the command again. */
  | 'unsettled'
  /** A store refused or failed; left as it was; run the command again. */
  | 'failed';

export interface MigrateResult {
  /** Secrets under the prefix in the source store. */
  examined: number;
  outcomes: Record<MoveOutcome, number>;
  /** Source copies scheduled for deletion by this run (restorable for the recovery window). */
  retired: number;
  /** Credentials whose secret was read back from the target after the move (the final check). */
  verified: number;
  /** Credentials whose secret the final check could not read from the target. */
  unreadable: number;
  /** One line per secret that did not move cleanly, or per secret a dry run would move: name and why. */
  notes: Array<{ name: string; outcome: MoveOutcome; reason?: string }>;
}

const PAGE = 100;

function sameValue(a: SecretValue, b: SecretValue): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** The versions of a live secret, or null when it is missing or scheduled for deletion. */
async function versionsOf(store: SecretStore, name: string): Promise<SecretVersions | null> {
  try {
    return await store.getVersions(name);
  } catch (error) {
    if (error instanceof SecretNotFoundError) return null;
    throw error;
  }
}

/** What a failure may show: our own errors' messages (they never carry a value), else only the error's name. */
function reasonOf(error: unknown): string {
  if (error instanceof ServiceError) return error.message;
  return error instanceof Error ? error.name : 'unknown error';
}

class Unsettled extends Error {}

/**
 * Moves a deployment's secrets from one store to another (`credval secrets migrate`, README "Moving between
 * stores"), `concurrency` secrets at a time, each step idempotent, so an interrupted run is resumed by running it
 * again:
 *
 * 1. List the source's secrets under the prefix (names only).
 * 2. For each, read its credential item: the item names the version it describes (`secretVersion`).
 * 3. If the target's current version is that one, it was moved already. Otherwise copy the source's current
 *    version, and its previous one, under their own version ids (the ids are the request tokens, so a rerun
 *    writes nothing twice, and the item's `secretVersion` names the same version in the target).
 * 4. Read it back from the target: the same id and value, and the version the item names now.
 * 5. Only then retire the source copy: scheduled for deletion with the recovery window, so restorable.
 * 6. At the end, read every moved credential's secret from the target once more.
 */
export async function migrateSecrets(deps: MigrateDeps): Promise<MigrateResult> {
  const result: MigrateResult = {
    examined: 0,
    outcomes: {
      moved: 0,
      already_moved: 0,
      would_move: 0,
      orphan: 0,
      foreign: 0,
      deleted: 0,
      unsettled: 0,
      failed: 0,
    },
    retired: 0,
    verified: 0,
    unreadable: 0,
    notes: [],
  };
  // 1. Names first: the total makes the progress bar, and a dry run is this list.
  const head = `${deps.secretPrefix}/`;
  const listed: Array<{ name: string; deletionScheduled: boolean }> = [];
  let cursor: string | null = null;
  do {
    const page = await deps.source.list(head, { limit: PAGE, cursor });
    listed.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  result.examined = listed.length;

  // Each secret's own record (its outcome and notes), merged in the listed order whatever order they finish in.
  const concurrency = Math.max(1, deps.concurrency ?? 1);
  const records: SecretRecord[] = new Array(listed.length);
  let done = 0;
  await inPool(listed, concurrency, async (secret, index) => {
    const record: SecretRecord = { outcome: 'failed', notes: [], retired: 0 };
    record.outcome = await moveOne(deps, secret, record).catch((error: unknown) => {
      if (error instanceof Unsettled) {
        record.notes.push({ name: secret.name, outcome: 'unsettled', reason: error.message });
        return 'unsettled' as const;
      }
      record.notes.push({ name: secret.name, outcome: 'failed', reason: reasonOf(error) });
      return 'failed' as const;
    });
    records[index] = record;
    done += 1;
    deps.onProgress?.(done, listed.length);
  });
  const settled: string[] = [];
  for (const [index, record] of records.entries()) {
    result.outcomes[record.outcome] += 1;
    result.retired += record.retired;
    result.notes.push(...record.notes);
    const name = listed[index]?.name;
    if (name && (record.outcome === 'moved' || record.outcome === 'already_moved')) settled.push(name);
  }

  // 6. Every credential that moved still reads, from where it is now.
  if (!deps.dryRun) {
    const reads: Array<MigrateResult['notes'][number] | null> = new Array(settled.length);
    await inPool(settled, concurrency, async (name, index) => {
      reads[index] = await deps.target.getCurrent(name).then(
        () => null,
        (error: unknown) => ({
          name,
          outcome: 'failed' as const,
          reason: `does not read back: ${reasonOf(error)}`,
        }),
      );
    });
    for (const failure of reads) {
      if (failure) {
        result.unreadable += 1;
        result.notes.push(failure);
      } else {
        result.verified += 1;
      }
    }
  }
  return result;
}

/** Runs `task` for every item, at most `limit` at once: a few workers that each take the next item. */
async function inPool<T>(
  items: T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** What happened to one secret, kept apart so that secrets moved at once do not interleave their notes. */
interface SecretRecord {
  outcome: MoveOutcome;
  notes: MigrateResult['notes'];
  retired: number;
}

async function moveOne(
  deps: MigrateDeps,
  secret: { name: string; deletionScheduled: boolean },
  result: SecretRecord,
): Promise<MoveOutcome> {
  const { name } = secret;
  if (secret.deletionScheduled) return 'deleted';
  const owner = credentialOfSecret(name, deps.secretPrefix);
  if (!owner) return 'foreign';
  // 2. The item names the version it describes.
  const item = await deps.repository.get(owner.tenantId, owner.credentialId);
  if (!item) return 'orphan';
  const wanted = item.secretVersion;

  // 3. Moved already? Otherwise the source's current value (whatever the item names: a change made outside
  //    credval counts) is the one to copy.
  const inTarget = await versionsOf(deps.target, name);
  const source = await versionsOf(deps.source, name);
  const targetHasIt =
    inTarget !== null &&
    (wanted !== undefined
      ? inTarget.current.id === wanted
      : source !== null && sameValue(inTarget.current.value, source.current.value));
  if (!targetHasIt) {
    if (!source) throw new Unsettled('neither store holds the version its credential names');
    if (deps.dryRun) {
      result.notes.push({ name, outcome: 'would_move' });
      return 'would_move';
    }
    await copy(deps.target, name, source, {
      tenantId: owner.tenantId,
      credentialId: owner.credentialId,
      connector: item.connector,
    });
    // 4. Read it back: the same version, the same value.
    const copied = await versionsOf(deps.target, name);
    if (
      !copied ||
      copied.current.id !== source.current.id ||
      !sameValue(copied.current.value, source.current.value)
    ) {
      throw new Unsettled('the copy does not read back as the source (changed meanwhile)');
    }
    // A rotation that landed while this one moved: the copy may miss it, so it is left for the next run.
    const now = await deps.repository.get(owner.tenantId, owner.credentialId);
    if (now?.secretVersion !== wanted) {
      throw new Unsettled('its credential moved on to another version meanwhile');
    }
  } else if (deps.dryRun) {
    return 'already_moved';
  }

  // 5. Retire the source copy, only now that the target is verified (restorable for the recovery window).
  if (source && !deps.keepSource && !deps.dryRun) {
    await deps.source.scheduleDeletion(name, deps.recoveryDays);
    result.retired += 1;
  }
  return targetHasIt ? 'already_moved' : 'moved';
}

/**
 * Writes the source's versions into the target under their own ids: created with the previous version (if any)
 * and then the current one, or brought forward when the target holds an older copy (one this command left there
 * before, also one scheduled for deletion by a move the other way).
 */
async function copy(
  target: SecretStore,
  name: string,
  source: SecretVersions,
  tags: { tenantId: string; credentialId: string; connector: string },
): Promise<void> {
  const first: SecretVersion = source.previous ?? source.current;
  try {
    await target.create(name, first.value, { requestToken: first.id, tags });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // It exists: live with other versions, or scheduled for deletion (restored, then brought forward).
    await target.restore(name).catch((restoreError: unknown) => {
      if (!(restoreError instanceof SecretNotFoundError)) throw restoreError;
    });
  }
  await target.putCurrent(name, source.current.value, { requestToken: source.current.id });
  // The id may exist there already as an older version: putCurrent then leaves it where it is, so make it current.
  const now = await target.getVersions(name);
  if (now.current.id !== source.current.id) {
    await target.revertCurrent(name, { from: now.current.id, to: source.current.id });
  }
}
