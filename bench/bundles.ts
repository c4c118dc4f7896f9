// Part 2: every Lambda bundle's minified size and cold import time. Each `functions/*.ts` is bundled with
// esbuild using exactly the stack's BUNDLING (infra/credval-function.ts, translated from the CDK
// BundlingOptions to the esbuild API as aws-lambda-nodejs does), plus a baseline handler that only creates a
// DynamoDB client, with the same options. Cold import: median over fresh Node processes of
// performance.now() around `await import(bundle)`, with the stack's NODE_OPTIONS (--enable-source-maps).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cp, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { type BUNDLING, bundlingFor, FUNCTIONS_DIR, PROJECT_ROOT } from '../infra/credval-function.ts';
import { COPY_DIRS } from '../infra/stateless-stack.ts';
import { ANY_FUNCTION_BUDGET, budgetGroup, bundleBudget } from '../test/bundles/budgets.ts';
import { SIZES } from './lib/config.ts';
import { median, quantile, round, table, yesNo } from './lib/stats.ts';

const run = promisify(execFile);
const COLD_IMPORT = fileURLToPath(new URL('./children/cold-import.mjs', import.meta.url));
/** Cold import goals against the baseline: read routes, and every function. */
export const READ_RATIO_GOAL = 1.5;
export const ANY_RATIO_GOAL = 2.5;
const ratioGoalOf = (name: string) => (budgetGroup(name) === 'read' ? READ_RATIO_GOAL : ANY_RATIO_GOAL);
/** What the modules read at import (dummy values; nothing may be called). */
const IMPORT_ENV = {
  TABLE_NAME: 'credval-credentials',
  QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/q',
  EVENT_BUS_NAME: 'b',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'x',
  // Lambda runs Node 22, where the SDK has no Node-version warning to print; on Node 20 it would print one.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
/** As the stack sets it for every function (CredvalFunction `environment`). */
const NODE_OPTIONS = '--enable-source-maps';

export const BASELINE_SOURCE = `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
const client = new DynamoDBClient({});
export const handler = async () => ({ statusCode: 200, body: String(Boolean(client)) });
`;

/**
 * Not goals: single ingredients of the functions, bundled the same way, to show where import time goes.
 * Each does at module scope what credval does with it (a client, a schema).
 */
const INGREDIENTS: Record<string, string> = {
  '(undici alone)': `import { Agent } from 'undici';
const agent = new Agent();
export const handler = async () => ({ statusCode: 200, body: String(Boolean(agent)) });
`,
  '(zod alone)': `import { z } from 'zod';
const Body = z.object({ connector: z.string(), fields: z.record(z.string(), z.string()) });
export const handler = async (event) => ({ statusCode: 200, body: String(Body.safeParse(event).success) });
`,
  '(AWS SDK: 4 clients)': `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
const clients = [DynamoDBDocumentClient.from(new DynamoDBClient({})), new SecretsManagerClient({}), new EventBridgeClient({}), new SQSClient({})];
export const handler = async () => ({ statusCode: 200, body: String(clients.length) });
`,
};

/** The esbuild options aws-lambda-nodejs derives from BUNDLING (bundling.js buildEsbuildArgs). */
export function esbuildOptionsOf(
  bundling: typeof BUNDLING & { define?: Record<string, string> },
): BuildOptions {
  return {
    ...(bundling.define ? { define: { ...bundling.define } } : {}),
    bundle: true,
    platform: 'node',
    format: bundling.format === 'esm' ? 'esm' : 'cjs',
    target: bundling.target,
    minify: bundling.minify,
    sourcemap: bundling.sourceMap,
    sourcesContent: bundling.sourcesContent,
    external: [...bundling.externalModules],
    mainFields: [...bundling.mainFields],
    banner: { js: bundling.banner },
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'silent',
  };
}

export interface BundleRow {
  name: string;
  /** static, read or other: which size budget and import goal apply (test/bundles/budgets.ts). */
  group: 'static' | 'read' | 'other' | null;
  bytes: number;
  gzipBytes: number;
  budgetBytes: number | null;
  sizeGoalMet: boolean;
  coldImportMedianMs: number;
  coldImportP90Ms: number;
  ratioToBaseline: number | null;
  ratioGoal: number | null;
  ratioGoalMet: boolean | null;
  /** CPU time of the import (user + system), a cross-check that a busy machine disturbs less. */
  coldImportCpuMedianMs: number;
  cpuRatioToBaseline: number;
  /** Connections and DNS lookups during import, over all runs (must be 0: importing calls no AWS). */
  networkAtImport: number;
}

/** Where a bundle's bytes come from: npm packages, and credval's own sources. */
export interface Composition {
  bundle: string;
  parts: Array<{ source: string; bytes: number }>;
}

export interface BundlesResult {
  esbuild: string;
  nodeOptions: string;
  runsPerBundle: number;
  baseline: BundleRow;
  functions: BundleRow[];
  ingredients: BundleRow[];
  composition: Composition;
}

/** One cold import of `file` in a fresh Node process. */
async function coldImportOnce(file: string): Promise<{ ms: number; cpuMs: number; network: number }> {
  const { stdout } = await run(process.execPath, [COLD_IMPORT, file], {
    cwd: PROJECT_ROOT,
    env: { PATH: process.env.PATH ?? '', ...IMPORT_ENV, NODE_OPTIONS },
  });
  const line = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
    importMs: number;
    importCpuMs: number;
    hasHandler: boolean;
    connections: number;
    lookups: number;
  };
  if (!line.hasHandler) throw new Error(`${basename(file)} exports no handler`);
  return { ms: line.importMs, cpuMs: line.importCpuMs, network: line.connections + line.lookups };
}

/**
 * Cold imports of every bundle, round-robin (one process per bundle per round), so that a busy moment on the
 * machine slows all bundles of that round alike instead of skewing one bundle's median or the baseline's.
 */
async function coldImports(
  files: Record<string, string>,
): Promise<Map<string, { times: number[]; cpuTimes: number[]; network: number }>> {
  const out = new Map(
    Object.keys(files).map((name) => [name, { times: [] as number[], cpuTimes: [] as number[], network: 0 }]),
  );
  for (let pass = 0; pass < SIZES.coldImportRuns; pass++) {
    for (const [name, file] of Object.entries(files)) {
      const { ms, cpuMs, network } = await coldImportOnce(file);
      const entry = out.get(name);
      entry?.times.push(ms);
      entry?.cpuTimes.push(cpuMs);
      if (entry) entry.network += network;
    }
  }
  return out;
}

export async function benchBundles(): Promise<BundlesResult> {
  const outdir = await mkdtemp(join(tmpdir(), 'credval-bench-bundles-'));
  try {
    // As a deployment with the default secret store bundles them (`secretStore=envelope` swaps one store for the
    // other; test:bundles builds and runs both).
    const options = esbuildOptionsOf(bundlingFor('secretsmanager'));
    const entries = (await readdir(FUNCTIONS_DIR)).filter((f) => f.endsWith('.ts')).sort();
    // One esbuild run with every entry point (no code splitting: each output is a self-contained bundle).
    // esbuild then parses the shared dependencies once; the outputs are byte-identical to one build per
    // function as the stack runs it (outfile <dir>/index.mjs), which is checked below on one function.
    const multi = await build({
      ...options,
      entryPoints: entries.map((entry) => join(FUNCTIONS_DIR, entry)),
      outdir,
      entryNames: '[name]/index',
      outExtension: { '.js': '.mjs' },
      metafile: true,
    });
    const probe = entries[0] ?? '';
    await build({
      ...options,
      entryPoints: [join(FUNCTIONS_DIR, probe)],
      outfile: join(outdir, '(single)', 'index.mjs'),
    });
    const name = basename(probe, '.ts');
    if (
      !readFileSync(join(outdir, name, 'index.mjs')).equals(
        readFileSync(join(outdir, '(single)', 'index.mjs')),
      )
    )
      throw new Error(`the multi-entry bundle of ${name} differs from its single build`);
    // Folders the stack copies next to a bundle (CredvalFunction copyDirs, its afterBundling hook).
    for (const entry of entries) {
      const name = basename(entry, '.ts');
      for (const dir of COPY_DIRS[name] ?? [])
        await cp(join(PROJECT_ROOT, dir), join(outdir, name, dir), { recursive: true });
    }
    for (const [label, contents] of [['(baseline)', BASELINE_SOURCE], ...Object.entries(INGREDIENTS)]) {
      await build({
        ...options,
        stdin: { contents: contents ?? '', resolveDir: PROJECT_ROOT, sourcefile: 'handler.ts', loader: 'ts' },
        outfile: join(outdir, label ?? '', 'index.mjs'),
      });
    }

    const functionNames = entries.map((entry) => basename(entry, '.ts'));
    const names = ['(baseline)', ...functionNames, ...Object.keys(INGREDIENTS)];
    const imports = await coldImports(
      Object.fromEntries(names.map((n) => [n, join(outdir, n, 'index.mjs')])),
    );
    const baselineMedian = median(imports.get('(baseline)')?.times ?? []);
    const baselineCpuMedian = median(imports.get('(baseline)')?.cpuTimes ?? []);
    const row = async (name: string, goals: boolean): Promise<BundleRow> => {
      const file = join(outdir, name, 'index.mjs');
      const bytes = (await stat(file)).size;
      const { times, cpuTimes, network } = imports.get(name) ?? { times: [], cpuTimes: [], network: 0 };
      const ratio = median(times) / baselineMedian;
      const budget = goals ? bundleBudget(name) : null;
      const ratioGoal = goals ? ratioGoalOf(name) : null;
      return {
        name,
        group: goals ? budgetGroup(name) : null,
        bytes,
        gzipBytes: gzipSync(readFileSync(file)).length,
        budgetBytes: budget,
        sizeGoalMet: budget === null ? true : bytes <= budget,
        coldImportMedianMs: round(median(times)),
        coldImportP90Ms: round(quantile(times, 0.9)),
        ratioToBaseline: round(ratio),
        coldImportCpuMedianMs: round(median(cpuTimes)),
        cpuRatioToBaseline: round(median(cpuTimes) / baselineCpuMedian),
        ratioGoal,
        ratioGoalMet: ratioGoal === null ? null : ratio <= ratioGoal,
        networkAtImport: network,
      };
    };
    const baseline = await row('(baseline)', false);
    const functions = await Promise.all(functionNames.map((name) => row(name, true)));
    const ingredients = await Promise.all(Object.keys(INGREDIENTS).map((name) => row(name, false)));
    const { version } = JSON.parse(
      readFileSync(join(PROJECT_ROOT, 'node_modules', 'esbuild', 'package.json'), 'utf8'),
    ) as { version: string };
    return {
      esbuild: version,
      nodeOptions: NODE_OPTIONS,
      runsPerBundle: SIZES.coldImportRuns,
      baseline,
      functions,
      ingredients,
      composition: compositionOf(multi.metafile, functions),
    };
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

/** The largest function bundle's bytes by npm package (credval's own files as `credval`), largest first. */
function compositionOf(metafile: Metafile | undefined, functions: BundleRow[]): Composition {
  const largest = [...functions].sort((a, b) => b.bytes - a.bytes)[0]?.name ?? '';
  const output = Object.entries(metafile?.outputs ?? {}).find(([path]) =>
    path.endsWith(`${largest}/index.mjs`),
  )?.[1];
  const bySource = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? 'credval';
    bySource.set(pkg, (bySource.get(pkg) ?? 0) + input.bytesInOutput);
  }
  return {
    bundle: largest,
    parts: [...bySource].sort((a, b) => b[1] - a[1]).map(([source, bytes]) => ({ source, bytes })),
  };
}

export function printBundles(r: BundlesResult): string {
  const kb = (n: number) => (n / 1000).toFixed(0);
  const rows = [r.baseline, ...r.functions].map((b) => [
    b.name,
    kb(b.bytes),
    kb(b.gzipBytes),
    b.budgetBytes === null ? '-' : `<= ${kb(b.budgetBytes)}: ${b.sizeGoalMet ? 'yes' : 'NO'}`,
    b.coldImportMedianMs.toFixed(1),
    b.coldImportP90Ms.toFixed(1),
    (b.ratioToBaseline ?? 1).toFixed(2),
    b.ratioGoal === null ? '-' : `<= ${b.ratioGoal}: ${b.ratioGoalMet ? 'yes' : 'NO'}`,
    b.coldImportCpuMedianMs.toFixed(1),
    b.cpuRatioToBaseline.toFixed(2),
    b.networkAtImport,
  ]);
  const ingredientRows = r.ingredients.map((b) => [
    b.name,
    kb(b.bytes),
    kb(b.gzipBytes),
    '',
    b.coldImportMedianMs.toFixed(1),
    b.coldImportP90Ms.toFixed(1),
    (b.ratioToBaseline ?? 0).toFixed(2),
    '',
    b.coldImportCpuMedianMs.toFixed(1),
    b.cpuRatioToBaseline.toFixed(2),
    b.networkAtImport,
  ]);
  const worstOf = (group: BundleRow['group'] | 'all') => {
    const rows = r.functions.filter((f) => group === 'all' || f.group === group);
    return Math.max(...rows.map((f) => f.ratioToBaseline ?? 0));
  };
  const largest = Math.max(...r.functions.map((f) => f.bytes));
  const top = r.composition.parts
    .slice(0, 8)
    .map((p) => `${p.source} ${kb(p.bytes)}`)
    .join(', ');
  return [
    `Lambda bundles (esbuild ${r.esbuild}, BUNDLING options; cold import = median of ${r.runsPerBundle} fresh processes, NODE_OPTIONS=${r.nodeOptions})`,
    table(
      [
        'bundle',
        'kB',
        'gzip kB',
        'budget kB',
        'import p50 ms',
        'p90',
        'x baseline',
        'goal',
        'CPU p50 ms',
        'CPU x baseline',
        'net calls',
      ],
      [...rows, ...ingredientRows],
    ),
    `${r.composition.bundle} by source (kB): ${top}`,
    `goal: every bundle within its budget: ${yesNo(r.functions.every((f) => f.sizeGoalMet))} (largest ${kb(largest)} kB of ${kb(ANY_FUNCTION_BUDGET)}); ` +
      `cold import of read routes <= ${READ_RATIO_GOAL}x: ${yesNo(worstOf('read') <= READ_RATIO_GOAL)} (worst ${worstOf('read').toFixed(2)}x); ` +
      `any function <= ${ANY_RATIO_GOAL}x: ${yesNo(worstOf('all') <= ANY_RATIO_GOAL)} (worst ${worstOf('all').toFixed(2)}x)`,
  ].join('\n');
}
