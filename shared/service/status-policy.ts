import type { CredentialStatus } from '../domain/credential.ts';
import type { Verdict } from '../domain/report.ts';

/**
 * The status a check leads to. A valid check restores `valid`; a definite rejection makes it `invalid`;
 * an inconclusive check proves nothing about the key, so it never flips the status (a stored credential
 * that could not be verified stays `unverified`).
 */
export function statusAfterCheck(current: CredentialStatus | null, verdict: Verdict): CredentialStatus {
  switch (verdict) {
    case 'valid':
      return 'valid';
    case 'invalid':
      return 'invalid';
    case 'inconclusive':
      return current ?? 'unverified';
    default: {
      const exhaustive: never = verdict;
      throw new Error(`unknown verdict ${String(exhaustive)}`);
    }
  }
}
