import type { Warning } from '../domain/report.ts';
import type { FieldSpec, FieldValues } from './types.ts';

/** Result of tidying one base URL: the URL to use and what was changed, in words. */
export interface UrlFix {
  url: string;
  changes: string[];
}

/**
 * Tidies a pasted base URL: trims it, adds https:// when no scheme is given, drops query, fragment and
 * trailing slashes, and cuts a pasted API or UI path (`suffixes`, matched at the end of the path).
 */
export function normalizeBaseUrl(raw: string, suffixes: readonly RegExp[]): UrlFix {
  const changes: string[] = [];
  let text = raw.trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    text = `https://${text}`;
    changes.push('added https://');
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { url: text, changes };
  }
  if (url.search || url.hash) {
    url.search = '';
    url.hash = '';
    changes.push('removed the query string');
  }
  let path = url.pathname;
  for (const suffix of suffixes) {
    const cut = path.replace(suffix, '');
    if (cut !== path) {
      changes.push(`removed ${path.slice(cut.length)}`);
      path = cut;
      break;
    }
  }
  const trimmed = path.replace(/\/+$/, '');
  // The URL parser turns "host" into "host/", so ask the text whether the user typed the slash.
  if (trimmed !== path && /\/$/.test(text.replace(/[?#].*$/, ''))) changes.push('removed the trailing slash');
  path = trimmed;
  const origin = `${url.protocol}//${url.host}`;
  return { url: origin + path, changes };
}

/**
 * Turns raw form input into trimmed strings, one per declared field, and reports spaces it removed.
 * Unknown keys are kept so that the schema can reject them by name.
 */
export function trimFields(
  input: Record<string, unknown>,
  specs: readonly FieldSpec[],
): {
  fields: Record<string, unknown>;
  warnings: Warning[];
} {
  const fields: Record<string, unknown> = { ...input };
  const warnings: Warning[] = [];
  for (const spec of specs) {
    const value = input[spec.key];
    if (typeof value === 'number' && spec.format === 'integer') fields[spec.key] = String(value);
    if (typeof value !== 'string') continue;
    const trimmed = value.trim();
    if (trimmed === '') {
      delete fields[spec.key];
      continue;
    }
    if (trimmed !== value) {
      warnings.push({
        code: 'url_normalized',
        message: `Removed spaces around ${spec.label}: the vendor would have refused the value with them.`,
      });
    }
    fields[spec.key] = trimmed;
  }
  return { fields, warnings };
}

/** Applies `normalizeBaseUrl` to one field and reports the change as a `url_normalized` warning. */
export function fixUrlField(
  fields: Record<string, unknown>,
  key: string,
  label: string,
  suffixes: readonly RegExp[],
): Warning[] {
  const value = fields[key];
  if (typeof value !== 'string') return [];
  const fix = normalizeBaseUrl(value, suffixes);
  fields[key] = fix.url;
  if (fix.changes.length === 0) return [];
  return [{ code: 'url_normalized', message: `${label} changed to ${fix.url} (${fix.changes.join(', ')}).` }];
}

/** Narrows already-validated values to the FieldValues shape. */
export function asFieldValues(fields: Record<string, unknown>): FieldValues {
  const out: FieldValues = {};
  for (const [key, value] of Object.entries(fields)) if (typeof value === 'string') out[key] = value;
  return out;
}
