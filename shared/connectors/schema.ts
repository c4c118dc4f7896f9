import * as z from '../domain/zod.ts';
import type { FieldSpec, FieldValues } from './types.ts';

function fieldSchema(spec: FieldSpec): z.ZodMiniType<string> {
  const meta = z.meta({
    title: spec.label,
    description: spec.help,
    ...(spec.secret ? { writeOnly: true } : {}),
  });
  switch (spec.format) {
    case 'url':
      return z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).check(z.maxLength(2048), meta);
    case 'email':
      return z.email({ error: 'must be an e-mail address' }).check(z.maxLength(320), meta);
    case 'enum':
      return z
        .enum(spec.enum as [string, ...string[]], { error: `must be one of ${spec.enum?.join(', ')}` })
        .check(meta);
    case 'integer':
      return z.string().check(z.regex(/^\d{1,9}$/, 'must be a whole number'), meta);
    case 'text':
      return z.string().check(z.minLength(1, 'must not be empty'), z.maxLength(1024, 'is too long'), meta);
    default: {
      const exhaustive: never = spec.format;
      throw new Error(`unknown field format ${String(exhaustive)}`);
    }
  }
}

/** The zod schema of a connector's normalised fields, built from its field list (strict: unknown keys fail). */
export function fieldsSchema(specs: readonly FieldSpec[]): z.ZodMiniType<FieldValues> {
  const shape: Record<string, z.ZodMiniType<string | undefined>> = {};
  for (const spec of specs) {
    const schema = fieldSchema(spec);
    shape[spec.key] = spec.required ? schema : z.optional(schema);
  }
  return z.strictObject(shape) as unknown as z.ZodMiniType<FieldValues>;
}

/** JSON Schema (draft 2020-12) of a connector's fields, for the catalogue and form builders. */
export function fieldsJsonSchema(schema: z.ZodMiniType<FieldValues>): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
}
