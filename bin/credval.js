#!/usr/bin/env node
// The credval command. It runs the compiled JavaScript in dist/cli/ (built by `npm ci`: see bin/build-cli.mjs),
// which starts several times faster than compiling the TypeScript sources on each run. When that build is
// missing or older than a source file, it runs the sources through tsx instead, so an edit is never ignored.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compiledCliIsFresh, DIST_DIR } from './build-cli.mjs';

let cli;
if (compiledCliIsFresh()) {
  cli = await import(pathToFileURL(join(DIST_DIR, 'cli.js')).href);
} else {
  process.stderr.write(
    'credval: running from the TypeScript sources (dist/cli/ is missing or older than them; `npm run build` makes start-up fast)\n',
  );
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import('./cli.ts');
}
await cli.runProcess();
