// The README's complete CDK examples (```ts blocks that start with an import and create an App), run as written,
// the way a consumer's CDK CLI runs an app: in a child process with CDK_OUTDIR set, so the App synthesizes when
// the process ends. `credval/constructs` resolves through package.json `exports` (the file sits inside the
// package). Bundling is skipped (CDK_CONTEXT_JSON), as in the other synth tests.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/credval-function.ts';

const README = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');

/** The complete examples: ```ts blocks that start with an import and build an App. */
const examples = [...README.matchAll(/^```ts\n([\s\S]*?)^```$/gm)]
  .map((match) => match[1] ?? '')
  .filter((code) => code.startsWith('import ') && code.includes('new App('));

/** The example's folder: inside the repository, so that `credval/constructs` resolves as a package. */
const examplesDir = join(PROJECT_ROOT, 'test', 'artifacts', 'readme-stacks');
mkdirSync(examplesDir, { recursive: true });
const workDir = mkdtempSync(join(examplesDir, 'run-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

interface Manifest {
  artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
}

async function synthExample(
  code: string,
  index: number,
): Promise<Record<string, { Resources: Record<string, { Type: string }> }>> {
  const file = join(workDir, `example-${index}.ts`);
  writeFileSync(file, code);
  const outdir = mkdtempSync(join(tmpdir(), 'credval-readme-cdk-'));
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(exitCode, output).toBe(0);
  const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as Manifest;
  const templates: Record<string, { Resources: Record<string, { Type: string }> }> = {};
  for (const [name, artifact] of Object.entries(manifest.artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    templates[name] = JSON.parse(readFileSync(join(outdir, artifact.properties.templateFile), 'utf8'));
  }
  rmSync(outdir, { recursive: true, force: true });
  return templates;
}

const typesOf = (template: { Resources: Record<string, { Type: string }> }) =>
  new Set(Object.values(template.Resources).map((resource) => resource.Type));

describe('the README’s CDK examples synthesize as written', () => {
  it('has the Credval and the CredentialCheck examples', () => {
    expect(examples.some((code) => code.includes('new Credval('))).toBe(true);
    expect(examples.some((code) => code.includes('new CredentialCheck('))).toBe(true);
  });

  it.each(
    examples.map(
      (code, index) =>
        [index, code.split('\n').find((l) => l.includes("from 'credval/constructs'")), code] as const,
    ),
  )(
    'example %i (%s)',
    async (index, _import, code) => {
      const templates = await synthExample(code, index);
      const all = Object.values(templates);
      expect(all.length).toBeGreaterThan(0);
      if (code.includes('new Credval(')) {
        expect(
          all.some((t) => typesOf(t).has('AWS::ApiGatewayV2::Api') && typesOf(t).has('AWS::DynamoDB::Table')),
        ).toBe(true);
      }
      if (code.includes('new CredentialCheck(')) {
        expect(all.some((t) => typesOf(t).has('Custom::CredvalCredentialCheck'))).toBe(true);
      }
    },
    120_000,
  );
});
