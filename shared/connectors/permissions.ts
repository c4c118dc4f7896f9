import type { Permission, Requirement, Warning } from '../domain/report.ts';
import { failed } from './findings.ts';
import type { ProbeFinding } from './types.ts';

/** The resources a check reports on: the required ones first, else the connector's defaults. */
export function resourcesToReport(
  requirements: readonly Requirement[],
  defaults: readonly string[],
): string[] {
  const named = requirements.map((r) => r.resource);
  return [...new Set(named.length > 0 ? named : defaults)];
}

/** Which operations the requirements ask for on each resource. */
export function requiredAccess(
  requirements: readonly Requirement[],
  resource: string,
): Set<'read' | 'write'> {
  return new Set(requirements.filter((r) => r.resource === resource).flatMap((r) => r.access));
}

/**
 * Holds a valid finding against the requirements: a right that is known to be missing makes the check
 * `invalid` / `insufficient_permissions`; a right that could not be determined without writing stays
 * valid and is said in the message. Without requirements, permissions are only reported.
 */
export function enforceRequirements(
  finding: ProbeFinding,
  requirements: readonly Requirement[],
): ProbeFinding {
  if (finding.verdict !== 'valid' || requirements.length === 0) return finding;
  const missing: string[] = [];
  const unknown: string[] = [];
  for (const requirement of requirements) {
    const row: Permission | undefined = finding.permissions.find((p) => p.resource === requirement.resource);
    for (const access of requirement.access) {
      const value = row ? row[access] : null;
      if (value === false) missing.push(`${access} ${requirement.resource}`);
      else if (value === null) unknown.push(`${access} ${requirement.resource}`);
    }
  }
  if (missing.length > 0) {
    return failed(
      'insufficient_permissions',
      `The credential works but may not ${missing.join(', ')}: grant these rights to its user.`,
      {
        identity: finding.identity,
        vendor: finding.vendor,
        permissions: finding.permissions,
        warnings: finding.warnings,
        retryable: false,
      },
    );
  }
  if (unknown.length > 0) {
    return {
      ...finding,
      message: `${finding.message} Could not tell without writing whether it may ${unknown.join(', ')}.`,
    };
  }
  return finding;
}

/**
 * A valid credential that may read none of the resources checked works for nothing an integration does with
 * it: say so (`no_read_access`) instead of letting it pass as plainly valid. Rows that could not be determined
 * (`null`) neither raise nor silence the warning, but at least one must be known to be refused.
 */
export function readAccessWarnings(finding: ProbeFinding): Warning[] {
  if (finding.verdict !== 'valid') return [];
  const rows = finding.permissions;
  if (rows.some((p) => p.read === true) || !rows.some((p) => p.read === false)) return [];
  const names = rows.filter((p) => p.read === false).map((p) => p.resource);
  return [
    {
      code: 'no_read_access',
      message: `The credential works but may read none of the resources checked (${names.join(', ')}): grant its user read rights, or it will see no data.`,
    },
  ];
}
