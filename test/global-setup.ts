// Builds the compiled command (dist/cli/) once before any test file runs, so the tests that start `credval`
// as a process (CLI, local server end to end, the README's examples) run exactly what `npx credval` runs.
import { buildCli } from '../bin/build-cli.mjs';

export default async function setup(): Promise<void> {
  if (!(await buildCli())) throw new Error('esbuild is missing: run npm ci');
}
