import { genericAnswerFinding } from '../../shared/connectors/findings.ts';
import {
  classifyAuthenticate,
  classifyExecuteKw,
  classifyJson2Call,
  classifyJson2ContextGet,
  parseOdooVersionInfo,
  parseVersionInfoAnswer,
} from '../../shared/connectors/odoo/classify.ts';
import { readXmlRpc } from '../../shared/connectors/odoo/probe.ts';
import type { Capture } from '../simulators/http-capture.ts';
import { capturedAnswer } from './captured-answer.ts';

/**
 * Runs a recorded Odoo exchange through the classifier credval applies to that call and names the
 * outcome in one short string (e.g. "uid:2", "invalid:database_not_found", "value:false", "rejected").
 * Returns null for calls credval never makes (interactive web login, the db service, /jsonrpc calls).
 */
export async function odooCaptureVerdict(capture: Capture, database = 'acme'): Promise<string | null> {
  const { method, path, body } = capture.request;
  const answer = capturedAnswer(capture);
  const finding = (f: { verdict: string; reason: string | null }) => `${f.verdict}:${f.reason}`;

  if (path.startsWith('/xmlrpc/')) {
    const decoded = await readXmlRpc(answer, '127.0.0.1', 0);
    if ('verdict' in decoded) return finding(decoded);
    const rpcMethod = /<methodName>([^<]+)<\/methodName>/.exec(body)?.[1] ?? '';
    if (path.includes('/db')) return null;
    if (rpcMethod === 'version') {
      const version = decoded.kind === 'result' ? parseOdooVersionInfo(decoded.value) : null;
      return version ? `version:${version.major}` : 'no-version';
    }
    if (rpcMethod === 'authenticate' || rpcMethod === 'login') {
      const db = /<string>([^<]*)<\/string>/.exec(body)?.[1] ?? database;
      const result = classifyAuthenticate(decoded, db);
      return typeof result === 'number' ? `uid:${result}` : finding(result);
    }
    const outcome = classifyExecuteKw(decoded);
    return outcome.kind === 'value' ? `value:${JSON.stringify(outcome.value).slice(0, 40)}` : outcome.kind;
  }
  if (path === '/web/webclient/version_info' || (path === '/jsonrpc' && /"method":\s*"version"/.test(body))) {
    const version = parseVersionInfoAnswer(answer);
    return version ? `version:${version.major}` : 'no-version';
  }
  if (path.startsWith('/json/2/')) {
    if (path.endsWith('/context_get')) {
      const outcome = classifyJson2ContextGet(answer, database, 0);
      if (outcome.kind === 'uid') return `uid:${outcome.uid}`;
      if (outcome.kind === 'finding') return finding(outcome.finding);
      return outcome.kind;
    }
    const outcome = classifyJson2Call(answer);
    return outcome.kind === 'value' ? `value:${JSON.stringify(outcome.value).slice(0, 40)}` : outcome.kind;
  }
  if (method === 'GET' && path.startsWith('/web/login')) {
    const result = genericAnswerFinding(answer, { urlField: 'serverUrl', vendorName: 'Odoo', now: 0 });
    return result ? finding(result) : 'none';
  }
  return null;
}
