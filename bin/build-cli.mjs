// Compiles the credval command (bin/cli.ts and everything it imports) to plain JavaScript in dist/cli/, so that
// `credval` starts without compiling TypeScript on every run. `npm ci` and `npm install` run it through the
// `prepare` script, the test suite's global setup runs it too, and `npm run build` runs it by hand.
// bin/credval.js runs the sources through tsx instead whenever the build is missing or older than a source.
// Plain JavaScript on purpose: it must run before anything is compiled.
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DIST_DIR = join(ROOT, 'dist', 'cli');
const MANIFEST = 'manifest.json';

/**
 * Builds dist/cli/: one ESM entry (`cli.js`) plus chunks that load on demand (the local server, undici), so
 * `credval --help` and `credval connectors` load neither. Written to a staging folder and swapped in, so a
 * credval starting meanwhile never sees half a build. Resolves to false (and builds nothing) when esbuild is
 * not installed, as in a production install without devDependencies: the command then runs from the sources.
 */
export async function buildCli({ distDir = DIST_DIR } = {}) {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    return false;
  }
  // Sources changed after this instant may have been read before the change: they count as newer.
  const builtAt = Date.now();
  const staging = `${distDir}.${randomBytes(4).toString('hex')}.tmp`;
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { cli: 'bin/cli.ts' },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    mainFields: ['module', 'main'],
    // dynalite loads LevelDB's native binding and requires its parts at run time: it stays in node_modules.
    external: ['dynalite'],
    // CommonJS dependencies bundled into ESM still call require() for Node's built-ins.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    metafile: true,
    logLevel: 'warning',
  });
  const sources = Object.keys(result.metafile.inputs)
    .filter((input) => !input.includes('node_modules/'))
    .sort();
  await writeFile(join(staging, MANIFEST), `${JSON.stringify({ builtAt, sources }, null, 2)}\n`);
  const old = `${distDir}.${randomBytes(4).toString('hex')}.old`;
  await rename(distDir, old).catch((error) => {
    if (error.code !== 'ENOENT') throw error;
  });
  await rename(staging, distDir);
  await rm(old, { recursive: true, force: true });
  return true;
}

/**
 * Whether dist/cli/ is a build of the current sources: every source it was built from (listed in its
 * manifest) exists and is no newer than the build. Costs one stat per source file (~60), well under 1 ms.
 */
export function compiledCliIsFresh({ distDir = DIST_DIR, root = ROOT } = {}) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(distDir, MANIFEST), 'utf8'));
  } catch {
    return false;
  }
  if (!Array.isArray(manifest.sources) || typeof manifest.builtAt !== 'number') return false;
  return manifest.sources.every((source) => {
    try {
      return Math.floor(statSync(join(root, source)).mtimeMs) <= manifest.builtAt;
    } catch {
      return false;
    }
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!(await buildCli())) {
    console.warn(
      'credval: esbuild is not installed; the command will run from the TypeScript sources (slower).',
    );
  }
}
