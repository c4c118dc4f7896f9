import type { Identity, Permission, Warning } from '../../domain/report.ts';
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
 * Checks a Dolibarr API key (VENDORS.md 5.1): `/status` decides validity (any enabled user may call it),
 * `/users/info` adds identity and the rights tree when the user may read its own profile, and list
 * endpoints with `limit=1` fill in read rights when it may not. Read-only: nothing is written.
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

  // 2. /users/info: identity and rights. Ordinary users get 403 here (captured), which does not make the key invalid.
  let user: DolibarrUser | null = null;
  const infoResult = await get('users/info', '/users/info?includepermissions=1');
  if (infoResult.ok) user = parseDolibarrUser(infoResult);
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

  // 3. Rights per resource: from the rights tree when we have it, else a read-only list call per resource.
  const permissions: Permission[] = [];
  for (const resource of resourcesToReport(ctx.requirements, DOLIBARR_DEFAULT_RESOURCES)) {
    permissions.push(await dolibarrPermission(resource, user, get));
  }

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

async function dolibarrPermission(
  resource: string,
  user: DolibarrUser | null,
  get: (name: string, path: string) => ReturnType<ProbeContext['recorder']['send']>,
): Promise<Permission> {
  const rights = DOLIBARR_RESOURCE_RIGHTS[resource];
  if (user?.admin) return { resource, read: true, write: true };
  if (user?.rights && rights) {
    return { resource, read: hasRight(user.rights, rights.read), write: hasRight(user.rights, rights.write) };
  }
  if (!/^[a-z][a-z0-9_]*$/i.test(resource)) return { resource, read: null, write: null };
  const result = await get(`${resource} read`, `/${resource}?limit=1`);
  return { resource, read: result.ok ? classifyDolibarrResourceRead(result) : null, write: null };
}
