// Precoro REST API simulator. There are no recordings for Precoro: routes, pagination and the 429 body follow
// ../shared/VENDORS.md section 3 (Postman collection, help.precoro.com, tap-precoro, open-connector). The
// bodies of 400/401/403/404 answers and the record shapes are UNVERIFIED guesses, as is the text of the
// per-second, hourly and daily 429 types; only the duplicate-GET 429 body is quoted from Precoro's help page.
// The address block after failed logins follows the Postman doc's warning; its 403 text is the one customers
// report ("Access from your IP address is temporarily blocked"), its threshold is UNVERIFIED.
import type { ServerResponse } from 'node:http';
import {
  type CommonOptions,
  type SimRequest,
  type SimulatorHandle,
  send,
  startSimulatorServer,
} from './common.ts';

export type PrecoroResource =
  | 'users'
  | 'purchaseorders'
  | 'invoices'
  | 'suppliers'
  | 'items'
  | 'warehouses'
  | 'taxes'
  | 'expenses';

export interface PrecoroUser {
  id: number;
  email: string;
  firstName?: string;
  lastName?: string;
}

export interface PrecoroAccount {
  /** X-AUTH-TOKEN value. */
  token: string;
  /** The `email` header must equal this (the key belongs to one user and company). */
  email: string;
  /** Entries of GET /users. Default: one user for `email`. */
  users?: PrecoroUser[];
  /** Readable endpoints; others answer 403. Default users, purchaseorders, invoices, suppliers, items. */
  resources?: PrecoroResource[];
  /** Records per resource (users come from `users`). Default none. */
  records?: Partial<Record<Exclude<PrecoroResource, 'users'>, Array<Record<string, unknown>>>>;
  revoked?: boolean;
}

export interface PrecoroConfig extends CommonOptions {
  accounts: PrecoroAccount[];
  /** At most one request per this interval per token. Default 1000. */
  minIntervalMs?: number;
  /** The same GET (path + query) is refused within this window per token. Default 60 000. */
  duplicateWindowMs?: number;
  /** Default 1500 requests per rolling hour per token. */
  hourlyLimit?: number;
  /** Default 3000 requests per rolling day per token. */
  dailyLimit?: number;
  /** Clock for the limits (tests can move time forward). Default Date.now. */
  now?: () => number;
  /**
   * Precoro "reserve the right to block any IP … that sends requests without proper authorization": after this
   * many 401s from one address, every request from it answers 403 "Access from your IP address is temporarily
   * blocked" for `blockMs`. The count and the body text are UNVERIFIED. Default: never.
   */
  blockAfterFailedLogins?: number;
  /** How long an address block lasts. Default 15 minutes. */
  blockMs?: number;
}

export type PrecoroLimitType =
  | 'Route based limiter by minute'
  | 'Rate limiter by second'
  | 'Hourly limiter'
  | 'Daily limiter';

export interface PrecoroViolation {
  at: number;
  token: string;
  /** Path plus query. */
  path: string;
  type: PrecoroLimitType;
}

export interface PrecoroSimulator extends SimulatorHandle {
  /** Every 429 the simulator answered, in order. A well-behaved client leaves this empty. */
  violations: PrecoroViolation[];
  /** Arrival times of requests that carried this token (429s included). */
  requestTimes(token: string): number[];
  revokeToken(token: string): void;
  /** Blocks an address (e.g. "127.0.0.1") as Precoro does after failed logins, for `blockMs`. */
  blockAddress(address: string): void;
  unblockAddress(address: string): void;
}

/** The text of Precoro's answer to a blocked address (a 403 whatever the token). */
export const PRECORO_IP_BLOCKED_MESSAGE = 'Access from your IP address is temporarily blocked';

export const PRECORO_DEFAULT_RESOURCES: readonly PrecoroResource[] = [
  'users',
  'purchaseorders',
  'invoices',
  'suppliers',
  'items',
];
const ALL_RESOURCES = new Set<string>([
  'users',
  'purchaseorders',
  'invoices',
  'suppliers',
  'items',
  'warehouses',
  'taxes',
  'expenses',
]);
const PER_PAGE = new Set([10, 20, 50, 100, 200]);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** `YYYY-MM-DD HH:mm:ss UTC`, the format of RateLimit-Retry-After (VENDORS.md 3.3). */
export function precoroRetryAfter(at: number): string {
  return `${new Date(at).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Starts a Precoro simulator on 127.0.0.1. */
export async function startPrecoroSimulator(config: PrecoroConfig): Promise<PrecoroSimulator> {
  const accounts = config.accounts.map((a) => ({ ...a }));
  const minIntervalMs = config.minIntervalMs ?? 1000;
  const duplicateWindowMs = config.duplicateWindowMs ?? 60_000;
  const hourlyLimit = config.hourlyLimit ?? 1500;
  const dailyLimit = config.dailyLimit ?? 3000;
  const clock = config.now ?? Date.now;
  const blockMs = config.blockMs ?? 15 * 60_000;
  /** Address → until when it is blocked. */
  const blocked = new Map<string, number>();
  /** Address → 401s answered to it. */
  const failedLogins = new Map<string, number>();

  const violations: PrecoroViolation[] = [];
  /** Every request per token (for requestTimes). */
  const seen = new Map<string, number[]>();
  /** Requests that were let through per token: the limits count these. */
  const accepted = new Map<string, Array<{ at: number; path: string; method: string }>>();

  const json = (res: ServerResponse, status: number, body: unknown): void =>
    send(res, status, [['Content-Type', 'application/json']], JSON.stringify(body));

  /** Returns the 429 to send, or null when the request is within every limit. */
  const checkLimits = (
    token: string,
    req: SimRequest,
    now: number,
  ): { type: PrecoroLimitType; retryAt: number; limit: number; error: string } | null => {
    const history = accepted.get(token) ?? [];
    const dayAgo = history.filter((h) => now - h.at < DAY);
    if (dayAgo.length >= dailyLimit) {
      return {
        type: 'Daily limiter',
        retryAt: (dayAgo[0]?.at ?? now) + DAY,
        limit: dailyLimit,
        error: 'Too many requests',
      };
    }
    const hourAgo = dayAgo.filter((h) => now - h.at < HOUR);
    if (hourAgo.length >= hourlyLimit) {
      return {
        type: 'Hourly limiter',
        retryAt: (hourAgo[0]?.at ?? now) + HOUR,
        limit: hourlyLimit,
        error: 'Too many requests',
      };
    }
    if (req.method === 'GET') {
      const same = history.filter(
        (h) => h.method === 'GET' && h.path === req.url && now - h.at < duplicateWindowMs,
      );
      const first = same[0];
      if (first) {
        return {
          type: 'Route based limiter by minute',
          retryAt: first.at + duplicateWindowMs,
          limit: 1,
          error: 'Too many requests for this endpoint',
        };
      }
    }
    const last = history.at(-1);
    if (last && now - last.at < minIntervalMs) {
      return {
        type: 'Rate limiter by second',
        retryAt: last.at + minIntervalMs,
        limit: 1,
        error: 'Too many requests',
      };
    }
    return null;
  };

  const handle = (req: SimRequest, res: ServerResponse): void => {
    const now = clock();
    const token = req.headers['x-auth-token'] ?? '';
    const rateKey = token || `ip:${req.remoteAddress}`;
    seen.set(rateKey, [...(seen.get(rateKey) ?? []), now]);

    // An address block comes before everything else and is about the caller, not the token.
    const blockedUntil = blocked.get(req.remoteAddress);
    if (blockedUntil !== undefined && now < blockedUntil) {
      json(res, 403, { message: PRECORO_IP_BLOCKED_MESSAGE });
      return;
    }

    // Limits are counted per token before authentication, so retrying a refused token also counts.
    const limited = checkLimits(rateKey, req, now);
    if (limited) {
      violations.push({ at: now, token: rateKey, path: req.url, type: limited.type });
      json(res, 429, {
        error: limited.error,
        'RateLimit-Type': limited.type,
        'RateLimit-Retry-After': precoroRetryAfter(limited.retryAt),
        'RateLimit-Limit': limited.limit,
      });
      return;
    }
    accepted.set(rateKey, [...(accepted.get(rateKey) ?? []), { at: now, path: req.url, method: req.method }]);

    const account = accounts.find((a) => a.token === token);
    const email = req.headers.email ?? '';
    if (!token || !account || account.revoked || account.email.toLowerCase() !== email.toLowerCase()) {
      const failures = (failedLogins.get(req.remoteAddress) ?? 0) + 1;
      failedLogins.set(req.remoteAddress, failures);
      if (config.blockAfterFailedLogins !== undefined && failures >= config.blockAfterFailedLogins) {
        blocked.set(req.remoteAddress, now + blockMs);
      }
      json(res, 401, { message: 'Invalid credentials.' });
      return;
    }

    const segments = req.pathname.split('/').filter((s) => s !== '');
    const resource = segments[0] ?? '';
    if (!ALL_RESOURCES.has(resource) || segments.length > 2) {
      json(res, 404, { message: 'Not found.' });
      return;
    }
    if (req.method !== 'GET') {
      json(res, 405, { message: 'Method not allowed.' });
      return;
    }
    if (!(account.resources ?? PRECORO_DEFAULT_RESOURCES).includes(resource as PrecoroResource)) {
      json(res, 403, { message: 'Access denied.' });
      return;
    }

    const all: Array<Record<string, unknown>> =
      resource === 'users'
        ? (account.users ?? [{ id: 1, email: account.email, firstName: 'Demo', lastName: 'User' }]).map(
            (u) => ({
              id: u.id,
              email: u.email,
              firstName: u.firstName ?? '',
              lastName: u.lastName ?? '',
              fullName: `${u.firstName ?? ''} ${u.lastName ?? ''}`.trim(),
            }),
          )
        : [...(account.records?.[resource as Exclude<PrecoroResource, 'users'>] ?? [])];

    if (segments.length === 2) {
      const item = all.find((r) => String(r.id) === segments[1] || String(r.idn) === segments[1]);
      if (item) json(res, 200, { data: item });
      else json(res, 404, { message: 'Not found.' });
      return;
    }

    const perPageRaw = req.query.get('per_page');
    const perPage = perPageRaw === null ? 10 : Number(perPageRaw);
    if (!PER_PAGE.has(perPage)) {
      json(res, 400, { message: 'per_page must be one of 10, 20, 50, 100, 200.' });
      return;
    }
    const page = Math.max(1, Number(req.query.get('page') ?? 1) || 1);
    const data = all.slice((page - 1) * perPage, page * perPage);
    const totalPages = Math.max(1, Math.ceil(all.length / perPage));
    json(res, 200, {
      data,
      meta: {
        pagination: {
          total: all.length,
          count: data.length,
          per_page: perPage,
          current_page: page,
          total_pages: totalPages,
          has_next_page: page < totalPages,
        },
      },
    });
  };

  const server = await startSimulatorServer(handle, config, () => {
    violations.length = 0;
    seen.clear();
    accepted.clear();
    blocked.clear();
    failedLogins.clear();
  });
  return {
    ...server,
    violations,
    requestTimes(token: string) {
      return [...(seen.get(token) ?? [])];
    },
    revokeToken(token: string) {
      for (const account of accounts) if (account.token === token) account.revoked = true;
    },
    blockAddress(address: string) {
      blocked.set(address, clock() + blockMs);
    },
    unblockAddress(address: string) {
      blocked.delete(address);
      failedLogins.delete(address);
    },
  };
}
