// GET /: the console page, no authentication.
import { makeConsoleHandler } from '../shared/http/console.ts';

export const handler = makeConsoleHandler();
