// GET /: the console page, public; builds nothing but the page.
import { makeConsoleHandler } from '../shared/http/handlers/console.ts';

export const handler = makeConsoleHandler();
