import { createRequire } from 'node:module';
import { join } from 'node:path';
import { cruise, type IConfiguration, type ICruiseResult } from 'dependency-cruiser';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const config = createRequire(import.meta.url)(join(ROOT, '.dependency-cruiser.cjs')) as IConfiguration;
const ruleNames = (config.forbidden ?? []).map((rule) => rule.name);

async function violations(baseDir: string, paths: string[]): Promise<Array<{ rule: string; from: string }>> {
  const { output } = await cruise(paths, {
    validate: true,
    ruleSet: { forbidden: config.forbidden ?? [] },
    baseDir,
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
  });
  const result = output as ICruiseResult;
  // A cruise that found no modules would keep every rule: make sure it read the tree.
  expect(result.summary.totalCruised).toBeGreaterThan(10);
  return result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from }));
}

describe('layer rules (npm run lint: dependency-cruiser with .dependency-cruiser.cjs)', () => {
  it('every rule fails on a deliberate violation of it', async () => {
    const found = await violations(join(ROOT, 'test', 'fixtures', 'layers'), [
      'shared',
      'infra',
      'functions',
      'bin',
    ]);
    expect([...new Set(found.map((v) => v.rule))].sort()).toEqual([...ruleNames].sort());
    expect(found).toContainEqual({ rule: 'domain-is-pure', from: 'shared/domain/model.ts' });
    expect(found).toContainEqual({ rule: 'infra-imports-only-data', from: 'infra/stack.ts' });
    expect(found).toContainEqual({
      rule: 'reads-without-connectors',
      from: 'shared/service/credential-reads.ts',
    });
  });

  it('the repository itself keeps every rule', async () => {
    expect(await violations(ROOT, ['shared', 'functions', 'infra', 'bin', 'scripts'])).toEqual([]);
  });
});
