// Redocly's recommended-strict rules (redocly.yaml) on the generated OpenAPI document, here as well as in
// `npm run lint`, so that `npm test` alone (what CI runs) holds the document to them. Offline: telemetry is off.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
const DOCUMENT = join(ROOT, 'shared', 'generated', 'openapi.json');
const LINT_TIMEOUT_MS = 60_000;

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: Array<{ ruleId: string; message: string; location: Array<{ pointer: string }> }>;
}

/** Runs `redocly lint` with the repository's configuration and reads its JSON report. */
function lint(file: string): Promise<LintReport> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, 'lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format=json'],
      {
        cwd: ROOT,
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      },
      // The exit code is 1 when there are problems; the report on stdout says which.
      (error, stdout) => {
        try {
          resolve(JSON.parse(stdout) as LintReport);
        } catch {
          reject(error ?? new Error(`redocly printed no JSON report: ${stdout}`));
        }
      },
    );
  });
}

describe('redocly lint (recommended-strict)', () => {
  it(
    'finds no problem in the generated document',
    async () => {
      const report = await lint(DOCUMENT);
      const problems = report.problems.map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
      expect(problems).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    },
    LINT_TIMEOUT_MS,
  );

  it(
    'finds what was missing before: operationIds, servers, security: [] on the public routes',
    async () => {
      const document = JSON.parse(await readFile(DOCUMENT, 'utf8')) as {
        servers?: unknown;
        security?: unknown;
        paths: Record<string, Record<string, { operationId?: string; security?: unknown }>>;
      };
      delete document.servers;
      delete document.security;
      for (const item of Object.values(document.paths)) {
        for (const operation of Object.values(item)) {
          delete operation.operationId;
          // As it was: the bearer requirement on each authenticated route, nothing on the public ones.
          if (operation.security) delete operation.security;
          else operation.security = [{ bearer: [] }];
        }
      }
      const dir = await mkdtemp(join(tmpdir(), 'credval-openapi-lint-'));
      try {
        await writeFile(join(dir, 'openapi.json'), JSON.stringify(document));
        const report = await lint(join(dir, 'openapi.json'));
        const rules = new Set(report.problems.map((p) => p.ruleId));
        expect([...rules].sort()).toEqual(['no-empty-servers', 'operation-operationId', 'security-defined']);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    LINT_TIMEOUT_MS,
  );
});
