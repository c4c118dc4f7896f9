// Dolibarr 20.0.2 REST API simulator (api/index.php + Restler 3.1.0), rebuilt from the recorded exchanges in
// test/fixtures/vendor-captures/dolibarr (see its README). Status lines, headers, bodies and the Restler error
// envelope (with its `debug` block) follow the captures; object templates (user, third party, company) and the
// login page are read from those capture files at start. Anything not recorded is marked UNVERIFIED below.
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import {
  type CommonOptions,
  type SimRequest,
  type SimulatorHandle,
  send,
  sleep,
  startSimulatorServer,
} from './common.ts';
import { loadCapture } from './http-capture.ts';

export type DolibarrFault =
  | 'none'
  /** master.inc.php cannot reach the database: 202 HTML error page (body UNVERIFIED). */
  | 'database_down'
  /** API_RESTRICT_ON_IP excludes the caller: 503 text `APIs are not allowed from the IP <ip>`. */
  | 'ip_restricted'
  /** API_ENDPOINT_RULES forbids the endpoint: 501 text. */
  | 'endpoint_rules'
  /** Unhandled PHP error: 500 HTML (body UNVERIFIED). */
  | 'server_error'
  /** conf.php missing: 302 to /install/index.php. */
  | 'install_redirect';

/** List endpoints the simulator serves, each guarded by one read right. */
export type DolibarrResource =
  | 'thirdparties'
  | 'supplierorders'
  | 'supplierinvoices'
  | 'products'
  | 'invoices'
  | 'orders'
  | 'proposals'
  | 'contacts'
  | 'projects'
  | 'users';

export interface DolibarrUser {
  id: number;
  login: string;
  /** Plain key as clients send it; compared byte for byte (no trimming, as recorded). */
  apiKey: string;
  admin?: boolean;
  /** Default true. A disabled user's key gets the same 401 as an unknown key. */
  enabled?: boolean;
  /** Default 1 (the installer's superadmin has 0). */
  entity?: number;
  firstname?: string;
  lastname?: string;
  email?: string;
  /**
   * Dotted Dolibarr rights, e.g. 'societe.lire', 'fournisseur.commande.lire', 'user.self.creer'.
   * Default: none for ordinary users; for admins every right of the enabled modules (DEFAULT_ADMIN_RIGHTS).
   */
  rights?: string[];
  /** Password for GET/POST /login (optional). */
  password?: string;
}

export interface DolibarrConfig extends CommonOptions {
  users: DolibarrUser[];
  /** Reported as dolibarr_version. Default '20.0.2'. */
  version?: string;
  /** Default true. When false every /api path answers 200 HTML "Module <b>Api</b> must be enabled." */
  apiModuleEnabled?: boolean;
  /** MAIN_ONLY_LOGIN_ALLOWED: true reports access_locked "1", a string reports that string. Default "0". */
  accessLocked?: boolean | string;
  /** The vendor's sleep(1) on a refused key. Default 1000. */
  failureDelayMs?: number;
  /** API_PRODUCTION_MODE: drops the `debug` block from Restler errors. Default false (as recorded). */
  production?: boolean;
  /**
   * `$dolibarr_main_prod` empty: /status adds environment and time fields (v20+, from the v22 docblock;
   * field values UNVERIFIED). Default false (the capture peer had `$dolibarr_main_prod='1'`).
   */
  nonProductionInstance?: boolean;
  fault?: DolibarrFault;
  /** With fault 'endpoint_rules': endpoints still allowed. Default none. */
  allowedEndpoints?: string[];
  /** How many third parties exist (odd ids are customers, even ids suppliers). Default 2. */
  thirdparties?: number;
  /** How many records the other list endpoints hold. Default 0, except `users` (the configured users). */
  records?: Partial<Record<Exclude<DolibarrResource, 'thirdparties'>, number>>;
  /** Company returned by /setup/company. Default 'Peer Test Company' (recorded). */
  companyName?: string;
  /** API_DISABLE_COMPRESSION off: gzip Restler bodies when the client accepts gzip. Default true. */
  gzip?: boolean;
}

export interface DolibarrSimulator extends SimulatorHandle {
  setApiModuleEnabled(enabled: boolean): void;
  /** Clears the user's key: it then fails like any unknown key. */
  revokeKey(login: string): void;
  setApiKey(login: string, apiKey: string): void;
  setUserEnabled(login: string, enabled: boolean): void;
  setFault(fault: DolibarrFault): void;
}

/** Rights the recorded superadmin held (users-info-includepermissions-admin), in the recorded order. */
export const RECORDED_ADMIN_RIGHTS: readonly string[] = [
  'user.user.lire',
  'user.user.creer',
  'user.user.password',
  'user.user.supprimer',
  'user.user.export',
  'user.self.creer',
  'user.self.password',
  'societe.lire',
  'societe.creer',
  'societe.supprimer',
  'societe.export',
  'societe.client.voir',
  'societe.contact.lire',
  'societe.contact.creer',
  'societe.contact.supprimer',
  'societe.contact.export',
  'fournisseur.lire',
  'fournisseur.commande.lire',
  'fournisseur.commande.creer',
  'fournisseur.commande.approuver',
  'fournisseur.commande.commander',
  'fournisseur.commande.receptionner',
  'fournisseur.commande.supprimer',
  'fournisseur.commande.export',
  'fournisseur.facture.lire',
  'fournisseur.facture.creer',
  'fournisseur.facture.supprimer',
  'fournisseur.facture.export',
  'export.lire',
  'export.creer',
  'import.run',
  'agenda.myactions.read',
  'agenda.myactions.create',
  'agenda.myactions.delete',
  'agenda.allactions.read',
  'agenda.allactions.create',
  'agenda.allactions.delete',
  'agenda.export',
  'api.apikey.generate',
];

/** An admin's rights when none are configured: the recorded set plus the other list endpoints' read rights. */
export const DEFAULT_ADMIN_RIGHTS: readonly string[] = [
  ...RECORDED_ADMIN_RIGHTS,
  'produit.lire',
  'facture.lire',
  'commande.lire',
  'propal.lire',
  'projet.lire',
];

interface ResourceRule {
  right: string;
  file: string;
  /** 403 detail; '' gives the bare "Forbidden" recorded for /thirdparties. */
  forbidden: string;
  forbiddenLine: number;
  /** 404 detail on an empty page, or null when the endpoint answers [] (v20 supplier orders). */
  empty: string | null;
  emptyLine: number;
}

// Recorded: thirdparties (403 bare, 404 "Thirdparties not found") and users (403 text). supplierorders returning
// [] comes from the v20-era source (adrienb39/gestimag api_supplier_orders.class.php). The other 404 texts come
// from older Dolibarr sources and are UNVERIFIED for 20.0.2; line 0 marks an unrecorded debug.source line.
const RESOURCES: Record<DolibarrResource, ResourceRule> = {
  thirdparties: {
    right: 'societe.lire',
    file: 'api_thirdparties.class.php',
    forbidden: '',
    forbiddenLine: 141,
    empty: 'Thirdparties not found',
    emptyLine: 237,
  },
  supplierorders: {
    right: 'fournisseur.commande.lire',
    file: 'api_supplier_orders.class.php',
    forbidden: '',
    forbiddenLine: 0,
    empty: null,
    emptyLine: 0,
  },
  supplierinvoices: {
    right: 'fournisseur.facture.lire',
    file: 'api_supplier_invoices.class.php',
    forbidden: '',
    forbiddenLine: 0,
    empty: null,
    emptyLine: 0,
  },
  products: {
    right: 'produit.lire',
    file: 'api_products.class.php',
    forbidden: '',
    forbiddenLine: 0,
    empty: 'No product found',
    emptyLine: 0,
  },
  invoices: {
    right: 'facture.lire',
    file: 'api_invoices.class.php',
    forbidden: '',
    forbiddenLine: 0,
    empty: 'No invoice found',
    emptyLine: 0,
  },
  orders: {
    right: 'commande.lire',
    file: 'api_orders.class.php',
    forbidden: '',
    forbiddenLine: 0,
    empty: 'No order found',
    emptyLine: 0,
  },
  proposals: {
    right: 'propal.lire',
    file: 'api_proposals.class.php',
    forbidden: '',
    forbiddenLine: 0,
    empty: 'No proposal found',
    emptyLine: 0,
  },
  contacts: {
    right: 'societe.contact.lire',
    file: 'api_contacts.class.php',
    forbidden: '',
    forbiddenLine: 0,
    empty: 'No contacts found',
    emptyLine: 0,
  },
  projects: {
    right: 'projet.lire',
    file: 'api_projects.class.php',
    forbidden: '',
    forbiddenLine: 0,
    empty: 'No project found',
    emptyLine: 0,
  },
  users: {
    right: 'user.user.lire',
    file: 'api_users.class.php',
    forbidden: 'You are not allowed to read list of users',
    forbiddenLine: 77,
    empty: 'No user found',
    emptyLine: 0,
  },
};

/** First path segments api/index.php knows; any other gives the recorded 501 before authentication. */
const KNOWN_APIS = new Set<string>([...Object.keys(RESOURCES), 'status', 'setup', 'login', 'explorer']);

/** GET /setup/modules as recorded for the admin. */
const RECORDED_MODULES = ['agenda', 'api', 'export', 'fckeditor', 'fournisseur', 'import', 'societe', 'user'];

const MODULE_DISABLED_TEXT =
  'Module <b>Api</b> must be enabled.<br><br>To activate modules, go on setup Area (Home->Setup->Modules).';
const API_NOT_FOUND = 'API not found (failed to include API file)';
const NO_KEY_TEXT =
  "Failed to login to API. No parameter 'HTTP_DOLAPIKEY' on HTTP header (and no parameter DOLAPIKEY in URL).";
const DOLCRYPT_TEXT = 'Bad value for the API key. An API key should not start with dolcrypt:';
const USER_NOT_VALID = (entity: number): string =>
  `Error user not valid (not found with api key or bad status or bad validity dates) (conf->entity=${entity})`;

const CORS_HEADERS: Array<[string, string]> = [
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE'],
  ['Access-Control-Allow-Headers', 'Content-Type, Authorization, api_key, DOLAPIKEY'],
];
const PHP_HEADERS: Array<[string, string]> = [
  ['X-Powered-By', 'PHP/8.2.36'],
  ...CORS_HEADERS,
  ['X-Frame-Options', 'SAMEORIGIN'],
  ['Content-type', 'text/html; charset=UTF-8'],
];

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

type Stage = 'route' | 'authenticate' | 'call' | 'call-noauth';
const STAGES: Record<Stage, { success: string[]; failure: string[] }> = {
  route: { success: ['get'], failure: ['route', 'negotiate', 'message'] },
  authenticate: { success: ['get', 'route', 'negotiate'], failure: ['authenticate', 'message'] },
  call: { success: ['get', 'route', 'negotiate', 'authenticate', 'validate'], failure: ['call', 'message'] },
  'call-noauth': { success: ['get', 'route', 'negotiate', 'validate'], failure: ['call', 'message'] },
};

/** A Restler failure: status, detail after the reason phrase, and the debug source it was raised at. */
class RestError {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly source: string,
    readonly stage: Stage,
  ) {}
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Templates {
  user: Record<string, Json>;
  thirdparty: Record<string, Json>;
  company: Record<string, Json>;
  loginPage: string;
}

let templates: Templates | undefined;
function recorded(): Templates {
  if (!templates) {
    const json = (name: string): Json => JSON.parse(loadCapture('dolibarr', name).response.text) as Json;
    const tp = json('thirdparties-limit1-admin') as Json[];
    templates = {
      user: json('users-info-admin') as Record<string, Json>,
      thirdparty: tp[0] as Record<string, Json>,
      company: json('setup-company-admin') as Record<string, Json>,
      loginPage: loadCapture('dolibarr', 'path-root-no-key').response.text,
    };
  }
  return templates;
}

const NUMBER_WORDS = ['One', 'Two', 'Three', 'Four', 'Five', 'Six', 'Seven', 'Eight', 'Nine', 'Ten'];

/** Starts a Dolibarr 20.0.2 simulator on 127.0.0.1. */
export async function startDolibarrSimulator(config: DolibarrConfig): Promise<DolibarrSimulator> {
  const tpl = recorded();
  const users = config.users.map((u) => ({ ...u }));
  let apiModuleEnabled = config.apiModuleEnabled ?? true;
  let fault: DolibarrFault = config.fault ?? 'none';
  const version = config.version ?? '20.0.2';
  const failureDelayMs = config.failureDelayMs ?? 1000;
  const gzipEnabled = config.gzip ?? true;
  const sessionHash = randomBytes(20).toString('hex');

  const effectiveRights = (u: DolibarrUser): readonly string[] =>
    u.rights ?? (u.admin ? DEFAULT_ADMIN_RIGHTS : []);
  const hasRight = (u: DolibarrUser, right: string): boolean => effectiveRights(u).includes(right);

  const userObject = (u: DolibarrUser, withRights: boolean): Record<string, Json> => {
    const rights: Record<string, Json> = {
      user: { user: {}, self: {}, user_advance: {}, self_advance: {}, group_advance: {} },
    };
    if (withRights) {
      for (const dotted of effectiveRights(u)) {
        const parts = dotted.split('.');
        let node = rights as Record<string, Json>;
        for (const [i, part] of parts.entries()) {
          if (i === parts.length - 1) {
            node[part] = 1;
          } else {
            const next = node[part];
            if (next === undefined || typeof next !== 'object' || next === null || Array.isArray(next)) {
              node[part] = {};
            }
            node = node[part] as Record<string, Json>;
          }
        }
      }
    }
    return {
      ...tpl.user,
      id: String(u.id),
      entity: String(u.entity ?? 1),
      ref: String(u.id),
      statut: u.enabled === false ? '0' : '1',
      status: u.enabled === false ? '0' : '1',
      lastname: u.lastname ?? u.login,
      firstname: u.firstname ?? '',
      email: u.email ?? '',
      admin: u.admin ? '1' : '0',
      login: u.login,
      rights,
    };
  };

  const thirdparty = (id: number): Record<string, Json> => {
    const supplier = id % 2 === 0;
    const nth = Math.ceil(id / 2);
    const word = NUMBER_WORDS[nth - 1] ?? String(nth);
    const code = String(nth).padStart(5, '0');
    return {
      ...tpl.thirdparty,
      id: String(id),
      ref: String(id),
      name: supplier ? `Peer Supplier ${word}` : `Peer Customer ${word}`,
      client: supplier ? '0' : '1',
      fournisseur: supplier ? '1' : '0',
      code_client: supplier ? null : `CU2611-${code}`,
      code_fournisseur: supplier ? `SU2611-${code}` : null,
    };
  };

  // Shapes of these records are UNVERIFIED (not recorded): a minimal Dolibarr-like object.
  const genericRecord = (resource: DolibarrResource, id: number): Record<string, Json> => ({
    module: resource,
    id: String(id),
    entity: '1',
    ref: `${resource.toUpperCase().slice(0, 4)}-${String(id).padStart(4, '0')}`,
    status: '1',
  });

  const listAll = (resource: DolibarrResource, query: URLSearchParams): Record<string, Json>[] => {
    if (resource === 'thirdparties') {
      const all = Array.from({ length: config.thirdparties ?? 2 }, (_, i) => thirdparty(i + 1));
      const mode = query.get('mode');
      if (mode === '1') return all.filter((t) => t.client === '1');
      if (mode === '4') return all.filter((t) => t.fournisseur === '1');
      if (mode === '2' || mode === '3') return [];
      return all;
    }
    if (resource === 'users') {
      const count = config.records?.users;
      const all = users.map((u) => userObject(u, false));
      return count === undefined ? all : all.slice(0, count);
    }
    const count = config.records?.[resource] ?? 0;
    return Array.from({ length: count }, (_, i) => genericRecord(resource, i + 1));
  };

  const debugBlock = (source: string, stage: Stage): Record<string, Json> | undefined =>
    config.production ? undefined : { source, stages: STAGES[stage] };

  const restHeaders = (contentType: string): Array<[string, string]> => [
    ...CORS_HEADERS,
    ['X-Frame-Options', 'SAMEORIGIN'],
    ['Vary', 'Accept'],
    ['Cache-Control', 'no-cache, must-revalidate'],
    ['Expires', '0'],
    ['X-Powered-By', 'Luracast Restler v3.1.0'],
    ['Content-Type', contentType],
    ['Content-Language', 'en'],
  ];

  const wantsXml = (req: SimRequest): boolean => {
    const accept = (req.headers.accept ?? '').toLowerCase();
    return accept.includes('application/xml') && !accept.includes('json') && !accept.includes('*/*');
  };

  /**
   * Writes a Restler answer. Bodies are gzipped whenever the client accepts gzip, errors included: the capture
   * status-wrong-key-accept-encoding-gzip shows a compressed 401 although the capture README says otherwise.
   */
  const sendRest = (req: SimRequest, res: ServerResponse, status: number, data: Json): void => {
    const xml = wantsXml(req);
    const headers = restHeaders(xml ? 'application/xml; charset=utf-8' : 'application/json; charset=utf-8');
    if (status === 401) headers.push(['WWW-Authenticate', '']);
    let body = Buffer.from(xml ? toRestlerXml(data) : JSON.stringify(data, null, 4), 'utf8');
    if (gzipEnabled && /\bgzip\b/i.test(req.headers['accept-encoding'] ?? '')) {
      body = gzipSync(body);
      headers.push(['Content-Encoding', 'gzip']);
    }
    send(res, status, headers, body, REASONS[status] ?? 'Error');
  };

  const sendRestError = (req: SimRequest, res: ServerResponse, error: RestError): void => {
    const reason = REASONS[error.status] ?? 'Error';
    const envelope: Record<string, Json> = {
      error: { code: error.status, message: error.detail ? `${reason}: ${error.detail}` : reason },
    };
    const debug = debugBlock(error.source, error.stage);
    if (debug) envelope.debug = debug;
    sendRest(req, res, error.status, envelope);
  };

  const entityOf = (req: SimRequest): number => {
    const requested = Number(req.headers.dolapientity);
    return Number.isInteger(requested) && requested > 0 ? requested : 1;
  };

  /** api_access.class.php: header DOLAPIKEY wins over the query parameters; the value is never trimmed. */
  const authenticate = async (req: SimRequest): Promise<DolibarrUser> => {
    let key = req.query.get('api_key') ?? undefined;
    if (req.query.has('DOLAPIKEY')) key = req.query.get('DOLAPIKEY') ?? undefined;
    if ('dolapikey' in req.headers) key = req.headers.dolapikey;
    if (!key)
      throw new RestError(401, NO_KEY_TEXT, 'api_access.class.php:219 at authenticate stage', 'authenticate');
    if (key.startsWith('dolcrypt:')) {
      throw new RestError(
        503,
        DOLCRYPT_TEXT,
        'api_access.class.php:124 at authenticate stage',
        'authenticate',
      );
    }
    const user = users.find((u) => u.apiKey !== '' && u.apiKey === key);
    if (!user || user.enabled === false) {
      await sleep(failureDelayMs);
      const line = user ? 183 : 167;
      throw new RestError(
        401,
        USER_NOT_VALID(entityOf(req)),
        `api_access.class.php:${line} at authenticate stage`,
        'authenticate',
      );
    }
    return user;
  };

  const routeNotFound = (): RestError => new RestError(404, '', 'Routes.php:457 at route stage', 'route');

  const paginate = (items: Record<string, Json>[], query: URLSearchParams): Record<string, Json>[] => {
    const limit = Number(query.get('limit') ?? 100);
    const page = Math.max(0, Number(query.get('page') ?? 0) || 0);
    if (!Number.isFinite(limit) || limit <= 0) return items;
    return items.slice(limit * page, limit * page + limit);
  };

  type Route = (req: SimRequest) => Promise<Json>;

  /** Restler's route stage: unknown sub-paths of a known API are a JSON 404 before authentication. */
  const resolveRoute = (req: SimRequest, segments: string[]): Route | null => {
    const [api, ...rest] = segments;
    const isRead = req.method === 'GET' || req.method === 'HEAD';
    if (api === 'login' && rest.length === 0 && (isRead || req.method === 'POST')) {
      return async () => login(req);
    }
    if (!isRead) return null;
    if (api === 'status' && rest.length === 0) {
      return async () => {
        await authenticate(req);
        return statusBody();
      };
    }
    if (api === 'users' && rest.length === 1 && rest[0] === 'info') {
      return async () => {
        const user = await authenticate(req);
        if (!user.admin && !hasRight(user, 'user.self.creer') && !hasRight(user, 'user.user.lire')) {
          throw new RestError(403, 'Not allowed', 'api_users.class.php:269 at call stage', 'call');
        }
        return userObject(user, req.query.get('includepermissions') === '1');
      };
    }
    if (api === 'setup' && rest.length === 1 && (rest[0] === 'company' || rest[0] === 'modules')) {
      const what = rest[0];
      return async () => {
        const user = await authenticate(req);
        if (!user.admin) {
          const constant =
            what === 'company' ? 'API_LOGINS_ALLOWED_FOR_GET_COMPANY' : 'API_LOGINS_ALLOWED_FOR_GET_MODULES';
          const line = what === 'company' ? 2196 : 2666;
          throw new RestError(
            403,
            `Error API open to admin users only or to the users with logins defined into constant ${constant}`,
            `api_setup.class.php:${line} at call stage`,
            'call',
          );
        }
        return what === 'company'
          ? { ...tpl.company, name: config.companyName ?? (tpl.company.name as string) }
          : RECORDED_MODULES;
      };
    }
    if (api && api in RESOURCES && rest.length === 0) {
      const resource = api as DolibarrResource;
      const rule = RESOURCES[resource];
      return async () => {
        const user = await authenticate(req);
        if (!hasRight(user, rule.right)) {
          throw new RestError(
            403,
            rule.forbidden,
            `${rule.file}:${rule.forbiddenLine} at call stage`,
            'call',
          );
        }
        const page = paginate(listAll(resource, req.query), req.query);
        if (page.length === 0 && rule.empty !== null) {
          throw new RestError(404, rule.empty, `${rule.file}:${rule.emptyLine} at call stage`, 'call');
        }
        return page;
      };
    }
    return null;
  };

  const statusBody = (): Json => {
    const locked = config.accessLocked;
    const success: Record<string, Json> = {
      code: 200,
      dolibarr_version: version,
      access_locked: locked === true ? '1' : typeof locked === 'string' ? locked : '0',
    };
    if (config.nonProductionInstance) {
      const now = new Date();
      success.environment = 'non-production';
      success.timestamp_now_utc = Math.floor(now.getTime() / 1000);
      success.timestamp_php_tz = now.toISOString().replace('T', ' ').slice(0, 19);
      success.date_tz = 'UTC';
    }
    return { success };
  };

  /** GET/POST /login returns the user's existing key (recorded); a wrong password waits like a wrong key. */
  const login = async (req: SimRequest): Promise<Json> => {
    let loginName = req.query.get('login') ?? '';
    let password = req.query.get('password') ?? '';
    if (req.method === 'POST' && req.body.length > 0) {
      try {
        const parsed = JSON.parse(req.body.toString('utf8')) as { login?: string; password?: string };
        loginName = parsed.login ?? loginName;
        password = parsed.password ?? password;
      } catch {
        // Restler would reject the body; treating it as missing credentials is close enough.
      }
    }
    const user = users.find((u) => u.login === loginName);
    if (!user || user.enabled === false || user.password === undefined || user.password !== password) {
      await sleep(failureDelayMs);
      throw new RestError(403, 'Access denied', 'api_login.class.php:134 at call stage', 'call-noauth');
    }
    return {
      success: {
        code: 200,
        token: user.apiKey,
        entity: String(user.entity ?? 1),
        message: `Welcome ${user.login} - This is your token (recorded for your user). You can use it to make any REST API call, or enter it into the DOLAPIKEY field to use the Dolibarr API explorer.`,
      },
    };
  };

  const sendLoginPage = (res: ServerResponse): void => {
    const body = version === '20.0.2' ? tpl.loginPage : tpl.loginPage.split('20.0.2').join(version);
    send(
      res,
      200,
      [
        ['X-Powered-By', 'PHP/8.2.36'],
        [
          'Set-Cookie',
          `DOLSESSID_${sessionHash}=${randomBytes(13).toString('hex')}; path=/; HttpOnly; SameSite=Lax`,
        ],
        ['Expires', 'Thu, 19 Nov 1981 08:52:00 GMT'],
        ['Pragma', 'no-cache'],
        ['Cache-Control', 'Public, must-revalidate'],
        ['Content-Type', 'text/html; charset=UTF-8'],
        ['X-Content-Type-Options', 'nosniff'],
        ['X-Frame-Options', 'SAMEORIGIN'],
        ['Referrer-Policy', 'same-origin'],
      ],
      body,
    );
  };

  const handle = async (req: SimRequest, res: ServerResponse): Promise<void> => {
    const path = req.pathname;
    if (fault === 'install_redirect') {
      // UNVERIFIED target spelling; filefunc.inc.php redirects to the installer when conf.php is missing.
      send(res, 302, [
        ['X-Powered-By', 'PHP/8.2.36'],
        ['Location', '/install/index.php'],
        ...PHP_HEADERS.slice(4),
      ]);
      return;
    }
    if (fault === 'database_down') {
      // functions.lib.php dol_print_error answers 202 with an HTML page; the page text is UNVERIFIED.
      send(
        res,
        202,
        [
          ['X-Powered-By', 'PHP/8.2.36'],
          ['Content-Type', 'text/html; charset=UTF-8'],
        ],
        '<html><head><title>Dolibarr</title></head><body>\n<div class="error">Dolibarr has detected a technical error.<br>\nFailed to connect to the database. Check the database server is running.<br>\n</div>\n</body></html>\n',
      );
      return;
    }

    // php -S serves api/index.php for /api/index.php/... and, as a fallback, for other /api/... paths
    // (path-missing-index-php); everything else is the web login page (path-root-no-key).
    let apiPath: string;
    if (path === '/api/index.php' || path.startsWith('/api/index.php/')) {
      apiPath = path.slice('/api/index.php'.length);
    } else if (path.startsWith('/api/')) {
      apiPath = path.slice('/api'.length);
    } else {
      sendLoginPage(res);
      return;
    }

    if (req.method === 'OPTIONS') {
      // CORS preflight is answered before any check (status-options-preflight).
      send(res, 204, [
        ['X-Powered-By', 'PHP/8.2.36'],
        ...CORS_HEADERS,
        ['Content-type', 'text/html; charset=UTF-8'],
      ]);
      return;
    }
    if (!apiModuleEnabled) {
      send(res, 200, PHP_HEADERS, MODULE_DISABLED_TEXT);
      return;
    }
    if (fault === 'ip_restricted') {
      send(
        res,
        503,
        PHP_HEADERS,
        `APIs are not allowed from the IP ${req.remoteAddress}`,
        `API not allowed from your IP ${req.remoteAddress}`,
      );
      return;
    }
    if (fault === 'server_error') {
      send(res, 500, PHP_HEADERS, '', 'Internal Server Error');
      return;
    }

    const segments = apiPath.split('/').filter((s) => s !== '');
    const first = segments[0];
    if (first !== undefined && !KNOWN_APIS.has(first)) {
      send(res, 501, PHP_HEADERS, API_NOT_FOUND, API_NOT_FOUND);
      return;
    }
    if (
      first !== undefined &&
      fault === 'endpoint_rules' &&
      !(config.allowedEndpoints ?? []).includes(first)
    ) {
      // Reason phrase UNVERIFIED; body text from htdocs/api/index.php.
      send(
        res,
        501,
        PHP_HEADERS,
        `The API with endpoint /${first} is forbidden by config API_ENDPOINT_RULES`,
        'API is forbidden by API_ENDPOINT_RULES',
      );
      return;
    }
    if (first === 'explorer') {
      if (segments.length === 1 && !apiPath.endsWith('/')) {
        const host = req.headers.host ?? '127.0.0.1';
        send(res, 302, [
          ['X-Powered-By', 'PHP/8.2.36'],
          ...CORS_HEADERS,
          ['X-Frame-Options', 'SAMEORIGIN'],
          ['Vary', 'Accept'],
          ['Location', `http://${host}/api/index.php/explorer/`],
          ['Content-type', 'text/html; charset=UTF-8'],
        ]);
      } else {
        send(
          res,
          200,
          PHP_HEADERS,
          '<!DOCTYPE html><html><head><title>Restler API Explorer</title></head></html>',
        );
      }
      return;
    }

    const route = first === undefined ? null : resolveRoute(req, segments);
    try {
      if (!route) throw routeNotFound();
      sendRest(req, res, 200, await route(req));
    } catch (error) {
      if (error instanceof RestError) sendRestError(req, res, error);
      else throw error;
    }
  };

  const findUser = (login: string): DolibarrUser => {
    const user = users.find((u) => u.login === login);
    if (!user) throw new Error(`dolibarr simulator: no user ${login}`);
    return user;
  };

  const handle0 = await startSimulatorServer(handle, config);
  return {
    ...handle0,
    setApiModuleEnabled(enabled: boolean) {
      apiModuleEnabled = enabled;
    },
    revokeKey(login: string) {
      findUser(login).apiKey = '';
    },
    setApiKey(login: string, apiKey: string) {
      findUser(login).apiKey = apiKey;
    },
    setUserEnabled(login: string, enabled: boolean) {
      findUser(login).enabled = enabled;
    },
    setFault(next: DolibarrFault) {
      fault = next;
    },
  };
}

/** Restler's XmlFormat for `Accept: application/xml` (recorded for /status; nested arrays use <item>, UNVERIFIED). */
function toRestlerXml(data: Json): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const escapeXml = (s: string): string =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const walk = (name: string, value: Json, depth: number): void => {
    const pad = '    '.repeat(depth);
    if (value === null || value === undefined) {
      lines.push(`${pad}<${name}/>`);
    } else if (Array.isArray(value)) {
      lines.push(`${pad}<${name}>`);
      for (const item of value) walk('item', item, depth + 1);
      lines.push(`${pad}</${name}>`);
    } else if (typeof value === 'object') {
      lines.push(`${pad}<${name}>`);
      for (const [key, child] of Object.entries(value)) walk(key, child, depth + 1);
      lines.push(`${pad}</${name}>`);
    } else {
      const text = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
      lines.push(`${pad}<${name}>${escapeXml(text)}</${name}>`);
    }
  };
  walk('response', data, 0);
  return `${lines.join('\n')}\n`;
}
