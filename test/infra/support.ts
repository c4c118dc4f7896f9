import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';

/** An app that synthesizes into a fresh temp folder; bundling skipped unless `bundle` (DEPENDENCIES.md 2c). */
export function newApp(options: { bundle?: boolean; context?: Record<string, unknown> } = {}): App {
  return new App({
    outdir: mkdtempSync(join(tmpdir(), 'credval-cdk-')),
    context: { ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }), ...options.context },
  });
}

export interface Violation {
  ruleName: string;
  violatingConstructs?: Array<{ constructPath: string }>;
}

/** The cdk-nag findings left in `<outdir>/validation-report.json` after `app.synth()`. */
export function violations(app: App): Violation[] {
  const report = JSON.parse(readFileSync(join(app.outdir, 'validation-report.json'), 'utf8')) as {
    pluginReports: Array<{ violations: Violation[] }>;
  };
  return report.pluginReports.flatMap((r) => r.violations);
}

/** Synthesizes, keeping the validation failure (cdk-nag findings) for `violations` instead of throwing. */
export function synthesize(app: App): Error | undefined {
  try {
    app.synth();
    return undefined;
  } catch (error) {
    return error as Error;
  }
}
