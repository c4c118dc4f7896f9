import type { VendorFactSpec } from '../shared/connectors/types.ts';
import type { Report } from '../shared/domain/report.ts';

const yesNo = (v: boolean | null) => (v === null ? 'unknown' : v ? 'yes' : 'no');

/**
 * A report as a few readable lines for a terminal (the `--json` output is the report itself); `vendorFacts`
 * (the connector's) names what was learned about the vendor in words instead of keys.
 */
export function formatReport(
  report: Report,
  vendorFacts: Readonly<Record<string, VendorFactSpec>> = {},
): string {
  const lines: string[] = [];
  const head = report.verdict.toUpperCase() + (report.reason ? ` (${report.reason})` : '');
  lines.push(`${head}  ${report.message}`);
  if (report.field) lines.push(`  Field to fix  ${report.field}`);
  if (report.retryAfterSeconds !== null) lines.push(`  Retry after   ${report.retryAfterSeconds} s`);
  else if (report.verdict === 'inconclusive')
    lines.push(`  Retry         ${report.retryable ? 'later' : 'not useful'}`);
  if (report.identity) {
    const { login, name, email, admin, company, userId } = report.identity;
    const who = `${login ?? '?'}${name ? ` (${name})` : ''}${email && email !== login ? ` <${email}>` : ''}`;
    const parts = [
      who,
      userId !== null ? `id ${userId}` : '',
      company ? `company ${company}` : '',
      admin === null ? '' : admin ? 'administrator' : 'not an administrator',
    ].filter(Boolean);
    lines.push(`  Identity      ${parts.join(', ')}`);
  }
  const vendor = Object.entries(report.vendor).filter(([, v]) => v !== null);
  const fact = ([key, value]: [string, unknown]) => {
    const spec = vendorFacts[key];
    const shown =
      typeof value === 'boolean' ? (value ? 'yes' : 'no') : (spec?.values?.[String(value)] ?? String(value));
    return `${spec?.label ?? key} ${shown}`;
  };
  if (vendor.length > 0) lines.push(`  Vendor        ${vendor.map(fact).join(', ')}`);
  if (report.permissions.length > 0) {
    lines.push('  Permissions');
    for (const p of report.permissions)
      lines.push(`    ${p.resource}: read ${yesNo(p.read)}, write ${yesNo(p.write)}`);
  }
  if (report.warnings.length > 0) {
    lines.push('  Warnings');
    for (const w of report.warnings) lines.push(`    ${w.code}: ${w.message}`);
  }
  lines.push(`  Calls (${report.durationMs} ms)`);
  for (const p of report.probes) {
    lines.push(
      `    ${p.method} ${p.url}${p.description ? ` [${p.description}]` : ''} -> ${p.status ?? p.outcome} (${p.ms} ms${p.outcome === 'cached' ? ', cached' : ''})`,
    );
  }
  return `${lines.join('\n')}\n`;
}
