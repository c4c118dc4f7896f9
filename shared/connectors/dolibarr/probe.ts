import type { Identity, Permission, Warning } from '../../domain/report.ts';
import type { OutboundResult } from '../../net/types.ts';
import { httpsUpgradeWarning, networkFinding, passed } from '../findings.ts';
import { resourcesToReport } from '../permissions.ts';
import type { FieldValues, ProbeContext, ProbeFinding } from '../types.ts';
import {
  classifyDolibarrResourceRead,
  classifyDolibarrStatus,
  type DolibarrUser,
  hasRight,
  parseDolibarrUser,
} from './classify.ts';
import { DOLIBARR_RESOURCE_RIGHTS } from './fields.ts';

export const DOLIBARR_DEFAULT_RESOURCES = ['thirdparties'] as const;

/**
 * Checks a Dolibarr API key (README "What each check does"): `/status` decides validity first (any enabled user may call it,
 * and a refused key costs Dolibarr a deliberate second, which must not be multiplied). Then, at once,
 * `/users/info` for identity and the rights tree and a list call with `limit=1` per resource, whose answer
 * gives read rights when the user may not read its own profile. Read-only: nothing is written.
 */
export async function probeDolibarr(fields: FieldValues, ctx: ProbeContext): Promise<ProbeFinding> {
  const base = `${fields.baseUrl}/api/index.php`;
  const host = new URL(fields.baseUrl ?? '').host;
  const headers: Record<string, string> = { DOLAPIKEY: fields.apiKey ?? '', accept: 'application/json' };
  if (fields.entity) headers.DOLAPIENTITY = fields.entity;
  const get = (name: string, path: string) =>
    ctx.recorder.send(name, { method: 'GET', url: `${base}${path}`, headers });

  // 1. /status: the cheapest proof that the key is valid. A failed key costs ~1 s (Dolibarr's sleep(1)).
  const statusResult = await get('status', '/status');
  if (!statusResult.ok) return networkFinding(statusResult, 'baseUrl', host);
  const status = classifyDolibarrStatus(statusResult, ctx.now());
  if ('verdict' in status) return status;

  const warnings: Warning[] = [];
  const upgrade = ctx.recorder.httpsUpgrade;
  if (upgrade)
    warnings.push(
      httpsUpgradeWarning('the Dolibarr URL', upgrade.to + new URL(fields.baseUrl ?? '').pathname),
    );
  if (status.accessLocked) {
    warnings.push({
      code: 'instance_locked',
      message:
        'Dolibarr is locked for maintenance (only one login allowed): integrations may fail until it is unlocked.',
    });
  }

  // 2. /users/info for identity and rights, and the list calls, at once: whether the rights tree comes back is
  // only known afterwards, and waiting for it would add a round trip for every user without one.
  // Ordinary users get 403 on /users/info (captured), which does not make the key invalid.
  const resources = resourcesToReport(ctx.requirements, DOLIBARR_DEFAULT_RESOURCES);
  const [infoResult, ...reads] = await Promise.all([
    get('users/info', '/users/info?includepermissions=1'),
    ...resources.map((resource) =>
      LISTABLE.test(resource) ? get(`${resource} read`, `/${resource}?limit=1`) : Promise.resolve(null),
    ),
  ]);
  let user: DolibarrUser | null = null;
  if (infoResult?.ok) user = parseDolibarrUser(infoResult);
  if (!user) {
    warnings.push({
      code: 'identity_partial',
      message:
        'The key is valid but its user may not read its own profile, so identity and rights are partial (grant "Read/modify own user" to show them).',
    });
  } else if (user.admin) {
    warnings.push({
      code: 'admin_credential',
      message:
        'This key belongs to a Dolibarr administrator: a dedicated user with only the needed rights is safer.',
    });
  }

  // 3. Rights per resource: from the rights tree when we have it, else from the list call.
  const permissions = resources.map((resource, i) => dolibarrPermission(resource, user, reads[i] ?? null));

  const identity: Identity | null = user
    ? {
        userId: user.id,
        login: user.login,
        name: user.name,
        email: user.email,
        admin: user.admin,
        company: null,
      }
    : null;
  const who = user?.login ? ` as ${user.login}` : '';
  return passed(`The API key works on Dolibarr ${status.version}${who}.`, {
    identity,
    vendor: { product: 'dolibarr', version: status.version, accessLocked: status.accessLocked },
    permissions,
    warnings,
  });
}

/** Resource names that can be a list endpoint (`/thirdparties?limit=1`); anything else is not asked. */
const LISTABLE = /^[a-z][a-z0-9_]*$/i;

function dolibarrPermission(
  resource: string,
  user: DolibarrUser | null,
  read: OutboundResult | null,
): Permission {
  const rights = DOLIBARR_RESOURCE_RIGHTS[resource];
  if (user?.admin) return { resource, read: true, write: true };
  if (user?.rights && rights) {
    return { resource, read: hasRight(user.rights, rights.read), write: hasRight(user.rights, rights.write) };
  }
  return { resource, read: read?.ok ? classifyDolibarrResourceRead(read) : null, write: null };
}
