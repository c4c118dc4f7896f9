import type * as z from '../../domain/zod.ts';

/** Parses `env` with a settings schema; throws one Error that names every bad variable. */
export function parseSettings<S extends z.ZodMiniType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const blankless = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(blankless);
  if (parsed.success) return parsed.data as z.output<S>;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new Error(`Invalid configuration: ${problems.join('; ')}`);
}
