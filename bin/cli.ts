import type { Readable, Writable } from 'node:stream';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type Environment, parseEnvironment } from '../shared/app/environment.ts';
import { CheckInputError, prepareCheck, runCheck } from '../shared/connectors/check.ts';
import { connectorCatalogue } from '../shared/connectors/registry.ts';
import type { Report, Requirement } from '../shared/domain/report.ts';
import { parseEgressAllow } from '../shared/net/address-policy.ts';
import { createGuardedClient } from '../shared/net/guarded-client.ts';
import { formatReport } from './format-report.ts';
import { startLocalServer } from './local-server.ts';

/** Where the CLI reads and writes; the real process streams, or buffers in tests. */
export interface CliIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
}

/** Exit codes of DESIGN.md section 9 (64 is sysexits' EX_USAGE). */
export const EXIT = { valid: 0, invalid: 1, inconclusive: 2, usage: 64, internal: 70 } as const;

const MAX_STDIN_BYTES = 1 << 20;
/** The whole check's deadline without `--timeout`: no API Gateway in front of the CLI, so longer than the API's. */
const CLI_CHECK_DEADLINE_MS = 30_000;

const USAGE = `Usage:
  credval check <connector> [--json] [--require RESOURCE[:read,write]]... [--egress-allow CIDR]... [--timeout MS]
      Reads the credential's fields as one JSON object on stdin, e.g.
        echo '{"baseUrl":"https://erp.example.com","apiKey":"..."}' | credval check dolibarr
      Exit codes: 0 valid, 1 invalid, 2 inconclusive, 64 bad usage or input.
  credval connectors [--json]
      Lists the connectors and their fields.
  credval serve
      Serves the HTTP API on http://127.0.0.1:3000 with embedded storage under ./.credval (see README).
`;

class UsageError extends Error {}

/** Runs the CLI and returns its exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case 'check':
        return await checkCommand(rest, io);
      case 'connectors':
        return connectorsCommand(rest, io);
      case 'serve':
        return await serveCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.stdout.write(USAGE);
        return command === undefined ? EXIT.usage : EXIT.valid;
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof CheckInputError) {
      io.stderr.write(`credval: ${error.message}\n`);
      if (error instanceof UsageError) io.stderr.write(`\n${USAGE}`);
      return EXIT.usage;
    }
    if (argv[0] === 'serve') {
      // Start-up takes no secret input, so its failure can be shown (a locked data dir, a port in use).
      io.stderr.write(`credval: the server could not start: ${(error as Error)?.message ?? String(error)}\n`);
      return EXIT.internal;
    }
    // Never print the error itself: it could carry input. The message is enough to report a bug.
    io.stderr.write('credval: internal error; the check did not complete.\n');
    return EXIT.internal;
  }
}

function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function checkCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    json: { type: 'boolean', default: false },
    require: { type: 'string', multiple: true, default: [] },
    'egress-allow': { type: 'string', multiple: true, default: [] },
    timeout: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('check needs exactly one connector name');
  const requirements = (values.require as string[]).map(parseRequirement);
  const timeoutMs = parseTimeout(values.timeout as string | undefined);
  let egressAllow: string[];
  try {
    egressAllow = [
      ...parseEgressAllow(io.env.EGRESS_ALLOW),
      ...(values['egress-allow'] as string[]).flatMap((v) => parseEgressAllow(v)),
    ];
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const fields = await readFieldsFromStdin(io.stdin);
  const check = prepareCheck({ connector: positionals[0], fields, requirements });

  const client = createGuardedClient({ egressAllow, ...(timeoutMs ? { timeoutMs } : {}) });
  let report: Report;
  try {
    report = await runCheck(check, { client, deadlineMs: timeoutMs ?? CLI_CHECK_DEADLINE_MS });
  } finally {
    await client.close();
  }
  io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return EXIT[report.verdict];
}

function connectorsCommand(args: string[], io: CliIo): number {
  const { values, positionals } = parse(args, { json: { type: 'boolean', default: false } });
  if (positionals.length > 0) throw new UsageError('connectors takes no arguments');
  const catalogue = connectorCatalogue();
  if (values.json) {
    io.stdout.write(`${JSON.stringify(catalogue, null, 2)}\n`);
    return EXIT.valid;
  }
  for (const connector of catalogue) {
    io.stdout.write(`${connector.id}  ${connector.description}\n`);
    for (const f of connector.fields) {
      const flags = [f.required ? 'required' : 'optional', f.secret ? 'secret' : '', f.format].filter(
        Boolean,
      );
      io.stdout.write(`  ${f.key.padEnd(10)} ${f.label} (${flags.join(', ')})\n`);
    }
    io.stdout.write('\n');
  }
  return EXIT.valid;
}

async function serveCommand(args: string[], io: CliIo): Promise<number> {
  if (args.length > 0)
    throw new UsageError('serve takes no arguments; configure it with environment variables');
  let env: Environment;
  try {
    env = parseEnvironment(io.env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const server = await startLocalServer(env);
  const lines = [
    `credval is serving ${server.url}`,
    `  data:    ${server.dataDir}${env.STORAGE === 'aws' ? ' (storage: AWS)' : ''}`,
  ];
  if (server.generatedToken) {
    lines.push(
      `  token:   ${server.generatedToken.token}   (tenant "${server.generatedToken.tenant}"; shown once, kept in the data dir)`,
    );
  } else if (!io.env.LOCAL_API_TOKENS) {
    lines.push(`  token:   the one printed at the first start (in ${server.dataDir}/api-token.json)`);
  } else {
    lines.push(`  tokens:  from LOCAL_API_TOKENS (${server.tokens.length})`);
  }
  lines.push(`  console: ${server.url}/ (sign in with the token)`);
  lines.push(`  try:     curl -H "Authorization: Bearer <token>" ${server.url}/connectors`);
  io.stderr.write(`${lines.join('\n')}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return EXIT.valid;
}

/** Parses `--require RESOURCE[:read,write]`; without an access list, read is required. */
export function parseRequirement(text: string): Requirement {
  const at = text.lastIndexOf(':');
  const resource = (at === -1 ? text : text.slice(0, at)).trim();
  const access =
    at === -1
      ? ['read']
      : text
          .slice(at + 1)
          .split(',')
          .map((a) => a.trim());
  if (!resource || access.length === 0 || access.some((a) => a !== 'read' && a !== 'write')) {
    throw new UsageError(
      `--require "${text}" must look like RESOURCE:read,write (access is read and/or write)`,
    );
  }
  return { resource, access: [...new Set(access)] as Requirement['access'] };
}

function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 100 || Number(text) > 120_000) {
    throw new UsageError('--timeout must be a number of milliseconds between 100 and 120000');
  }
  return Number(text);
}

async function readFieldsFromStdin(stdin: CliIo['stdin']): Promise<Record<string, unknown>> {
  if (stdin.isTTY)
    throw new UsageError(
      'pipe the credential fields as one JSON object on stdin (secrets never go in arguments)',
    );
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_STDIN_BYTES)
      throw new UsageError('stdin is larger than 1 MiB; expected one small JSON object');
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') throw new UsageError('stdin is empty: pipe the credential fields as one JSON object');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the input, which may hold the secret: say only what is wrong.
    throw new UsageError('stdin is not valid JSON: expected one JSON object with the credential fields');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError('stdin must hold one JSON object with the credential fields');
  }
  return value as Record<string, unknown>;
}
