import type { Report } from '../domain/report.ts';

/** Secrets shorter than this are not searched for: they would redact ordinary words and prove nothing. */
const MIN_SECRET_LENGTH = 4;
/** An encoded fragment shorter than this is too likely to occur by chance. */
const MIN_FRAGMENT_LENGTH = 8;
const REDACTED = '[redacted]';

/**
 * The ways a vendor may echo a secret back: as given, upper- or lower-cased, URL-encoded (either hex case,
 * `+` for spaces) and base64 (standard or URL-safe, on its own or inside a longer encoded text, where only
 * the part that depends on the secret alone can be matched).
 */
export function secretForms(secret: string): string[] {
  if (secret.length < MIN_SECRET_LENGTH) return [];
  const forms = new Set<string>([secret, secret.toUpperCase(), secret.toLowerCase()]);
  const encoded = encodeURIComponent(secret);
  forms.add(encoded);
  forms.add(encoded.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()));
  forms.add(encoded.replaceAll('%20', '+'));
  const bytes = Buffer.from(secret, 'utf8');
  for (const offset of [0, 1, 2]) {
    const text = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    // Characters of the first group mix in the preceding bytes; those of the last partial group the following.
    const start = offset === 0 ? 0 : 4;
    const end = Math.floor((offset + bytes.length) / 3) * 4;
    const fragments = offset === 0 ? [text, text.slice(start, end)] : [text.slice(start, end)];
    for (const fragment of fragments) {
      if (fragment.length < MIN_FRAGMENT_LENGTH) continue;
      forms.add(fragment);
      forms.add(fragment.replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, ''));
    }
  }
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

/** A replacer for free text that removes every form of every secret, longest first; identity when none. */
export function secretScrubber(secrets: readonly string[]): (text: string) => string {
  const forms = [...new Set(secrets.flatMap(secretForms))].sort((a, b) => b.length - a.length);
  if (forms.length === 0) return (text) => text;
  const pattern = new RegExp(forms.map(escapeRegExp).join('|'), 'g');
  return (text) => text.replace(pattern, REDACTED);
}

/**
 * Removes secrets from the free text of a report: messages, identity, vendor details, resource names, probe
 * names and URLs. Codes and enum values (verdict, reason, field, warning codes, outcomes, methods, the time)
 * are never touched, so a secret that happens to spell one ("valid", "http") cannot break the report.
 */
export function scrubReport(report: Report, secrets: readonly string[]): Report {
  const scrub = secretScrubber(secrets);
  const value = <T>(v: T): T => (typeof v === 'string' ? (scrub(v) as T) : v);
  return {
    ...report,
    message: scrub(report.message),
    identity: report.identity && {
      userId: value(report.identity.userId),
      login: value(report.identity.login),
      name: value(report.identity.name),
      email: value(report.identity.email),
      admin: report.identity.admin,
      company: value(report.identity.company),
    },
    vendor: Object.fromEntries(Object.entries(report.vendor).map(([key, v]) => [key, value(v)])),
    permissions: report.permissions.map((p) => ({ ...p, resource: scrub(p.resource) })),
    warnings: report.warnings.map((w) => ({ ...w, message: scrub(w.message) })),
    probes: report.probes.map((p) => ({ ...p, name: scrub(p.name), url: scrub(p.url) })),
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
