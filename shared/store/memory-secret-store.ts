import type { Page } from '../domain/credential.ts';
import { ConflictError, SecretNotFoundError } from '../domain/errors.ts';
import type { Clock, SecretStore, SecretSummary, SecretTags, SecretValue, SecretVersions } from './ports.ts';

/** Staging labels, as Secrets Manager names them. */
export const AWSCURRENT = 'AWSCURRENT';
export const AWSPREVIOUS = 'AWSPREVIOUS';

/**
 * Secrets Manager accepts a ClientRequestToken of 32 to 64 characters (a UUID is 36). Every adapter checks it,
 * so a token that would fail on AWS already fails in local mode and in tests.
 */
export function checkRequestToken(requestToken: string): void {
  if (typeof requestToken !== 'string' || requestToken.length < 32 || requestToken.length > 64) {
    throw new RangeError('A secret request token must be 32 to 64 characters long (a UUID fits).');
  }
}

/** Secrets Manager's recovery window: a whole number of days from 7 to 30. */
export function checkRecoveryWindow(days: number): void {
  if (!Number.isInteger(days) || days < 7 || days > 30) {
    throw new RangeError('The recovery window must be a whole number of days from 7 to 30.');
  }
}

/** One stored version of a secret; `payload` is whatever the adapter keeps (a copy, or ciphertext). */
export interface StoredVersion<P> {
  id: string;
  stages: string[];
  createdAt: string;
  payload: P;
}

/** One stored secret with its versions, as the adapters built on StagedSecretStore keep it. */
export interface StoredSecret<P> {
  name: string;
  tags: SecretTags;
  versions: StoredVersion<P>[];
  /**
   * Ids of versions pruned for having no label. Secrets Manager keeps such deprecated versions, so their
   * request tokens stay taken: a reuse is refused here too (the newest RETIRED_IDS_KEPT are remembered).
   */
  retiredVersionIds?: string[];
  deletion?: { scheduledAt: string; recoverUntil: string };
  /**
   * What an adapter whose storage is shared between processes needs to write conditionally (optimistic
   * concurrency): set by its `load`, checked and advanced by its `save`. The others leave it out.
   */
  revision?: number;
}

/**
 * Thrown by an adapter's `save` or `remove` when the stored secret changed since it was loaded (another process
 * wrote it): the operation is run again from its load, so it decides on what is stored now, exactly as if the two
 * had been serialised. Never leaves the store.
 */
export class StaleSecretError extends Error {
  constructor() {
    super('The stored secret changed since it was read.');
    this.name = 'StaleSecretError';
  }
}

/** How often an operation that lost an optimistic race is run again before it gives up with a ConflictError. */
const STALE_ATTEMPTS = 5;

/** Secrets Manager keeps about 100 versions of a secret. */
const RETIRED_IDS_KEPT = 100;

/** A stored secret as MemorySecretStore.describe shows it: everything but the values. */
export type SecretDescription = Omit<StoredSecret<never>, 'versions'> & {
  versions: { id: string; stages: string[] }[];
};

const systemClock: Clock = { now: () => new Date() };
const locks = new Map<string, Promise<void>>();
let nextScope = 0;

function sameValue(a: SecretValue, b: SecretValue): boolean {
  const keys = Object.keys(a);
  return (
    keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key])
  );
}

/**
 * Makes `target` the current version as Secrets Manager does: the version that loses AWSCURRENT becomes
 * AWSPREVIOUS, and the label AWSPREVIOUS leaves any other version.
 */
function moveCurrent<P>(secret: StoredSecret<P>, target: StoredVersion<P>): void {
  for (const v of secret.versions) {
    const wasCurrent = v.stages.includes(AWSCURRENT);
    v.stages = v.stages.filter((stage) => stage !== AWSPREVIOUS && stage !== AWSCURRENT);
    if (wasCurrent && v !== target) v.stages.push(AWSPREVIOUS);
  }
  target.stages = [...target.stages.filter((stage) => stage !== AWSCURRENT), AWSCURRENT];
}

function notFound(): SecretNotFoundError {
  return new SecretNotFoundError('The stored secret is missing or scheduled for deletion.');
}

/**
 * The Secrets Manager staging semantics, shared by the in-memory, the local-file and the envelope adapters so they
 * cannot drift apart: request tokens are version ids (a retry with the same token and value is a no-op, with
 * another value a ConflictError); a new current value labels the old current AWSPREVIOUS; versions left without a
 * label are pruned; a secret scheduled for deletion reads as missing until restored, and is gone once its recovery
 * window has passed. Operations on one name are serialised within the process (read, change, write); across
 * processes an adapter writes conditionally and throws StaleSecretError when it lost, and the operation is run
 * again on what is stored now.
 */
export abstract class StagedSecretStore<P> implements SecretStore {
  private readonly scope: string;

  protected constructor(
    scope: string | undefined,
    protected readonly clock: Clock = systemClock,
  ) {
    nextScope += 1;
    this.scope = scope ?? `memory#${nextScope}`;
  }

  /** The stored secret (a copy the caller may change), or null. */
  protected abstract load(name: string): Promise<StoredSecret<P> | null>;
  /** The names of every stored secret. */
  protected abstract names(): Promise<string[]>;
  protected abstract save(secret: StoredSecret<P>): Promise<void>;
  protected abstract remove(name: string): Promise<void>;
  /** Encrypts (or copies) one version's value; `versionId` is the version it will be stored as. */
  protected abstract seal(name: string, value: SecretValue, versionId: string): Promise<P>;
  protected abstract open(name: string, payload: P, versionId: string): Promise<SecretValue>;

  async create(
    name: string,
    value: SecretValue,
    options: { requestToken: string; tags: SecretTags },
  ): Promise<void> {
    checkRequestToken(options.requestToken);
    await this.locked(name, async () => {
      const existing = await this.loadUnexpired(name);
      if (existing) {
        if (existing.deletion) {
          throw new ConflictError('A secret with this name is scheduled for deletion.');
        }
        const version = existing.versions.find((v) => v.id === options.requestToken);
        if (version && sameValue(await this.open(name, version.payload, version.id), value)) return;
        throw new ConflictError('A secret with this name already exists.');
      }
      await this.save({
        name,
        tags: { ...options.tags },
        versions: [await this.version(name, options.requestToken, AWSCURRENT, value)],
      });
    });
  }

  async getCurrent(name: string): Promise<SecretValue> {
    return this.locked(name, async () => {
      const secret = await this.loadLive(name);
      const current = secret.versions.find((v) => v.stages.includes(AWSCURRENT));
      if (!current) throw notFound();
      return this.open(name, current.payload, current.id);
    });
  }

  async getVersions(name: string): Promise<SecretVersions> {
    return this.locked(name, async () => {
      const secret = await this.loadLive(name);
      const current = secret.versions.find((v) => v.stages.includes(AWSCURRENT));
      if (!current) throw notFound();
      const previous = secret.versions.find((v) => v.stages.includes(AWSPREVIOUS));
      return {
        current: { id: current.id, value: await this.open(name, current.payload, current.id) },
        previous: previous
          ? { id: previous.id, value: await this.open(name, previous.payload, previous.id) }
          : null,
      };
    });
  }

  async putCurrent(name: string, value: SecretValue, options: { requestToken: string }): Promise<string> {
    checkRequestToken(options.requestToken);
    return this.locked(name, async () => {
      const secret = await this.loadLive(name);
      const existing = secret.versions.find((v) => v.id === options.requestToken);
      if (existing) {
        if (sameValue(await this.open(name, existing.payload, existing.id), value)) return existing.id;
        throw new ConflictError('This request token was already used for a different secret value.');
      }
      if (secret.retiredVersionIds?.includes(options.requestToken)) {
        throw new ConflictError(
          'This request token belongs to a version that was superseded; use a new token.',
        );
      }
      const version = await this.version(name, options.requestToken, AWSCURRENT, value);
      moveCurrent(secret, version);
      secret.versions.push(version);
      await this.saveLive(secret);
      return options.requestToken;
    });
  }

  async revertCurrent(name: string, versions: { from: string; to: string }): Promise<void> {
    await this.locked(name, async () => {
      const secret = await this.loadLive(name);
      const from = secret.versions.find((v) => v.id === versions.from);
      const to = secret.versions.find((v) => v.id === versions.to);
      // Someone moved the label since: nothing of ours to undo.
      if (!from?.stages.includes(AWSCURRENT) || !to || from === to) return;
      moveCurrent(secret, to);
      await this.saveLive(secret);
    });
  }

  async scheduleDeletion(name: string, recoveryWindowDays: number): Promise<void> {
    checkRecoveryWindow(recoveryWindowDays);
    await this.locked(name, async () => {
      const secret = await this.loadUnexpired(name);
      if (!secret) throw notFound();
      if (secret.deletion) return;
      const now = this.clock.now();
      const recoverUntil = new Date(now.getTime() + recoveryWindowDays * 86_400_000);
      secret.deletion = { scheduledAt: now.toISOString(), recoverUntil: recoverUntil.toISOString() };
      await this.save(secret);
    });
  }

  async restore(name: string): Promise<void> {
    await this.locked(name, async () => {
      const secret = await this.loadUnexpired(name);
      if (!secret) throw notFound();
      if (!secret.deletion) return;
      delete secret.deletion;
      await this.save(secret);
    });
  }

  async deleteNow(name: string): Promise<void> {
    await this.locked(name, () => this.remove(name));
  }

  async list(
    prefix: string,
    options: { limit: number; cursor?: string | null },
  ): Promise<Page<SecretSummary>> {
    if (!Number.isInteger(options.limit) || options.limit < 1)
      throw new RangeError('limit must be a positive integer');
    const after = options.cursor ?? '';
    const names = (await this.names()).filter((name) => name.startsWith(prefix) && name > after).sort();
    const summaries: SecretSummary[] = [];
    for (const name of names.slice(0, options.limit)) {
      const secret = await this.loadUnexpired(name);
      if (!secret) continue;
      const first = secret.versions.map((v) => v.createdAt).sort()[0] ?? this.clock.now().toISOString();
      summaries.push({ name, createdAt: first, deletionScheduled: secret.deletion !== undefined });
    }
    const last = names[options.limit - 1];
    return { items: summaries, nextCursor: names.length > options.limit && last ? last : null };
  }

  protected async version(name: string, id: string, stage: string, value: SecretValue) {
    return {
      id,
      stages: [stage],
      createdAt: this.clock.now().toISOString(),
      payload: await this.seal(name, value, id),
    } satisfies StoredVersion<P>;
  }

  /** The secret, or null when absent or past its recovery window (then it is purged). */
  private async loadUnexpired(name: string): Promise<StoredSecret<P> | null> {
    const secret = await this.load(name);
    if (!secret) return null;
    if (secret.deletion && Date.parse(secret.deletion.recoverUntil) <= this.clock.now().getTime()) {
      await this.remove(name);
      return null;
    }
    return secret;
  }

  /** The secret if it exists and is not scheduled for deletion; SecretNotFoundError otherwise. */
  private async loadLive(name: string): Promise<StoredSecret<P>> {
    const secret = await this.loadUnexpired(name);
    if (!secret || secret.deletion) throw notFound();
    return secret;
  }

  private async saveLive(secret: StoredSecret<P>): Promise<void> {
    const pruned = secret.versions.filter((v) => v.stages.length === 0).map((v) => v.id);
    if (pruned.length > 0) {
      secret.retiredVersionIds = [...(secret.retiredVersionIds ?? []), ...pruned].slice(-RETIRED_IDS_KEPT);
      secret.versions = secret.versions.filter((v) => v.stages.length > 0);
    }
    await this.save(secret);
  }

  /** Runs `run` after every earlier operation on `name` in this process, again while it loses a race to another. */
  protected locked<T>(name: string, run: () => Promise<T>): Promise<T> {
    const key = `${this.scope}\u0000${name}`;
    const attempt = async (): Promise<T> => {
      for (let tries = 1; ; tries++) {
        try {
          return await run();
        } catch (error) {
          if (!(error instanceof StaleSecretError)) throw error;
          if (tries >= STALE_ATTEMPTS) {
            throw new ConflictError('The secret is being changed by someone else at the same time; retry.');
          }
        }
      }
    };
    const result = (locks.get(key) ?? Promise.resolve()).then(attempt);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    locks.set(key, settled);
    void settled.then(() => {
      if (locks.get(key) === settled) locks.delete(key);
    });
    return result;
  }
}

/**
 * Secrets in memory, with the same semantics as Secrets Manager (see StagedSecretStore). For tests; values are
 * deep-copied in and out, so a caller can never change what is stored.
 */
export class MemorySecretStore extends StagedSecretStore<SecretValue> {
  private readonly secrets = new Map<string, StoredSecret<SecretValue>>();

  constructor(options: { clock?: Clock } = {}) {
    super(undefined, options.clock);
  }

  /** Names of all stored secrets, including those scheduled for deletion (to assert nothing is orphaned). */
  async names(): Promise<string[]> {
    return [...this.secrets.keys()].sort();
  }

  /** What is stored under `name`, without the values: tags, versions with their stages, deletion. */
  describe(name: string): SecretDescription | null {
    const secret = this.secrets.get(name);
    if (!secret) return null;
    return structuredClone({
      name: secret.name,
      tags: secret.tags,
      versions: secret.versions.map((v) => ({ id: v.id, stages: v.stages })),
      ...(secret.retiredVersionIds ? { retiredVersionIds: secret.retiredVersionIds } : {}),
      ...(secret.deletion ? { deletion: secret.deletion } : {}),
    });
  }

  protected async load(name: string): Promise<StoredSecret<SecretValue> | null> {
    const secret = this.secrets.get(name);
    return secret ? structuredClone(secret) : null;
  }

  protected async save(secret: StoredSecret<SecretValue>): Promise<void> {
    this.secrets.set(secret.name, structuredClone(secret));
  }

  protected async remove(name: string): Promise<void> {
    this.secrets.delete(name);
  }

  protected async seal(_name: string, value: SecretValue): Promise<SecretValue> {
    return structuredClone(value);
  }

  protected async open(_name: string, payload: SecretValue): Promise<SecretValue> {
    return structuredClone(payload);
  }
}
