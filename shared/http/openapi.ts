import { CONNECTORS } from '../connectors/registry.ts';
import type { FieldSpec } from '../connectors/types.ts';
import {
  CheckRecord,
  CheckTrigger,
  CredentialStatus,
  CredentialView,
  ManagedBy,
} from '../domain/credential.ts';
import {
  Identity,
  Permission,
  ProbeOutcome,
  ProbeTrace,
  Reason,
  Report,
  Requirement,
  Verdict,
  Warning,
  WarningCode,
} from '../domain/report.ts';
import * as z from '../domain/zod.ts';
import { CreateBody } from './handlers/create-credential.ts';
import { PageQuery } from './handlers/list-checks.ts';
import { ListQuery } from './handlers/list-credentials.ts';
import { UpdateBody } from './handlers/update-credential.ts';
import { ValidateBody } from './handlers/validate-credential.ts';
import {
  EXAMPLE_CREDENTIAL,
  EXAMPLE_FIELDS,
  EXAMPLE_ID,
  EXAMPLE_REJECTED,
  EXAMPLE_REPORT,
  EXAMPLE_REQUIREMENTS,
} from './openapi-examples.ts';
import { STATUS_BY_CODE } from './problem.ts';
import { ROUTES, type RouteName } from './routes.ts';
import { CredentialId } from './schemas.ts';

// The OpenAPI 3.1 document, built from the route table, the handlers' request schemas, the domain's answer schemas
// and the connector catalogue, with zod's own JSON Schema output. It runs at build time only (`npm run generate`
// writes shared/generated/openapi.json, which the openapi function serves); no Lambda function imports this module.
// `npm run lint` lints the result (Redocly, recommended-strict) and test/helpers/openapi-conformance.ts checks every
// answer of the end-to-end tests against it.

type Json = Record<string, unknown>;

const pascal = (id: string) => id.replace(/(^|-)(\w)/g, (_m, _dash, c: string) => c.toUpperCase());
const camel = (id: string) => id.replace(/-(\w)/g, (_m, c: string) => c.toUpperCase());
const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

// --- schemas -------------------------------------------------------------------------------------------------
// Annotations only (`z.meta`): what the document says about a value the domain already produces.

const Timestamp = z.string().check(z.meta({ format: 'date-time', description: 'ISO 8601, UTC' }));
const CorrelationIdValue = z.string().check(
  z.meta({
    pattern: '^[\\w.-]{1,64}$',
    description: "The request's X-Correlation-Id when it was well-formed, else one credval made up",
  }),
);

const ConnectorId = z.enum([...CONNECTORS.keys()] as [string, ...string[]]);

const ReportView = z.extend(Report, { checkedAt: Timestamp });

const CredentialAnswer = z.extend(CredentialView, {
  id: z.string().check(
    z.meta({
      pattern: '^[A-Za-z0-9-]{1,64}$',
      description:
        'A uuid for a credential stored through this API; a registered credential has the id its CredentialCheck resource chose',
    }),
  ),
  connector: ConnectorId,
  fields: z.record(z.string(), z.string()).check(
    z.meta({
      description:
        "The connector's non-secret fields (see its `<Connector>Fields` schema). Secret fields are never returned.",
    }),
  ),
  lastCheck: z.nullable(ReportView),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  nextCheckAt: z.nullable(Timestamp),
  secretArn: z.optional(z.string()).check(
    z.meta({
      description:
        'A registered credential only: the Secrets Manager secret its owner keeps, which credval reads and never changes',
    }),
  ),
  managedBy: z.optional(ManagedBy).check(
    z.meta({
      description:
        'A registered credential only: the CloudFormation stack and resource that define it. Its fields, requirements and secret change there (PATCH of them answers 409 `managed_externally`)',
    }),
  ),
});

const CheckAnswer = z.extend(z.omit(CheckRecord, { tenantId: true, credentialId: true }), {
  checkedAt: Timestamp,
  report: ReportView,
});

const page = <T extends z.ZodMiniType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z
      .nullable(z.string())
      .check(z.meta({ description: 'Send it as `cursor` for the next page; null on the last page' })),
  });

/** Every problem code credval answers, and what it means. */
const PROBLEM_CODES = {
  invalid_input: 'A field, the query, the path or a header is wrong; `issues` names each one.',
  invalid_json: 'The body is not valid JSON.',
  invalid_cursor:
    'The cursor was not issued for this listing (tampered with, or from another query or tenant).',
  unauthorized: 'No tenant: send a valid bearer token.',
  not_found: "No such credential (another tenant's credential is not found either), or no such route.",
  method_not_allowed: 'The path exists, the method does not.',
  conflict: 'The credential was changed or deleted at the same time; read it again and retry.',
  version_conflict: 'The credential was changed at the same time; read it again and retry.',
  managed_externally:
    'The credential is registered by a CloudFormation stack (`managedBy`) and its secret is kept by its owner (`secretArn`): change its fields, requirements or secret there. Its name and description can be changed here.',
  idempotency_in_progress: 'A request with this Idempotency-Key is still running; retry later.',
  precondition_failed: 'If-Match is not the current ETag of the credential (or not an ETag at all).',
  body_too_large: 'The request body is larger than 1 MiB.',
  unsupported_media_type: 'Send the body as application/json.',
  credential_invalid:
    'The vendor refused the credential; nothing was stored or changed. The report is in `report`.',
  destination_not_allowed:
    'The egress policy refuses the address; `detail` names the EGRESS_ALLOW entry or the URL to use.',
  idempotency_key_reused: 'This Idempotency-Key was used with another request body.',
  internal_error: 'A fault in credval; quote the correlation id.',
  check_inconclusive:
    'Nobody could tell whether the credential works (network, vendor 429 or 5xx); nothing changed. Retry, or send `allowUnverified`.',
  storage_unavailable: 'The credential store did not answer; nothing changed. Retry.',
  secret_unreadable:
    'The stored secret failed its integrity check (altered, or copied from another credential); nothing changed. Retrying does not help: an operator must restore or replace it.',
} as const;
type ProblemCode = keyof typeof PROBLEM_CODES;

/** Statuses of the codes the HTTP layer raises itself; the service's codes take theirs from problem.ts. */
const HTTP_LAYER_STATUS: Partial<Record<ProblemCode, number>> = {
  invalid_json: 400,
  unauthorized: 401,
  method_not_allowed: 405,
  idempotency_in_progress: 409,
  body_too_large: 413,
  unsupported_media_type: 415,
  idempotency_key_reused: 422,
  internal_error: 500,
};

/** The HTTP status of a problem code. */
export function problemStatus(code: ProblemCode): number {
  const status = STATUS_BY_CODE[code] ?? HTTP_LAYER_STATUS[code];
  if (status === undefined) throw new Error(`problem code ${code} has no status`);
  return status;
}

/** The problem codes the document describes, for tests that compare them with problem.ts. */
export const DOCUMENTED_PROBLEM_CODES = Object.keys(PROBLEM_CODES) as ProblemCode[];

const Problem = z.object({
  type: z.string().check(z.meta({ format: 'uri', description: 'https://credval.dev/problems/<code>' })),
  title: z.string(),
  status: z.int().check(z.gte(400), z.lte(599)),
  detail: z.string().check(z.meta({ description: 'What went wrong and what to do, for a person' })),
  code: z.enum(DOCUMENTED_PROBLEM_CODES as [ProblemCode, ...ProblemCode[]]),
  correlationId: CorrelationIdValue,
  issues: z.optional(
    z
      .array(z.object({ field: z.nullable(z.string()), message: z.string() }))
      .check(
        z.meta({ description: 'With `invalid_input`: each bad field (`null` for the body as a whole)' }),
      ),
  ),
  report: z.optional(ReportView).check(
    z.meta({
      description: 'With `credential_invalid`, `destination_not_allowed` and `check_inconclusive`',
    }),
  ),
});

const GatewayMessage = z.object({ message: z.string() });

const FieldSpecView = z.object({
  key: z.string(),
  label: z.string(),
  help: z.string(),
  secret: z.boolean(),
  required: z.boolean(),
  format: z.enum(['url', 'text', 'email', 'enum', 'integer'] satisfies FieldSpec['format'][]),
  enum: z.optional(z.array(z.string())),
  enumLabels: z.optional(z.record(z.string(), z.string())),
  default: z.optional(z.string()),
  placeholder: z.optional(z.string()),
});

const CatalogueEntry = z.object({
  id: ConnectorId,
  label: z.string(),
  description: z.string(),
  fields: z.array(FieldSpecView),
  vendorFacts: z.record(
    z.string(),
    z.object({ label: z.string(), values: z.optional(z.record(z.string(), z.string())) }),
  ),
  jsonSchema: z
    .record(z.string(), z.unknown())
    .check(
      z.meta({ description: "JSON Schema (2020-12) of the connector's fields: its `<Connector>Fields`" }),
    ),
  maxRequirements: z
    .int()
    .check(
      z.positive(),
      z.meta({ description: 'The most requirements one check of this connector may name (400 beyond it)' }),
    ),
});

const OpenApiDocument = z.looseObject({
  openapi: z.string().check(z.regex(/^3\.1\.\d+$/)),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.unknown()),
  components: z.record(z.string(), z.unknown()),
});

const Health = z.object({ status: z.literal('ok') });

// --- per-connector request schemas, from the catalogue ---------------------------------------------------------

const connectors = [...CONNECTORS.values()];
const fieldsName = (id: string) => `${pascal(id)}Fields`;

/** PATCH `fields` of one connector: any subset; `null` clears an optional field; a secret field is a rotation. */
function fieldChanges(connector: (typeof connectors)[number]): z.ZodMiniType {
  const shape = (connector.schema as unknown as z.ZodMiniObject).shape as Record<string, z.ZodMiniType>;
  const changes: Record<string, z.ZodMiniType> = {};
  for (const spec of connector.fields) {
    const schema = shape[spec.key] as z.ZodMiniType;
    changes[spec.key] = spec.required
      ? z.optional(schema)
      : z.optional(z.nullable((schema as unknown as z.ZodMiniOptional).def.innerType));
  }
  return z.strictObject(changes);
}

/** One variant of a check body per connector: `connector` fixed, `fields` that connector's own. */
function perConnector(
  body: z.ZodMiniObject,
  suffix: string,
): { variants: Record<string, z.ZodMiniObject>; union: z.ZodMiniType } {
  const variants: Record<string, z.ZodMiniObject> = {};
  for (const connector of connectors) {
    variants[`${pascal(connector.id)}${suffix}`] = z.strictObject({
      ...body.shape,
      connector: z.literal(connector.id),
      fields: connector.schema as unknown as z.ZodMiniObject,
    });
  }
  const mapping = Object.fromEntries(
    connectors.map((c) => [c.id, `#/components/schemas/${pascal(c.id)}${suffix}`]),
  );
  const union = z
    .discriminatedUnion('connector', Object.values(variants) as [z.ZodMiniObject, ...z.ZodMiniObject[]])
    .check(z.meta({ discriminator: { propertyName: 'connector', mapping } } as Record<string, unknown>));
  return { variants, union };
}

const validate = perConnector(ValidateBody, 'ValidateBody');
const create = perConnector(CreateBody, 'CreateBody');
const changes = Object.fromEntries(connectors.map((c) => [`${pascal(c.id)}FieldChanges`, fieldChanges(c)]));
const UpdateBodyDoc = z.extend(UpdateBody, {
  fields: z.optional(
    z.union(Object.values(changes) as [z.ZodMiniType, ...z.ZodMiniType[]]).check(
      z.meta({
        description:
          "The credential's connector decides which applies. Non-secret fields are re-checked with the stored secret; a secret field is a rotation (checked before it replaces the stored one).",
      }),
    ),
  ),
});

/** The named schemas (components), each referenced wherever it is used. */
const NAMED: Record<string, z.ZodMiniType> = {
  Health,
  OpenApiDocument,
  ConnectorId,
  Catalogue: z.object({ items: z.array(CatalogueEntry) }),
  CatalogueEntry,
  FieldSpec: FieldSpecView,
  ...Object.fromEntries(connectors.map((c) => [fieldsName(c.id), c.schema])),
  ...changes,
  Requirement,
  ValidateBody: validate.union,
  ...validate.variants,
  CreateBody: create.union,
  ...create.variants,
  UpdateBody: UpdateBodyDoc,
  Report: ReportView,
  Verdict,
  Reason,
  Identity,
  Permission,
  Warning,
  WarningCode,
  ProbeTrace,
  ProbeOutcome,
  Credential: CredentialAnswer,
  CredentialStatus,
  CredentialPage: page(CredentialAnswer),
  Check: CheckAnswer,
  CheckTrigger,
  CheckPage: page(CheckAnswer),
  Problem,
  GatewayMessage,
};
/** Request bodies: their input and output JSON Schema must agree (no defaults, no transforms). */
const BODIES = ['ValidateBody', 'CreateBody', 'UpdateBody'];
/**
 * Query schemas: only their properties become parameters; they are no component. The `connector` filter takes any
 * name (an unknown one lists nothing); the document names the known ones.
 */
const QUERIES: Record<string, z.ZodMiniType> = {
  ListQuery: z.extend(ListQuery, { connector: z.optional(ConnectorId) }),
  PageQuery,
};
const QUERY_DESCRIPTIONS: Record<string, string> = {
  limit: 'Page size',
  cursor: '`nextCursor` of the previous page',
  connector: 'Only credentials of this connector',
  status: 'Only credentials with this status',
};

/** Every named schema as JSON Schema, in one pass, so that each refers to the others by `$ref`. */
function jsonSchemas(io: 'input' | 'output'): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries({ ...NAMED, ...QUERIES })) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io, uri: (id) => `#/components/schemas/${id}` }) as {
    schemas: Record<string, Json>;
  };
  for (const schema of Object.values(schemas)) {
    delete schema.$schema;
    delete schema.$id;
  }
  return schemas;
}

// --- examples ------------------------------------------------------------------------------------------------

const checkExamples = (extra: (id: string) => Json) =>
  Object.fromEntries(
    connectors.map((c) => [
      c.id,
      {
        summary: c.label,
        value: {
          connector: c.id,
          fields: EXAMPLE_FIELDS[c.id],
          requirements: EXAMPLE_REQUIREMENTS[c.id],
          ...extra(c.id),
        },
      },
    ]),
  );
const problemExample = (code: ProblemCode, title: string, detail: string, extra: Json = {}) => ({
  type: `https://credval.dev/problems/${code.replaceAll('_', '-')}`,
  title,
  status: problemStatus(code),
  detail,
  code,
  correlationId: '1c9d6a52-7f0e-4b8e-a1f3-6d2c5b4e3a10',
  ...extra,
});

// --- operations ----------------------------------------------------------------------------------------------

interface Success {
  status: 200 | 201 | 204;
  description: string;
  schema?: string;
  /** Response headers beside X-Correlation-Id, by component name. */
  headers?: Array<'ETag' | 'Location'>;
  examples?: Json;
}

interface OperationSpec {
  tag: 'Service' | 'Catalogue' | 'Checks' | 'Credentials';
  description?: string;
  /** Header parameters the route reads, by component name. */
  headers?: Array<'IdempotencyKey' | 'IfMatch'>;
  query?: keyof typeof QUERIES;
  body?: { schema: string; examples: Json };
  success: Success;
  /** Problems of this route's own work; those of auth, the body and `{id}` are added from the route. */
  problems: ProblemCode[];
}

/** What each route takes and answers; null for the console, a page for people rather than part of the API. */
const OPERATIONS: Record<RouteName, OperationSpec | null> = {
  console: null,
  health: {
    tag: 'Service',
    success: { status: 200, description: 'Up', schema: 'Health' },
    problems: [],
  },
  openapi: {
    tag: 'Service',
    success: { status: 200, description: 'This document', schema: 'OpenApiDocument' },
    problems: [],
  },
  'list-connectors': {
    tag: 'Catalogue',
    description:
      "What a form needs to ask for a credential: each connector's fields (label, help, which are secret) and their JSON Schema. Never a value.",
    success: { status: 200, description: 'The catalogue', schema: 'Catalogue' },
    problems: [],
  },
  'validate-credential': {
    tag: 'Checks',
    description:
      'Asks the vendor whether the credential works, who it acts as and what it may read and write. Stores nothing; the answer is 200 whatever the verdict.',
    body: { schema: 'ValidateBody', examples: checkExamples(() => ({})) },
    success: {
      status: 200,
      description: 'The report, whatever the verdict',
      schema: 'Report',
      examples: { valid: { summary: 'A working key', value: EXAMPLE_REPORT } },
    },
    problems: [],
  },
  'create-credential': {
    tag: 'Credentials',
    description:
      'Checks the credential, then stores it: the secret fields in the secret store, the rest in the table. An invalid credential is never stored; an inconclusive one only with `allowUnverified` (status `unverified`). With an `Idempotency-Key`, a retry with the same body gets the first answer again.',
    headers: ['IdempotencyKey'],
    body: {
      schema: 'CreateBody',
      examples: checkExamples((id) => ({
        name: `${pascal(id)} integration`,
        description: 'Purchasing sync',
      })),
    },
    success: {
      status: 201,
      description: 'Checked and stored',
      schema: 'Credential',
      headers: ['ETag', 'Location'],
      examples: { stored: { summary: 'A stored Dolibarr credential', value: EXAMPLE_CREDENTIAL } },
    },
    problems: [
      'conflict',
      'idempotency_in_progress',
      'credential_invalid',
      'destination_not_allowed',
      'idempotency_key_reused',
      'check_inconclusive',
      'storage_unavailable',
    ],
  },
  'list-credentials': {
    tag: 'Credentials',
    query: 'ListQuery',
    success: { status: 200, description: 'A page of credentials', schema: 'CredentialPage' },
    problems: ['invalid_input', 'invalid_cursor', 'storage_unavailable'],
  },
  'get-credential': {
    tag: 'Credentials',
    success: {
      status: 200,
      description: 'The credential, with its version as ETag',
      schema: 'Credential',
      headers: ['ETag'],
    },
    problems: ['storage_unavailable'],
  },
  'update-credential': {
    tag: 'Credentials',
    description:
      'A rename or a new description calls no vendor. Changed non-secret fields or requirements are re-checked with the stored secret; a secret field is a rotation: the new value is checked and replaces the stored one only when valid. Nothing changes when the check fails. `If-Match` makes the change conditional. A registered credential (`managedBy`) takes only a new name or description: anything else answers 409 `managed_externally`.',
    headers: ['IfMatch'],
    body: {
      schema: 'UpdateBody',
      examples: {
        rename: { summary: 'Rename (no vendor call)', value: { name: 'ERP (production)' } },
        rotate: { summary: 'Rotate the secret', value: { fields: { apiKey: '<new Dolibarr API key>' } } },
        clear: { summary: 'Clear an optional field', value: { fields: { entity: null } } },
      },
    },
    success: {
      status: 200,
      description: 'The changed credential',
      schema: 'Credential',
      headers: ['ETag'],
    },
    problems: [
      'conflict',
      'version_conflict',
      'managed_externally',
      'precondition_failed',
      'credential_invalid',
      'destination_not_allowed',
      'check_inconclusive',
      'storage_unavailable',
    ],
  },
  'delete-credential': {
    tag: 'Credentials',
    description:
      'Removes the credential at once; its secret stays recoverable for the recovery window, and its check history is kept. `If-Match` makes it conditional.',
    headers: ['IfMatch'],
    success: { status: 204, description: 'Deleted' },
    problems: ['conflict', 'version_conflict', 'precondition_failed', 'storage_unavailable'],
  },
  'recheck-credential': {
    tag: 'Credentials',
    description:
      "Checks the stored credential now with its stored secret (a registered credential: its owner's secret, `secretArn`; when credval cannot read it, the new report is `inconclusive` / `secret_unavailable` and no vendor is called). A first rejection is not proof yet: the status turns `invalid` only when a later check confirms it.",
    success: {
      status: 200,
      description: 'The credential with its new report',
      schema: 'Credential',
      headers: ['ETag'],
    },
    problems: ['conflict', 'version_conflict', 'storage_unavailable'],
  },
  'list-checks': {
    tag: 'Credentials',
    query: 'PageQuery',
    success: { status: 200, description: 'A page of the check history', schema: 'CheckPage' },
    problems: ['invalid_input', 'invalid_cursor', 'storage_unavailable'],
  },
};

const TAGS = [
  { name: 'Checks', description: 'Check a credential without storing it.' },
  { name: 'Credentials', description: 'Stored credentials: checked before they are stored, and re-checked.' },
  { name: 'Catalogue', description: 'The connectors and the fields each one asks for.' },
  { name: 'Service', description: 'Liveness and this document.' },
];

const PARAMETERS = {
  CredentialId: {
    name: 'id',
    in: 'path',
    required: true,
    description: 'Credential id',
    schema: z.toJSONSchema(CredentialId) as Json,
    example: EXAMPLE_ID,
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Makes a retry safe: the first answer for this key (per tenant) is kept for 24 hours and replayed for a retry with the same body.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
    example: '6f1c0d3e-9a2b-4c5d-8e7f-0a1b2c3d4e5f',
  },
  IfMatch: {
    name: 'If-Match',
    in: 'header',
    required: false,
    description:
      'The ETag of the version the change is based on (`"3"`; `W/"3"` and `3` are read alike, `*` matches any): 412 when the credential has moved on.',
    schema: { type: 'string' },
    example: '"3"',
  },
  CorrelationId: {
    name: 'X-Correlation-Id',
    in: 'header',
    required: false,
    description:
      'Echoed in the answer and its logs when it matches `^[\\w.-]{1,64}$`; otherwise credval makes one up.',
    schema: { type: 'string', pattern: '^[\\w.-]{1,64}$' },
    example: 'order-sync-2026-11-23-0042',
  },
};

const correlationHeader = (required: boolean) => ({
  description: required
    ? 'The correlation id of this request (also `correlationId` in a problem); quote it when reporting a problem'
    : 'The correlation id of this request; absent when API Gateway answered before credval ran',
  required,
  schema: { type: 'string', pattern: '^[\\w.-]{1,64}$' },
});

const HEADERS = {
  CorrelationId: correlationHeader(true),
  CorrelationIdUnlessGateway: correlationHeader(false),
  ETag: {
    description: "The credential's version as a strong entity tag: send it as If-Match to change it safely",
    required: true,
    schema: { type: 'string', pattern: '^"\\d+"$' },
    example: '"3"',
  },
  Location: {
    description: 'Where the new credential is',
    required: true,
    schema: { type: 'string', format: 'uri-reference' },
    example: `/credentials/${EXAMPLE_ID}`,
  },
  RetryAfter: {
    description: 'Seconds to wait before retrying (a vendor asked for it, or the store is unavailable)',
    required: false,
    schema: { type: 'integer', minimum: 0 },
    example: 30,
  },
};

const headerRef = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });
const parameterRef = (name: keyof typeof PARAMETERS) => ({ $ref: `#/components/parameters/${name}` });

/** Statuses whose problems API Gateway may answer itself on AWS, with its own `{"message"}` body. */
const GATEWAY_ALSO = new Set([401, 413]);

/** The name of each answer that operations may share (components.responses), by the answer object. */
const RESPONSE_NAMES = new WeakMap<Json, string>();
const named = (name: string, response: Json): Json => {
  RESPONSE_NAMES.set(response, name);
  return response;
};

/** Moves the answers that several operations give alike to components.responses, referenced by name. */
function shareResponses(operations: Array<{ responses: Record<string, Json> }>): Record<string, Json> {
  const byName = new Map<string, { text: string; uses: number }>();
  for (const response of operations.flatMap((o) => Object.values(o.responses))) {
    const name = RESPONSE_NAMES.get(response);
    if (!name) continue;
    const text = JSON.stringify(response);
    const seen = byName.get(name) ?? { text, uses: 0 };
    if (seen.text !== text) throw new Error(`two different answers are both named ${name}`);
    byName.set(name, { text, uses: seen.uses + 1 });
  }
  const shared: Record<string, Json> = {};
  for (const operation of operations) {
    for (const [status, response] of Object.entries(operation.responses)) {
      const name = RESPONSE_NAMES.get(response);
      if (!name || (byName.get(name)?.uses ?? 0) < 2) continue;
      shared[name] = response;
      operation.responses[status] = { $ref: `#/components/responses/${name}` };
    }
  }
  return Object.fromEntries(Object.entries(shared).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Examples of problem answers, by a code that picks them: the missing field under a body's 400 (the one with
 * `invalid_json`), the refused key under a 422 that can say `credential_invalid`.
 */
const PROBLEM_EXAMPLES: Partial<Record<ProblemCode, Json>> = {
  invalid_json: {
    missingField: {
      summary: 'A missing field',
      value: problemExample(
        'invalid_input',
        'Bad Request',
        'fields.apiKey: Invalid input: expected string, received undefined',
        {
          issues: [{ field: 'fields.apiKey', message: 'Invalid input: expected string, received undefined' }],
        },
      ),
    },
  },
  credential_invalid: {
    rejected: {
      summary: 'The vendor refused the key',
      value: problemExample('credential_invalid', 'Unprocessable Content', EXAMPLE_REJECTED.message, {
        report: EXAMPLE_REJECTED,
      }),
    },
  },
};

/** The answer of one status: the problem codes it can carry, their meaning, and the schema narrowed to them. */
function problemResponse(status: number, codes: ProblemCode[]): Json {
  const examples = Object.assign(
    {},
    ...codes.map((code) => PROBLEM_EXAMPLES[code]).filter((e) => e !== undefined),
  ) as Json;
  const gateway = GATEWAY_ALSO.has(status);
  const lines = codes.map((code) => `\`${code}\`: ${PROBLEM_CODES[code]}`);
  if (gateway)
    lines.push('On AWS, API Gateway may answer this itself with `{ "message" }` (no correlation id).');
  return named(codes.map((code) => pascal(code.replaceAll('_', '-'))).join('Or'), {
    description: lines.join('\n\n'),
    headers: {
      'X-Correlation-Id': headerRef(gateway ? 'CorrelationIdUnlessGateway' : 'CorrelationId'),
      ...(status === 422 || status === 503 ? { 'Retry-After': headerRef('RetryAfter') } : {}),
    },
    content: {
      'application/problem+json': {
        schema: {
          allOf: [
            schemaRef('Problem'),
            { type: 'object', properties: { status: { const: status }, code: { enum: codes } } },
          ],
        },
        ...(Object.keys(examples).length > 0 ? { examples } : {}),
      },
      ...(gateway ? { 'application/json': { schema: schemaRef('GatewayMessage') } } : {}),
    },
  });
}

/** API Gateway's throttling (AWS only): every operation can get it. */
const THROTTLED = named('Throttled', {
  description: 'Throttled by API Gateway (on AWS only): slow down and retry.',
  headers: { 'X-Correlation-Id': headerRef('CorrelationIdUnlessGateway') },
  content: { 'application/json': { schema: schemaRef('GatewayMessage') } },
});

/** Anything else: a fault in credval, or API Gateway's own. */
const UNEXPECTED = named('Unexpected', {
  description:
    '`internal_error` (500): a fault in credval; quote the correlation id. `secret_unreadable` (500): the stored secret failed its integrity check; an operator must restore or replace it. On AWS, API Gateway answers its own faults (e.g. 503, 504) with `{ "message" }`.',
  headers: { 'X-Correlation-Id': headerRef('CorrelationIdUnlessGateway') },
  content: {
    'application/problem+json': { schema: schemaRef('Problem') },
    'application/json': { schema: schemaRef('GatewayMessage') },
  },
});

/** The operation object of one route. */
function operationOf(
  route: (typeof ROUTES)[number],
  spec: OperationSpec,
  queries: Record<string, Json>,
): Json {
  const hasId = route.path.includes('{id}');
  const problems = new Set<ProblemCode>(spec.problems);
  if (route.auth) problems.add('unauthorized');
  if (hasId) for (const code of ['invalid_input', 'not_found'] as const) problems.add(code);
  if (spec.body) {
    for (const code of ['invalid_input', 'invalid_json', 'body_too_large', 'unsupported_media_type'] as const)
      problems.add(code);
  }
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of DOCUMENTED_PROBLEM_CODES.filter((c) => problems.has(c))) {
    const status = problemStatus(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }

  const { success } = spec;
  const responses: Record<string, Json> = {
    [success.status]: {
      description: success.description,
      headers: {
        'X-Correlation-Id': headerRef('CorrelationId'),
        ...Object.fromEntries((success.headers ?? []).map((h) => [h, headerRef(h)])),
      },
      ...(success.schema
        ? {
            content: {
              'application/json': {
                schema: schemaRef(success.schema),
                ...(success.examples ? { examples: success.examples } : {}),
              },
            },
          }
        : {}),
    },
  };
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    responses[status] = problemResponse(status, byStatus.get(status) ?? []);
  }
  responses[429] = THROTTLED;
  responses.default = UNEXPECTED;

  const query = spec.query ? (queries[spec.query] as { properties?: Record<string, Json> }) : undefined;
  const parameters = [
    ...(hasId ? [parameterRef('CredentialId')] : []),
    ...Object.entries(query?.properties ?? {}).map(([name, schema]) => ({
      name,
      in: 'query',
      required: false,
      ...(QUERY_DESCRIPTIONS[name] ? { description: QUERY_DESCRIPTIONS[name] } : {}),
      schema,
    })),
    ...(spec.headers ?? []).map(parameterRef),
    parameterRef('CorrelationId'),
  ];

  return {
    operationId: camel(route.name),
    summary: route.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: [spec.tag],
    ...(route.auth ? {} : { security: [] }),
    parameters,
    ...(spec.body
      ? {
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: schemaRef(spec.body.schema), examples: spec.body.examples },
            },
          },
        }
      : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of every route in the route table. */
export function openApiDocument(): Json {
  const output = jsonSchemas('output');
  const input = jsonSchemas('input');
  for (const name of BODIES) {
    // A default or a transform would make the body a client sends differ from the one described.
    if (JSON.stringify(output[name]) !== JSON.stringify(input[name]))
      throw new Error(`${name}: its input and output JSON Schemas differ`);
  }
  const schemas = Object.fromEntries(Object.keys(NAMED).map((name) => [name, output[name] as Json]));
  const queries = Object.fromEntries(Object.keys(QUERIES).map((name) => [name, input[name] as Json]));

  const paths: Record<string, Record<string, Json>> = {};
  const operations: Array<{ responses: Record<string, Json> }> = [];
  for (const route of ROUTES) {
    const spec = OPERATIONS[route.name];
    if (!spec) continue;
    const operation = operationOf(route, spec, queries);
    operations.push(operation as { responses: Record<string, Json> });
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, Json>)[route.method.toLowerCase()] = operation;
  }
  const responses = shareResponses(operations);
  return {
    openapi: '3.1.0',
    info: {
      title: 'credval',
      version: '1',
      summary:
        'Checks business-system credentials, stores them only when they work, and keeps checking them.',
      description: [
        'credval asks the vendor (Dolibarr, Odoo, Precoro) whether a credential works, who it acts as and what it may read and write, and answers with one report.',
        'Every route but `/health` and `/openapi.json` needs a tenant: on AWS a JWT (the tenant is one of its claims), locally `Authorization: Bearer <token>` (see the start-up message of `credval serve`).',
        'Errors are `application/problem+json` (RFC 9457) with a stable `code` and a `correlationId`, also sent as the `X-Correlation-Id` header of every answer. On AWS, API Gateway answers some requests itself before credval runs (401 from the JWT authorizer, 413, 429, its own 5xx) with `{ "message" }` and no correlation id.',
        'Changes are safe to retry: `Idempotency-Key` on `POST /credentials`, `If-Match` with the `ETag` on `PATCH` and `DELETE`.',
        'Before any operation, a path no route has answers 404 `not_found`, a method the path does not take 405 `method_not_allowed`, and a path that is not valid percent-encoding 400 `invalid_input`.',
      ].join('\n\n'),
      license: { name: 'UNLICENSED', identifier: 'LicenseRef-UNLICENSED' },
    },
    servers: [
      { url: '/', description: 'Where this document is served: the deployed API, or `credval serve`' },
      { url: 'http://127.0.0.1:3000', description: '`npm start` (credval serve) with its defaults' },
    ],
    security: [{ bearer: [] }],
    tags: TAGS,
    paths,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'On AWS a JWT from the configured issuer; locally a token of `credval serve`.',
        },
      },
      parameters: PARAMETERS,
      responses,
      headers: HEADERS,
      schemas,
    },
  };
}
