import { CheckTrigger, CredentialStatus, CredentialView } from '../domain/credential.ts';
import { Report, Requirement } from '../domain/report.ts';
import { z } from '../domain/zod.ts';

/** Names of connectors are checked by the service (which lists the known ones in its error). */
const ConnectorId = z.string().min(1).max(64);
const Fields = z.record(z.string().max(64), z.unknown()).openapi({
  description: "The connector's fields (see GET /connectors); secret fields are write-only.",
});
const Requirements = z.array(Requirement).max(50);

/** POST /validations */
export const ValidateBody = z
  .object({ connector: ConnectorId, fields: Fields, requirements: Requirements.optional() })
  .strict()
  .openapi('ValidateBody');

/** POST /credentials */
export const CreateBody = z
  .object({
    connector: ConnectorId,
    name: z.string().trim().min(1).max(200),
    description: z.string().max(2000).optional(),
    fields: Fields,
    requirements: Requirements.optional(),
    allowUnverified: z.boolean().optional(),
  })
  .strict()
  .openapi('CreateBody');

/** PATCH /credentials/{id}: a secret field in `fields` is a rotation. */
export const UpdateBody = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    description: z.string().max(2000).optional(),
    fields: z.record(z.string().max(64), z.union([z.string(), z.number(), z.null()])).optional(),
    requirements: Requirements.optional(),
    allowUnverified: z.boolean().optional(),
  })
  .strict()
  .openapi('UpdateBody');

/** GET /credentials query. */
export const ListQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().max(2048).optional(),
    connector: z.string().max(64).optional(),
    status: CredentialStatus.optional(),
  })
  .strict();

/** GET /credentials/{id}/checks query. */
export const PageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().max(2048).optional(),
  })
  .strict();

export const CredentialId = z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'is not a credential id');

export const CredentialResponse = CredentialView.openapi('Credential');
export const ReportResponse = Report.openapi('Report');

export const CheckView = z
  .object({
    checkId: z.string(),
    checkedAt: z.string(),
    trigger: CheckTrigger,
    statusBefore: CredentialStatus.nullable(),
    statusAfter: CredentialStatus,
    report: Report,
  })
  .openapi('Check');

export const CredentialPage = z
  .object({ items: z.array(CredentialResponse), nextCursor: z.string().nullable() })
  .openapi('CredentialPage');
export const CheckPage = z
  .object({ items: z.array(CheckView), nextCursor: z.string().nullable() })
  .openapi('CheckPage');

/** RFC 9457 problem details with credval's stable `code`. */
export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string(),
    correlationId: z.string(),
    issues: z.array(z.object({ field: z.string().nullable(), message: z.string() })).optional(),
    report: Report.optional(),
  })
  .openapi('Problem');
