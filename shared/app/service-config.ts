import { ServiceConfig } from '../service/config.ts';
import { lambdaSettings } from './lambda-environment.ts';
import { once } from './once.ts';
import { ServiceSettings } from './settings/service.ts';

/** The service tunables from the environment. */
export function serviceConfigOf(env: ServiceSettings): ServiceConfig {
  return ServiceConfig.parse({
    secretPrefix: env.SECRET_PREFIX,
    checkIntervalMs: env.CHECK_INTERVAL,
    invalidConfirmAfterMs: env.INVALID_CONFIRM_AFTER,
    historyTtlDays: env.HISTORY_TTL_DAYS,
    checkedEvents: env.CHECKED_EVENTS,
    deletionRecoveryDays: env.SECRET_RECOVERY_DAYS,
    reconcileGraceMs: env.RECONCILE_GRACE,
  });
}

/** The container's service tunables. */
export const lambdaServiceConfig = once(() => serviceConfigOf(lambdaSettings(ServiceSettings)));
