import { parseDuration } from '../../domain/durations.ts';
import * as z from '../../domain/zod.ts';

// Building blocks of the settings schemas: each slice (a module beside this one) parses its own variables.

/** A string that `parse` turns into a value, with its error message kept as the issue's message. */
export const parsedString = <T>(parse: (text: string) => T) =>
  z.pipe(
    z.string(),
    z.transform((text: string, ctx) => {
      try {
        return parse(text);
      } catch (error) {
        ctx.issues.push({ code: 'custom', message: (error as Error).message, input: text });
        return z.NEVER;
      }
    }),
  );

export const duration = (fallback: string) => z.prefault(parsedString(parseDuration), fallback);
export const text = (fallback: string) => z._default(z.string().check(z.minLength(1)), fallback);
export const optionalText = () => z.optional(z.string());
export const url = () =>
  z.optional(z.string().check(z.refine((value) => URL.canParse(value), 'must be a URL')));
export const integer = (fallback: number, min: number, max: number) =>
  z._default(z.coerce.number().check(z.int(), z.gte(min), z.lte(max)), fallback);
