import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  bundlingFor,
  FUNCTIONS_DIR,
  PROJECT_ROOT,
  type SecretStoreKind,
} from '../../infra/credval-function.ts';
import { allFunctions } from '../../shared/app/functions.ts';
import type { Uses } from '../../shared/app/uses.ts';

/** The module that builds each part a function may use (shared/app), by the `uses` key that grants it. */
const PART_MODULES: Record<Exclude<keyof Uses, 'dueIndex' | 'deletes'>, string> = {
  table: 'shared/app/table.ts',
  idempotency: 'shared/app/idempotency.ts',
  secrets: 'shared/app/secrets.ts',
  queue: 'shared/app/queue.ts',
  bus: 'shared/app/bus.ts',
  vendors: 'shared/app/checker.ts',
  externalSecrets: 'shared/app/external-secrets.ts',
};

/**
 * Every source file each function's bundle contains (esbuild's metafile; nothing is written): with `secretStore`,
 * only the files that put bytes in the output, the store's define applied as the stack's bundling applies it.
 */
async function importGraphs(secretStore?: SecretStoreKind): Promise<Map<string, Set<string>>> {
  const graphs = new Map<string, Set<string>>();
  for (const { name } of allFunctions()) {
    const result = await build({
      ...(secretStore ? { define: bundlingFor(secretStore).define } : {}),
      entryPoints: [join(FUNCTIONS_DIR, `${name}.ts`)],
      bundle: true,
      platform: 'node',
      format: 'esm',
      mainFields: ['module', 'main'],
      absWorkingDir: PROJECT_ROOT,
      write: false,
      outfile: join(PROJECT_ROOT, 'cdk.out', 'uses-probe', `${name}.mjs`),
      metafile: true,
      logLevel: 'silent',
    });
    const metafile = result.metafile as Metafile;
    const output = Object.values(metafile.outputs)[0];
    graphs.set(
      name,
      new Set(
        secretStore && output
          ? Object.entries(output.inputs)
              .filter(([, input]) => input.bytesInOutput > 0)
              .map(([file]) => file)
          : Object.keys(metafile.inputs),
      ),
    );
  }
  return graphs;
}

describe('each function builds exactly the parts its uses list, which its grants come from', () => {
  let graphs: Map<string, Set<string>>;
  beforeAll(async () => {
    graphs = await importGraphs();
  });

  it('bundles a part if and only if the function uses it', () => {
    for (const { name, uses } of allFunctions()) {
      const graph = graphs.get(name) ?? new Set();
      for (const [use, module] of Object.entries(PART_MODULES)) {
        const declared = Boolean(uses[use as keyof Uses]);
        expect(graph.has(module), `${name}: ${module} bundled, but uses.${use} is ${declared}`).toBe(
          declared,
        );
      }
    }
  });

  it('carries no connector, no outbound client and no undici unless it calls vendors', () => {
    for (const { name, uses } of allFunctions()) {
      if (uses.vendors) continue;
      const reaching = [...(graphs.get(name) ?? [])].filter(
        (file) =>
          file.startsWith('shared/connectors/') ||
          file === 'shared/net/guarded-client.ts' ||
          file.includes('node_modules/undici/') ||
          file.includes('node_modules/xmlrpc/'),
      );
      expect(reaching, `${name} calls no vendor`).toEqual([]);
    }
  });

  it('keeps build-time code (the OpenAPI generator, classic zod) out of every function', () => {
    for (const [name, graph] of graphs) {
      const buildOnly = [...graph].filter(
        (file) =>
          /^shared\/http\/openapi(-examples)?\.ts$/.test(file) ||
          file.includes('node_modules/@asteasolutions/') ||
          /node_modules\/zod\/v4\/classic\//.test(file),
      );
      expect(buildOnly, name).toEqual([]);
    }
  });
});

describe('each bundle carries the one secret store its deployment uses', () => {
  const SECRETS_MANAGER_CLIENT = /node_modules\/@aws-sdk\/client-secrets-manager\//;
  const SECRETS_MANAGER_STORE = /shared\/store\/secrets-manager-secret-store\.ts/;
  const ENVELOPE_STORE =
    /node_modules\/@aws-sdk\/client-kms\/|shared\/store\/(envelope-secret-store|kms-data-keys)\.ts/;
  const carries = (files: string[], pattern: RegExp) => files.some((f) => pattern.test(f));

  it('secretStore=secretsmanager: its store only in the functions that touch secrets, and never the other one', async () => {
    const graphs = await importGraphs('secretsmanager');
    for (const { name, uses } of allFunctions()) {
      const files = [...(graphs.get(name) ?? [])];
      expect(carries(files, SECRETS_MANAGER_STORE), `${name} carries the secretsmanager store`).toBe(
        Boolean(uses.secrets),
      );
      // The client, also for the secrets their owners keep (read by ARN).
      expect(carries(files, SECRETS_MANAGER_CLIENT), `${name} carries the Secrets Manager client`).toBe(
        Boolean(uses.secrets || uses.externalSecrets),
      );
      expect(
        files.filter((f) => ENVELOPE_STORE.test(f)),
        `${name} carries the other store`,
      ).toEqual([]);
    }
  }, 60_000);

  it('secretStore=envelope: its store only in the functions that touch secrets, never the other one; the Secrets Manager client only to read secrets their owners keep', async () => {
    const graphs = await importGraphs('envelope');
    for (const { name, uses } of allFunctions()) {
      const files = [...(graphs.get(name) ?? [])];
      expect(carries(files, ENVELOPE_STORE), `${name} carries the envelope store`).toBe(
        Boolean(uses.secrets),
      );
      expect(
        files.filter((f) => SECRETS_MANAGER_STORE.test(f)),
        `${name} carries the other store`,
      ).toEqual([]);
      expect(carries(files, SECRETS_MANAGER_CLIENT), `${name} carries the Secrets Manager client`).toBe(
        Boolean(uses.externalSecrets),
      );
    }
  }, 60_000);
});
