// Runs one bundled Lambda handler the way the Node.js runtime does: a fresh process imports the bundle (ESM),
// then calls `handler(event, context)` once. Plain JavaScript on purpose: no tsx, no vitest in this process.
//
//   node --import ./loopback-only.mjs invoke.mjs <bundle.mjs> <event.json> <result.json>
//
// Writes { result, error, importMs, invokeMs } to result.json; logs go to stdout as on Lambda.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [bundle, eventFile, resultFile] = process.argv.slice(2);
if (!bundle || !eventFile || !resultFile) {
  console.error('usage: invoke.mjs <bundle.mjs> <event.json> <result.json>');
  process.exit(64);
}
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const name = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'credval-bundle';
const timeoutMs = 30_000;

let output;
try {
  const importStarted = performance.now();
  const module = await import(pathToFileURL(bundle).href);
  const importMs = performance.now() - importStarted;
  if (typeof module.handler !== 'function') throw new Error('the bundle exports no handler function');
  const deadline = Date.now() + timeoutMs;
  const context = {
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:111111111111:function:${name}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'bundle-test',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done() {},
    fail() {},
    succeed() {},
  };
  const invokeStarted = performance.now();
  try {
    const result = await module.handler(event, context);
    output = { result, importMs, invokeMs: performance.now() - invokeStarted };
  } catch (error) {
    output = {
      error: { name: error?.name, message: error?.message, stack: error?.stack },
      importMs,
      invokeMs: performance.now() - invokeStarted,
    };
  }
} catch (error) {
  output = { error: { name: error?.name, message: error?.message, stack: error?.stack, phase: 'import' } };
}
writeFileSync(resultFile, JSON.stringify(output));
// Pooled keep-alive sockets would hold the process open; Lambda freezes it instead. Let stdout drain first.
process.stdout.write('', () => process.exit(0));
