import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The parts a Lambda container builds (shared/app): each once, on first use, and the same instance after, so
// clients and connection pools are reused while the container is warm.
describe('Lambda parts', () => {
  const saved = { ...process.env };
  beforeAll(() => {
    Object.assign(process.env, {
      TABLE_NAME: 'credval-parts-test',
      QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/111111111111/q',
      EVENT_BUS_NAME: 'credval-parts-test',
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'x',
    });
  });
  afterAll(() => {
    process.env = saved;
  });

  it('builds each part once per container and hands out the same instance after', async () => {
    const parts = await Promise.all([
      import('../../shared/app/table.ts').then((m) => [m.lambdaRepository, m.lambdaDynamoClient]),
      import('../../shared/app/secrets.ts').then((m) => [m.lambdaSecretStore]),
      import('../../shared/app/bus.ts').then((m) => [m.lambdaEventPublisher]),
      import('../../shared/app/queue.ts').then((m) => [m.lambdaRevalidationQueue]),
      import('../../shared/app/checker.ts').then((m) => [m.lambdaChecker]),
      import('../../shared/app/idempotency.ts').then((m) => [m.lambdaIdempotency]),
      import('../../shared/app/observability.ts').then((m) => [m.lambdaObservability, m.lambdaHttpBase]),
      import('../../shared/app/check-parts.ts').then((m) => [m.lambdaCheckParts]),
      import('../../shared/app/commands.ts').then((m) => [m.lambdaCommands]),
      import('../../shared/app/external-secrets.ts').then((m) => [m.lambdaExternalSecrets]),
    ]);
    for (const build of parts.flat() as Array<() => unknown>) {
      const first = build();
      expect(first).toBeTruthy();
      expect(build()).toBe(first);
    }
    // Parts share what they have in common: the commands use the container's one repository.
    const { lambdaCheckParts } = await import('../../shared/app/check-parts.ts');
    const { lambdaRepository } = await import('../../shared/app/table.ts');
    expect(lambdaCheckParts().repository).toBe(lambdaRepository());
  });

  it("names the missing grant when a part's resource variable is not set", async () => {
    const { resourceVariable } = await import('../../shared/app/lambda-environment.ts');
    delete process.env.QUEUE_URL;
    expect(() => resourceVariable('QUEUE_URL')).toThrow(
      /QUEUE_URL is not set: add the resource to this function's uses/,
    );
  });
});
