import type { Identity, Permission } from '../../domain/report.ts';
import { DEFAULT_CHECK_DEADLINE_MS } from '../check-budget.ts';
import { asRecord, failed, networkFinding, passed } from '../findings.ts';
import { resourcesToReport } from '../permissions.ts';
import type { FieldValues, ProbeContext, ProbeFinding } from '../types.ts';
import {
  classifyPrecoroResourceRead,
  classifyPrecoroUsers,
  isPrecoroAddressBlock,
  precoroAddressBlocked,
  precoroRateLimited,
} from './classify.ts';
import { PRECORO_HOSTS } from './fields.ts';
import { PRECORO_MIN_INTERVAL_MS, processPrecoroLedger } from './request-ledger.ts';

/** Precoro limits each account to one request a second, so by default only `/users` is asked. */
export const PRECORO_DEFAULT_RESOURCES = [] as const;

/**
 * Resources one Precoro check may ask about. At one request a second they fill at most half the default
 * deadline, leaving the other half for another check of the same account queued in front of this one.
 */
export const PRECORO_MAX_REQUIREMENTS = Math.floor(DEFAULT_CHECK_DEADLINE_MS / PRECORO_MIN_INTERVAL_MS / 2);

/**
 * Checks a Precoro token (README "What each check does"): one `GET /users` decides authentication; each further resource
 * is one distinct GET, a second apart, through the process-wide ledger that also stops the same GET from
 * being sent twice within a minute. A rejected token is never retried, and no other region is tried.
 */
export async function probePrecoro(fields: FieldValues, ctx: ProbeContext): Promise<ProbeFinding> {
  const base = fields.apiUrl ?? PRECORO_HOSTS[fields.region === 'us' ? 'us' : 'com'];
  const host = new URL(base).host;
  const email = fields.email ?? '';
  const ledger = ctx.precoroLedger ?? processPrecoroLedger;
  const account = ledger.account(fields.apiToken ?? '', email, host);
  const headers = { 'X-AUTH-TOKEN': fields.apiToken ?? '', email, accept: 'application/json' };

  const get = async (name: string, path: string) => {
    const url = `${base}${path}`;
    // One call at a time, whatever the budget allows: Precoro's pace is per account.
    const { result, cached } = await ledger.get(
      account,
      url,
      () => ctx.recorder.send(name, { method: 'GET', url, headers }),
      { signal: ctx.recorder.signal, notSent: () => ctx.recorder.notSent() },
    );
    if (cached) ctx.recorder.recordCached(name, 'GET', url, result.ok ? result.status : null);
    return result;
  };

  // 1. /users: authentication, and the user entry that matches the e-mail.
  const usersResult = await get('users', '/users?per_page=10');
  if (!usersResult.ok) return networkFinding(usersResult, fields.apiUrl ? 'apiUrl' : 'region', host);
  const auth = classifyPrecoroUsers(usersResult, ctx.now());
  if (auth.kind === 'finding') return auth.finding;

  // 2. Resources, each read once. If /users was refused, one resource decides whether the token works at all.
  const wanted = resourcesToReport(ctx.requirements, PRECORO_DEFAULT_RESOURCES).filter((r) => r !== 'users');
  if (auth.kind === 'users_denied' && wanted.length === 0) wanted.push('purchaseorders');
  const permissions: Permission[] = [{ resource: 'users', read: auth.kind === 'valid', write: null }];
  for (const resource of wanted) {
    if (!/^[a-z][a-z0-9-]*$/i.test(resource)) {
      permissions.push({ resource, read: null, write: null });
      continue;
    }
    const result = await get(`${resource} read`, `/${resource}?per_page=10`);
    if (result.ok && isPrecoroAddressBlock(result)) return { ...precoroAddressBlocked(), permissions };
    if (result.ok && result.status === 429) return precoroRateLimited(result, ctx.now());
    if (result.ok && result.status === 401) break; // revoked while we were checking: never retry it
    permissions.push({ resource, read: result.ok ? classifyPrecoroResourceRead(result) : null, write: null });
  }

  if (auth.kind === 'users_denied' && !permissions.some((p) => p.read === true)) {
    return failed(
      'invalid_credentials',
      'Precoro refused the token for every resource asked: check the token and e-mail.',
      {
        field: 'apiToken',
        permissions,
      },
    );
  }

  const me =
    auth.kind === 'valid' ? auth.users.map(asRecord).find((u) => sameEmail(u?.email, email)) : undefined;
  const name = [me?.firstName ?? me?.firstname, me?.lastName ?? me?.lastname]
    .filter((v) => typeof v === 'string')
    .join(' ');
  const identity: Identity = {
    userId: typeof me?.id === 'number' || typeof me?.id === 'string' ? me.id : null,
    login: email,
    name: name || null,
    email,
    admin: null,
    company: null,
  };
  const warnings =
    auth.kind === 'valid' && !me
      ? [
          {
            code: 'identity_partial' as const,
            message: 'The token works, but its user was not on the first page of Precoro users.',
          },
        ]
      : [];
  return passed(`The token works on Precoro (${host}) for ${email}.`, {
    identity,
    vendor: { product: 'precoro', apiHost: host, region: fields.apiUrl ? null : (fields.region ?? 'com') },
    permissions,
    warnings,
  });
}

function sameEmail(value: unknown, email: string): boolean {
  return typeof value === 'string' && value.toLowerCase() === email.toLowerCase();
}
