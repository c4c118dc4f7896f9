import { chmod, mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Environment } from '../shared/app/environment.ts';
import { serviceConfigOf } from '../shared/app/service-config.ts';
import { openStorage, type SecretStoreKind } from '../shared/app/storage.ts';
import { type MigrateResult, type MoveOutcome, migrateSecrets } from '../shared/service/migrate-secrets.ts';
import { lockDataDir } from './data-dir-lock.ts';
import { quietLocalDiagnostics } from './local-logging.ts';
import { startProgress, type TerminalStream } from './progress.ts';

export interface MigrateOptions {
  to: SecretStoreKind;
  dryRun: boolean;
  keepSource: boolean;
  /** Secrets moved at once. */
  concurrency: number;
  json: boolean;
}

/** How each outcome reads in the summary. */
const OUTCOME_WORDS: Record<MoveOutcome, string> = {
  moved: 'moved',
  already_moved: 'already there',
  would_move: 'would move',
  orphan: 'no credential (left where it is)',
  foreign: 'not credval’s (left alone)',
  deleted: 'scheduled for deletion (left to expire)',
  unsettled: 'changing meanwhile (run again)',
  failed: 'failed (run again)',
};

const STORE_WORDS: Record<SecretStoreKind, { aws: string; local: string }> = {
  secretsmanager: { aws: 'Secrets Manager', local: 'the encrypted file store' },
  envelope: { aws: 'the envelope store (KMS)', local: 'the envelope store (local key file)' },
};

/** A text progress bar: `Moving secrets to envelope [#####.....] 512/1024`. */
export function progressBar(label: string, done: number, total: number, width = 24): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

/**
 * `credval secrets migrate`: moves the deployment's secrets from the other store into `options.to` (README
 * "Moving between stores"). Locally it holds the data dir like the server does, so the two never run at once.
 * Prints a summary (or JSON) on `stdout`, a progress bar on `stderr` when it is a terminal. True when every
 * secret is where it should be and reads.
 */
export async function migrateCommand(
  env: Environment,
  options: MigrateOptions,
  io: { stdout: NodeJS.WritableStream; stderr: TerminalStream },
): Promise<boolean> {
  quietLocalDiagnostics(env);
  const from: SecretStoreKind = options.to === 'envelope' ? 'secretsmanager' : 'envelope';
  const where = env.STORAGE === 'aws' ? 'aws' : 'local';
  const dataDir = resolve(env.DATA_DIR);
  let release = async () => {};
  if (env.STORAGE !== 'aws') {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await chmod(dataDir, 0o700);
    const lock = await lockDataDir(dataDir);
    release = () => lock.release();
  }
  try {
    const storage = await openStorage(env, dataDir);
    let result: MigrateResult;
    const config = serviceConfigOf(env);
    let done = 0;
    let total = 0;
    const label = `${options.dryRun ? 'Looking at' : 'Moving'} secrets to ${options.to}`;
    const progress = startProgress(io.stderr, () => progressBar(label, done, total));
    try {
      result = await migrateSecrets({
        source: storage.secretStore(from),
        target: storage.secretStore(options.to),
        repository: storage.repository,
        secretPrefix: config.secretPrefix,
        recoveryDays: config.deletionRecoveryDays,
        dryRun: options.dryRun,
        keepSource: options.keepSource,
        concurrency: options.concurrency,
        onProgress: (d, t) => {
          done = d;
          total = t;
        },
      });
    } finally {
      progress.stop();
      await storage.close();
    }
    const ok = result.outcomes.unsettled === 0 && result.outcomes.failed === 0 && result.unreadable === 0;
    if (options.json) {
      io.stdout.write(
        `${JSON.stringify({ from, to: options.to, dryRun: options.dryRun, ...result }, null, 2)}\n`,
      );
      return ok;
    }
    const lines = [
      `${options.dryRun ? 'Dry run: nothing changed. ' : ''}Secrets under ${config.secretPrefix}/ in ${STORE_WORDS[from][where]}: ${result.examined}`,
    ];
    for (const [outcome, count] of Object.entries(result.outcomes) as Array<[MoveOutcome, number]>) {
      if (count > 0) lines.push(`  ${OUTCOME_WORDS[outcome]}: ${count}`);
    }
    if (!options.dryRun) {
      lines.push(
        options.keepSource
          ? `  source copies kept (--keep-source)`
          : `  source copies retired: ${result.retired} (restorable for ${config.deletionRecoveryDays} days)`,
      );
      lines.push(
        `Read back from ${STORE_WORDS[options.to][where]}: ${result.verified} credentials` +
          (result.unreadable > 0 ? `, ${result.unreadable} unreadable` : ''),
      );
    }
    for (const note of result.notes) {
      lines.push(
        `  ${note.outcome === 'would_move' ? 'would move' : note.outcome}: ${note.name}${note.reason ? ` (${note.reason})` : ''}`,
      );
    }
    io.stdout.write(`${lines.join('\n')}\n`);
    return ok;
  } finally {
    await release();
  }
}
