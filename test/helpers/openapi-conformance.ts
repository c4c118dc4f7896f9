// Checks answers of the running server against the OpenAPI document it serves (shared/generated/openapi.json):
// the status is documented for the operation, the documented headers are there and well-formed and no other API
// header is sent, and the body has a documented media type and is valid against its schema (Ajv, JSON Schema
// 2020-12, formats checked). test/helpers/local-server.ts runs it on every answer the end-to-end tests receive.
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { ROUTES } from '../../shared/http/routes.ts';

const DOCUMENT_PATH = new URL('../../shared/generated/openapi.json', import.meta.url);

/** One request and the answer it got, as a test saw it. */
export interface Exchange {
  method: string;
  /** The URL the request was sent to. */
  url: string;
  status: number;
  headers: Headers;
  /** The raw body. */
  text: string;
}

/**
 * Headers of the transport, CORS and the security-header middleware: not part of the API's contract, so the
 * document leaves them out. Any other header an answer carries must be documented for that answer.
 */
const TRANSPORT_HEADERS =
  /^(content-type|content-length|date|connection|keep-alive|transfer-encoding|vary|access-control-.*|cross-origin-.*|origin-agent-cluster|strict-transport-security|referrer-policy|content-security-policy.*|permissions-policy|report-to|reporting-endpoints|x-content-type-options|x-dns-prefetch-control|x-download-options|x-frame-options|x-permitted-cross-domain-policies|x-xss-protection)$/;

/**
 * What the router answers before any operation: a path no route has (404), a method the path does not take (405),
 * a path that is not valid percent-encoding (400).
 */
const ROUTER_ANSWERS: Record<number, string> = {
  400: 'invalid_input',
  404: 'not_found',
  405: 'method_not_allowed',
};

type Json = Record<string, unknown>;
interface Operation {
  operationId: string;
  responses: Record<string, Json>;
}
interface HeaderObject {
  required?: boolean;
  schema: Json;
}

export interface Conformance {
  /** What is wrong with this answer by the document; empty when it conforms. */
  violations(exchange: Exchange): string[];
  /** `operationId status` for each answer seen, plus ` code` for a problem: what the checked traffic covered. */
  covered(): Set<string>;
  /** The same keys for everything the document says the operations answer (2xx and problem codes). */
  documented(): Set<string>;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** JSON Pointer of a path of keys, as a URI fragment. */
const pointer = (...keys: string[]) =>
  `#/${keys.map((k) => encodeURIComponent(k.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/')}`;

/** The pattern of a path template: `{id}` matches one segment, as API Gateway and the local server route. */
const templatePattern = (template: string) =>
  new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}/g, '[^/]+')}$`);

/** A checker over an OpenAPI document (by default the generated one the server serves). */
export function openApiConformance(document: Json = readDocument()): Conformance {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document, 'openapi.json');
  const validators = new Map<string, ValidateFunction>();
  const validatorAt = (ref: string) => {
    let validate = validators.get(ref);
    if (!validate) {
      validate = ajv.getSchema(`openapi.json${ref}`);
      if (!validate) throw new Error(`no schema at ${ref}`);
      validators.set(ref, validate);
    }
    return validate;
  };
  const headerAjv = new Ajv2020({ strict: false, allErrors: true, coerceTypes: true });
  addFormats(headerAjv);

  const paths = document.paths as Record<string, Record<string, Operation>>;
  const components = document.components as {
    headers?: Record<string, HeaderObject>;
    responses?: Record<string, Json>;
  };
  const templates = Object.keys(paths).map((template) => ({ template, pattern: templatePattern(template) }));
  const undocumentedRoutes = ROUTES.filter((r) => !paths[r.path]?.[r.method.toLowerCase()]).map((r) => ({
    method: r.method,
    pattern: templatePattern(r.path),
  }));
  const covered = new Set<string>();

  /** A response of an operation, with the JSON Pointer keys of where it is written (itself, or its `$ref`). */
  const resolveResponse = (response: Json, keys: string[]): { response: Json; keys: string[] } => {
    const ref = response.$ref;
    if (typeof ref !== 'string') return { response, keys };
    const name = ref.replace('#/components/responses/', '');
    const found = components.responses?.[name];
    if (!found) throw new Error(`no response at ${ref}`);
    return { response: found, keys: ['components', 'responses', name] };
  };

  const resolveHeader = (header: Json): HeaderObject => {
    const ref = header.$ref;
    if (typeof ref !== 'string') return header as unknown as HeaderObject;
    const found = components.headers?.[ref.replace('#/components/headers/', '')];
    if (!found) throw new Error(`no header at ${ref}`);
    return found;
  };

  const describe = (validate: ValidateFunction) =>
    (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`)
      .join('; ');

  function parseBody(exchange: Exchange, where: string, problems: string[]): unknown {
    try {
      return JSON.parse(exchange.text);
    } catch {
      problems.push(`${where}: the body is not JSON`);
      return undefined;
    }
  }

  /** An answer of the router, which the document's description names: a problem with the status's code. */
  function routerViolations(exchange: Exchange, where: string): string[] {
    const problems: string[] = [];
    const code = ROUTER_ANSWERS[exchange.status];
    if (!code) {
      const known = Object.keys(ROUTER_ANSWERS).join(', ');
      problems.push(
        `${where}: no documented operation, and ${exchange.status} is no router answer (${known})`,
      );
    }
    if (!exchange.headers.get('x-correlation-id')) problems.push(`${where}: no X-Correlation-Id`);
    const body = parseBody(exchange, where, problems) as { code?: unknown } | undefined;
    const validate = validatorAt(pointer('components', 'schemas', 'Problem'));
    if (body !== undefined && !validate(body))
      problems.push(`${where}: not a Problem: ${describe(validate)}`);
    if (code && body?.code !== code) problems.push(`${where}: code ${String(body?.code)}, not ${code}`);
    return problems;
  }

  function violations(exchange: Exchange): string[] {
    const method = exchange.method.toUpperCase();
    // CORS preflights are answered before any route (API Gateway does the same); the document has none.
    if (method === 'OPTIONS') return [];
    const url = new URL(exchange.url);
    const where = `${method} ${url.pathname} -> ${exchange.status}`;
    const match = templates.find((t) => t.pattern.test(url.pathname));
    const operation = match ? paths[match.template]?.[method.toLowerCase()] : undefined;
    if (!match || !operation) {
      // A route the document leaves out on purpose (the console page) answers as it likes.
      if (undocumentedRoutes.some((r) => r.method === method && r.pattern.test(url.pathname))) return [];
      return routerViolations(exchange, where);
    }

    const problems: string[] = [];
    const status = String(exchange.status);
    const key = operation.responses[status]
      ? status
      : operation.responses[`${status[0]}XX`]
        ? `${status[0]}XX`
        : exchange.status >= 500 && operation.responses.default
          ? 'default'
          : null;
    if (!key) return [`${where}: ${operation.operationId} does not document status ${status}`];
    const resolved = resolveResponse(operation.responses[key] as Json, [
      'paths',
      match.template,
      method.toLowerCase(),
      'responses',
      key,
    ]);
    const response = resolved.response as { headers?: Record<string, Json>; content?: Record<string, Json> };
    const responsePointer = resolved.keys;

    // Headers: every required one is there, each documented one well-formed, no undocumented API header.
    const documented = new Map(
      Object.entries(response.headers ?? {}).map(([name, header]) => [
        name.toLowerCase(),
        resolveHeader(header),
      ]),
    );
    for (const [name, header] of documented) {
      const value = exchange.headers.get(name);
      if (value === null) {
        if (header.required) problems.push(`${where}: no ${name} header`);
        continue;
      }
      const validate = headerAjv.compile(header.schema);
      if (!validate(value))
        problems.push(`${where}: header ${name}: ${JSON.stringify(value)} ${describe(validate)}`);
    }
    for (const [name] of exchange.headers) {
      if (!documented.has(name) && !TRANSPORT_HEADERS.test(name))
        problems.push(`${where}: header ${name} is not documented for this answer`);
    }

    // Body: a documented media type, valid against its schema; none where the document has no content.
    let code: string | undefined;
    if (!response.content) {
      if (exchange.text !== '') problems.push(`${where}: a body where the document has none`);
    } else {
      const mediaType = (exchange.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
      if (!response.content[mediaType]) {
        problems.push(
          `${where}: content type ${JSON.stringify(mediaType)} is not one of ${Object.keys(response.content).join(', ')}`,
        );
      } else {
        const body = parseBody(exchange, where, problems);
        const validate = validatorAt(pointer(...responsePointer, 'content', mediaType, 'schema'));
        if (body !== undefined && !validate(body)) problems.push(`${where}: body: ${describe(validate)}`);
        if (mediaType === 'application/problem+json') code = (body as { code?: string } | undefined)?.code;
      }
    }
    covered.add(`${operation.operationId} ${status}${code ? ` ${code}` : ''}`);
    return problems;
  }

  function documentedKeys(): Set<string> {
    const keys = new Set<string>();
    for (const item of Object.values(paths)) {
      for (const operation of Object.values(item)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (!/^\d{3}$/.test(status)) continue;
          const { response: resolved } = resolveResponse(response, []);
          const problem = (resolved as { content?: Record<string, { schema?: Json }> }).content?.[
            'application/problem+json'
          ]?.schema as { allOf?: Array<{ properties?: { code?: { enum?: string[] } } }> } | undefined;
          const codes = problem?.allOf?.[1]?.properties?.code?.enum;
          if (codes) for (const code of codes) keys.add(`${operation.operationId} ${status} ${code}`);
          else if (!problem) keys.add(`${operation.operationId} ${status}`);
        }
      }
    }
    return keys;
  }

  return { violations, covered: () => covered, documented: documentedKeys };
}

function readDocument(): Json {
  return JSON.parse(readFileSync(DOCUMENT_PATH, 'utf8')) as Json;
}

let shared: Conformance | null = null;

/** The checker of the served document, built once per test process. */
export function servedDocumentConformance(): Conformance {
  shared ??= openApiConformance();
  return shared;
}
