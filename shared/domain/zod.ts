import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

// zod/mini, not classic zod: its functional API tree-shakes, so a function that parses two small objects
// carries a few kB of zod instead of 450 kB (README "Libraries and why"). Mini ships without messages;
// English is loaded once here, so every schema module imports zod from this file, as a namespace
// (`import * as z`), which the bundler can still tree-shake.
config(en());

export * from 'zod/mini';
