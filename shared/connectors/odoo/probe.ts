import type { Identity, Permission, Warning } from '../../domain/report.ts';
import type { OutboundResult } from '../../net/types.ts';
import { decodeXmlRpcResponse, encodeXmlRpcCall, type XmlRpcResponse } from '../../net/xmlrpc-codec.ts';
import {
  asRecord,
  failed,
  genericAnswerFinding,
  httpsUpgradeWarning,
  isHtml,
  networkFinding,
  passed,
} from '../findings.ts';
import { resourcesToReport } from '../permissions.ts';
import type { FieldValues, ProbeContext, ProbeFinding } from '../types.ts';
import {
  classifyAuthenticate,
  classifyExecuteKw,
  classifyJson2Call,
  classifyJson2ContextGet,
  type OdooCallOutcome,
  type OdooVersion,
  parseOdooVersionInfo,
  parseVersionInfoAnswer,
} from './classify.ts';

export const ODOO_DEFAULT_RESOURCES = ['res.partner', 'purchase.order'] as const;

/** The first major version with the JSON-2 API, where XML-RPC is deprecated (removed in Odoo 22). */
const JSON2_SINCE = 19;

type Answer = Extract<OutboundResult, { ok: true }>;

/** ORM calls the probe needs, on whichever transport authenticated. */
interface OdooOrm {
  transport: 'json2' | 'xmlrpc';
  call(
    name: string,
    model: string,
    method: string,
    args: unknown[],
    kwargs: Record<string, unknown>,
    named: Record<string, unknown>,
  ): Promise<OdooCallOutcome>;
}

/**
 * Checks an Odoo login (README "What each check does"): version first (no auth), then JSON-2 with the key as bearer on
 * Odoo 19+, else XML-RPC `authenticate`; then identity and `check_access_rights(op, raise_exception=False)`
 * per model. Read-only: nothing is written.
 */
export async function probeOdoo(fields: FieldValues, ctx: ProbeContext): Promise<ProbeFinding> {
  // 1. Version, without credentials.
  const version = await detectVersion(fields.serverUrl ?? '', ctx);
  if ('verdict' in version) return version;
  const finding = await probeOdooServer(fields, ctx, version);
  // Whatever the verdict, what we learned about the server helps the user (e.g. "Odoo 19.0, API off").
  const known = {
    product: 'odoo',
    version: version.serverVersion,
    serie: version.serie,
    major: version.major,
    edition: version.edition,
  };
  return { ...finding, vendor: { ...known, ...finding.vendor } };
}

async function probeOdooServer(
  fields: FieldValues,
  ctx: ProbeContext,
  version: OdooVersion,
): Promise<ProbeFinding> {
  const server = fields.serverUrl ?? '';
  const database = fields.database ?? '';
  const username = fields.username ?? '';
  const secret = fields.password ?? '';
  const host = new URL(server).host;
  const warnings: Warning[] = [];

  // 2. Authenticate: JSON-2 with the key as bearer on 19+, XML-RPC otherwise or when JSON-2 refused a password.
  let orm: OdooOrm | null = null;
  let uid: number | null = null;
  let json2Rejected = false;
  if ((version.major ?? 0) >= JSON2_SINCE) {
    const result = await ctx.recorder.send(
      'json2 context_get',
      json2Request(server, database, secret, 'res.users', 'context_get', {}),
    );
    if (!result.ok) return networkFinding(result, 'serverUrl', host);
    const outcome = classifyJson2ContextGet(result, database, ctx.now());
    if (outcome.kind === 'finding') return outcome.finding;
    if (outcome.kind === 'uid') {
      uid = outcome.uid;
      orm = json2Orm(server, database, secret, ctx);
    }
    json2Rejected = outcome.kind === 'rejected';
  }
  if (uid === null) {
    const call = encodeXmlRpcCall('authenticate', [database, username, secret, {}]);
    const result = await ctx.recorder.send(
      'xmlrpc authenticate',
      xmlRpcRequest(server, 'common', call),
      `common.authenticate ${database} ${username}`,
    );
    const answer = await readXmlRpc(result, host, ctx.now());
    if ('verdict' in answer) {
      // JSON-2 already refused the secret as a key; with XML-RPC off there is no way for a password either.
      if (json2Rejected && answer.reason === 'api_disabled') {
        return failed(
          'invalid_credentials',
          'Odoo refused the API key (and accepts no passwords here, its XML-RPC API is off): check or create the API key.',
          { field: 'password' },
        );
      }
      return answer;
    }
    const authenticated = classifyAuthenticate(answer, database);
    if (typeof authenticated !== 'number') return authenticated;
    uid = authenticated;
    orm = xmlRpcOrm(server, database, uid, secret, ctx);
    if ((version.major ?? 0) >= JSON2_SINCE) {
      warnings.push({
        code: 'xmlrpc_deprecated',
        message:
          'This worked only over XML-RPC, which Odoo 19 deprecates and Odoo 22 (Online 21.1) removes: use an API key (My Profile > Account Security > New API Key).',
      });
    }
  }
  if (orm === null) return failed('vendor_error', 'Odoo did not say who the credential belongs to.');

  // 3. At once (they depend only on the login): identity, the administrator test and the access rights per
  // model (model ACLs; record rules may still narrow what it sees).
  const models = resourcesToReport(ctx.requirements, ODOO_DEFAULT_RESOURCES);
  const ormCall = orm;
  const [userResult, adminCheck, ...rights] = await Promise.all([
    ormCall.call(
      'read own user',
      'res.users',
      'read',
      [[uid]],
      { fields: ['login', 'name', 'company_id', 'share'] },
      { ids: [uid], fields: ['login', 'name', 'company_id', 'share'] },
    ),
    checkAccess(ormCall, 'ir.config_parameter', 'write'),
    ...models.flatMap((model) => [checkAccess(ormCall, model, 'read'), checkAccess(ormCall, model, 'write')]),
  ]);
  const permissions: Permission[] = models.map((model, i) => ({
    resource: model,
    read: rights[2 * i] ?? null,
    write: rights[2 * i + 1] ?? null,
  }));
  const user =
    userResult.kind === 'value' && Array.isArray(userResult.value)
      ? asRecord(userResult.value[0])
      : undefined;
  const login = typeof user?.login === 'string' ? user.login : null;
  if (orm.transport === 'json2' && login !== null && login.toLowerCase() !== username.toLowerCase()) {
    return failed(
      'invalid_credentials',
      `This API key belongs to another Odoo user (${login}), not ${username}.`,
      {
        field: 'username',
      },
    );
  }
  if (!user) {
    warnings.push({
      code: 'identity_partial',
      message: 'The credential works but Odoo did not return its user record.',
    });
  }
  const portal = user?.share === true;
  if (portal) {
    warnings.push({
      code: 'portal_user',
      message:
        'This is a portal user (an external customer or vendor account): it sees only its own documents. Use an internal user.',
    });
  }
  const admin = adminCheck ?? null;
  if (admin) {
    warnings.push({
      code: 'admin_credential',
      message:
        'This user is an Odoo administrator (Settings access): a dedicated user with only the needed rights is safer.',
    });
  }

  const upgrade = ctx.recorder.httpsUpgrade;
  if (upgrade) warnings.push(httpsUpgradeWarning('the Odoo URL', upgrade.to + new URL(server).pathname));
  const company =
    Array.isArray(user?.company_id) && typeof user.company_id[1] === 'string' ? user.company_id[1] : null;
  const identity: Identity = {
    userId: uid,
    login: login ?? username,
    name: typeof user?.name === 'string' ? user.name : null,
    email: login?.includes('@') ? login : null,
    admin,
    company,
  };
  return passed(
    `The credential works on Odoo ${version.serverVersion} (database ${database}) as ${identity.login}.`,
    {
      identity,
      vendor: {
        transport: orm.transport,
        portalUser: portal,
      },
      permissions,
      warnings,
    },
  );
}

async function checkAccess(
  orm: OdooOrm,
  model: string,
  operation: 'read' | 'write',
): Promise<boolean | null> {
  // raise_exception must be false: with true, an allowed check returns None, which XML-RPC cannot marshal (captured).
  const outcome = await orm.call(
    `${model} ${operation}`,
    model,
    'check_access_rights',
    [operation],
    { raise_exception: false },
    { operation, raise_exception: false },
  );
  if (outcome.kind === 'value') return outcome.value === true;
  if (outcome.kind === 'denied' || outcome.kind === 'no_model') return false;
  return null;
}

async function detectVersion(server: string, ctx: ProbeContext): Promise<OdooVersion | ProbeFinding> {
  const host = new URL(server).host;
  const result = await ctx.recorder.send('version_info', {
    method: 'POST',
    url: `${server}/web/webclient/version_info`,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', method: 'call', params: {}, id: 1 }),
  });
  if (!result.ok) return networkFinding(result, 'serverUrl', host);
  const fromJson = parseVersionInfoAnswer(result);
  if (fromJson) return fromJson;
  const generic = genericAnswerFinding(result, { urlField: 'serverUrl', vendorName: 'Odoo', now: ctx.now() });
  if (generic && result.status !== 404) return generic;

  // Fallback: XML-RPC common.version(), for servers where the web client is not served.
  const xml = await ctx.recorder.send(
    'xmlrpc version',
    xmlRpcRequest(server, 'common', encodeXmlRpcCall('version', [])),
    'common.version',
  );
  const answer = await readXmlRpc(xml, host, ctx.now());
  if (!('verdict' in answer) && answer.kind === 'result') {
    const version = parseOdooVersionInfo(answer.value);
    if (version) return version;
  }
  if ('verdict' in answer && answer.reason !== 'api_disabled' && answer.reason !== 'not_the_vendor')
    return answer;
  return failed('not_the_vendor', 'No Odoo server answers at this URL: enter the address you open Odoo at.', {
    field: 'serverUrl',
  });
}

function xmlRpcRequest(server: string, service: 'common' | 'object', body: string) {
  return {
    method: 'POST' as const,
    url: `${server}/xmlrpc/2/${service}`,
    headers: { 'content-type': 'text/xml', accept: 'text/xml' },
    body,
  };
}

function json2Request(
  server: string,
  database: string,
  key: string,
  model: string,
  method: string,
  body: Record<string, unknown>,
) {
  return {
    method: 'POST' as const,
    url: `${server}/json/2/${model}/${method}`,
    headers: {
      authorization: `bearer ${key}`,
      'x-odoo-database': database,
      'content-type': 'application/json',
      accept: 'application/json',
    },
    body: JSON.stringify(body),
  };
}

/** Turns a transport answer into a decoded XML-RPC response, or a finding when there is none. */
export async function readXmlRpc(
  result: OutboundResult,
  host: string,
  now: number,
): Promise<XmlRpcResponse | ProbeFinding> {
  if (!result.ok) return networkFinding(result, 'serverUrl', host);
  if (result.status === 200 && !isHtml(result)) {
    const decoded = await decodeXmlRpcResponse(result.body);
    if (decoded.kind !== 'malformed') return decoded;
  }
  // Odoo answers every XML-RPC call with 200 (faults included), so anything else is not Odoo's RPC layer.
  if (result.status === 404) {
    return failed(
      'api_disabled',
      'Odoo\'s XML-RPC API is not available on this server (the "rpc" module is not loaded).',
      {
        field: 'serverUrl',
      },
    );
  }
  const generic = genericAnswerFinding(result as Answer, {
    urlField: 'serverUrl',
    vendorName: 'Odoo',
    now,
  });
  return (
    generic ??
    failed('not_the_vendor', 'The URL does not answer like an Odoo server.', { field: 'serverUrl' })
  );
}

function xmlRpcOrm(
  server: string,
  database: string,
  uid: number,
  secret: string,
  ctx: ProbeContext,
): OdooOrm {
  return {
    transport: 'xmlrpc',
    async call(name, model, method, args, kwargs) {
      const body = encodeXmlRpcCall('execute_kw', [database, uid, secret, model, method, args, kwargs]);
      const result = await ctx.recorder.send(
        `xmlrpc ${name}`,
        xmlRpcRequest(server, 'object', body),
        describeOrmCall(model, method, args),
      );
      if (!result.ok || result.status !== 200) return { kind: 'error' };
      return classifyExecuteKw(await decodeXmlRpcResponse(result.body));
    },
  };
}

function json2Orm(server: string, database: string, key: string, ctx: ProbeContext): OdooOrm {
  return {
    transport: 'json2',
    async call(name, model, method, args, _kwargs, named) {
      const result = await ctx.recorder.send(
        `json2 ${name}`,
        json2Request(server, database, key, model, method, named),
        describeOrmCall(model, method, args),
      );
      if (!result.ok) return { kind: 'error' };
      return classifyJson2Call(result);
    },
  };
}

/**
 * What an ORM call asks, for the trace: every XML-RPC call goes to the same `/xmlrpc/2/object` URL, so the
 * method, model and positional arguments (an operation, record ids; never the secret) tell the calls apart.
 */
function describeOrmCall(model: string, method: string, args: unknown[]): string {
  const values = args.flat().filter((v) => typeof v === 'string' || typeof v === 'number');
  return [method, model, ...values].join(' ');
}
