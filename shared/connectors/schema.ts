import { z } from 'zod';
import type { FieldSpec, FieldValues } from './types.ts';

function fieldSchema(spec: FieldSpec): z.ZodType<string> {
  const meta = { title: spec.label, description: spec.help, ...(spec.secret ? { writeOnly: true } : {}) };
  switch (spec.format) {
    case 'url':
      return z
        .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
        .max(2048)
        .meta(meta);
    case 'email':
      return z.email({ error: 'must be an e-mail address' }).max(320).meta(meta);
    case 'enum':
      return z
        .enum(spec.enum as [string, ...string[]], { error: `must be one of ${spec.enum?.join(', ')}` })
        .meta(meta);
    case 'integer':
      return z
        .string()
        .regex(/^\d{1,9}$/, 'must be a whole number')
        .meta(meta);
    case 'text':
      return z.string().min(1, 'must not be empty').max(1024, 'is too long').meta(meta);
    default: {
      const exhaustive: never = spec.format;
      throw new Error(`unknown field format ${String(exhaustive)}`);
    }
  }
}

/** The zod schema of a connector's normalised fields, built from its field list (strict: unknown keys fail). */
export function fieldsSchema(specs: readonly FieldSpec[]): z.ZodType<FieldValues> {
  const shape: Record<string, z.ZodType<string | undefined>> = {};
  for (const spec of specs) {
    const schema = fieldSchema(spec);
    shape[spec.key] = spec.required ? schema : schema.optional();
  }
  return z.strictObject(shape) as unknown as z.ZodType<FieldValues>;
}

/** JSON Schema (draft 2020-12) of a connector's fields, for the catalogue and form builders. */
export function fieldsJsonSchema(schema: z.ZodType<FieldValues>): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
}
