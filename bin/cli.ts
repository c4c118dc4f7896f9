import type { Readable, Writable } from 'node:stream';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { Environment } from '../shared/app/environment.ts';
import type { PreparedCheck } from '../shared/connectors/check.ts';
import type { Report, Requirement } from '../shared/domain/report.ts';
import { displayUrl, firstUrlField, startProgress, type TerminalStream, watchRequests } from './progress.ts';

// Each command imports what it needs when it runs (below), not here: `credval --help` then loads nothing
// but this file, `connectors` no HTTP client, and only `serve` the AWS SDK and the embedded database.

/** Where the CLI reads and writes; the real process streams, or buffers in tests. */
export interface CliIo {
  stdin: Readable & { isTTY?: boolean };
  stdout: Writable;
  /** Also where the progress line of a check goes, when it is a terminal. */
  stderr: TerminalStream;
  env: NodeJS.ProcessEnv;
}

/** Exit codes, as the README lists them (64 is sysexits' EX_USAGE, 70 its EX_SOFTWARE). */
export const EXIT = { valid: 0, invalid: 1, inconclusive: 2, usage: 64, internal: 70 } as const;

const MAX_STDIN_BYTES = 1 << 20;
/** The whole check's deadline without `--timeout`: no API Gateway in front of the CLI, so longer than the API's. */
const CLI_CHECK_DEADLINE_MS = 30_000;

const CHECK_USAGE = `Usage: credval check <connector> [--json] [--require RESOURCE[:read,write]]... [--egress-allow CIDR]... [--timeout MS]

Asks the vendor whether a credential works, who it acts as and what it may read and write. The credential's
fields are read as one JSON object on stdin, so secrets never appear in the process list or shell history:
  echo '{"baseUrl":"https://erp.example.com","apiKey":"..."}' | credval check dolibarr

Options:
  --json                          print the report as JSON instead of a summary
  --require RESOURCE[:read,write] the credential must have this access (default read); repeatable
  --egress-allow CIDR             a private range the vendor may live in (added to EGRESS_ALLOW); repeatable
  --timeout MS                    deadline of each vendor call, 100 to 120000 (default 15000)
  -h, --help                      show this help

Exit codes: 0 valid, 1 invalid, 2 inconclusive, 64 bad usage or input, 70 internal error.
\`credval connectors\` lists the connectors and their fields.
`;

const CONNECTORS_USAGE = `Usage: credval connectors [--json]

Lists the connectors and the fields each one asks for (secret fields are marked).

Options:
  --json      print the catalogue, with one JSON Schema per connector
  -h, --help  show this help
`;

const SERVE_USAGE = `Usage: credval serve

Serves the HTTP API and the console on http://127.0.0.1:3000 with embedded storage under ./.credval.
Configured with environment variables (PORT, HOST, DATA_DIR, LOCAL_API_TOKENS, LOG_LEVEL, ...; see README).
At the first start it generates an API token and prints it once. Stop it with Ctrl-C.

Options:
  -h, --help  show this help
`;

/** Secrets `credval secrets migrate` moves at once unless told otherwise: well inside Secrets Manager's write rates. */
const DEFAULT_MIGRATE_CONCURRENCY = 8;

const SECRETS_USAGE = `Usage: credval secrets migrate --to envelope|secretsmanager [--dry-run] [--keep-source]
                               [--concurrency N] [--json]

Moves the deployment's secrets (those under SECRET_PREFIX) from the other store into the one --to names, N at a
time: copies each (its current and previous version, under their own ids), reads it back, and only then
schedules the source copy for deletion, restorable for SECRET_RECOVERY_DAYS. Interrupted, it resumes when run
again: what moved is not written twice. Configured like the server (STORAGE, DATA_DIR, TABLE_NAME, SECRET_PREFIX,
KMS_KEY_ID, ...); with local storage, stop the server first. See README "Moving between stores".

Options:
  --to STORE     envelope, or secretsmanager (with STORAGE=local: the encrypted file store standing in for it)
  --dry-run      list what would move; change nothing
  --keep-source  copy and verify, but leave the source copies live (the first pass of a switch on AWS)
  --concurrency N
                 secrets moved at once, 1 to 64 (default 8); each secret's steps stay in order
  --json         print the result as JSON
  -h, --help     show this help

Exit codes: 0 every credential's secret is in STORE and reads back, 1 some did not move (run it again),
64 bad usage, 70 internal error.
`;

const USAGE = `Usage: credval <command> [options]

Commands:
  check <connector>  check a credential (its fields as JSON on stdin) with the vendor
  connectors         list the connectors and their fields
  serve              serve the HTTP API and the console locally
  secrets migrate    move the secrets to another store (Secrets Manager, envelope)

Run \`credval <command> --help\` for a command's options.
`;

const HELP = {
  check: CHECK_USAGE,
  connectors: CONNECTORS_USAGE,
  serve: SERVE_USAGE,
  secrets: SECRETS_USAGE,
} as const;
type Command = keyof typeof HELP;

/**
 * Bad arguments or input. `hint` says what to show after the message: how to get a command's usage, the
 * list of commands, or nothing (the message says it all, e.g. about stdin).
 */
class UsageError extends Error {
  constructor(
    message: string,
    readonly hint: Command | 'commands' | null = null,
  ) {
    super(message);
  }
}

/** Runs the CLI as the `credval` process: real stdio and environment, and the exit code. */
export async function runProcess(): Promise<void> {
  for (const stream of [process.stdout, process.stderr]) endQuietlyOnClosedPipe(stream);
  process.exitCode = await main(process.argv.slice(2), {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  });
}

/**
 * `credval connectors | head -1`: once the reader is gone nobody can see the rest, so it is dropped and the
 * command ends with its own exit code, as other command-line tools do, instead of an EPIPE stack trace.
 * Node ignores SIGPIPE, so the failed write arrives here as an 'error' event; a destroyed stream takes
 * further writes silently.
 */
export function endQuietlyOnClosedPipe(stream: Writable): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

/** Runs the CLI and returns its exit code. */
export async function main(argv: string[], io: CliIo): Promise<number> {
  try {
    const [command, ...rest] = argv;
    if (command !== undefined && Object.hasOwn(HELP, command) && asksForHelp(rest)) {
      io.stdout.write(HELP[command as Command]);
      return EXIT.valid;
    }
    switch (command) {
      case 'check':
        return await checkCommand(rest, io);
      case 'connectors':
        return await connectorsCommand(rest, io);
      case 'serve':
        return await serveCommand(rest, io);
      case 'secrets':
        return await secretsCommand(rest, io);
      case 'help':
      case '--help':
      case '-h': {
        const topic = rest[0];
        if (topic !== undefined && !Object.hasOwn(HELP, topic))
          throw new UsageError(`unknown command "${topic}"`, 'commands');
        io.stdout.write(topic ? HELP[topic as Command] : USAGE);
        return EXIT.valid;
      }
      case undefined:
        io.stderr.write(USAGE);
        return EXIT.usage;
      default:
        throw new UsageError(`unknown command "${command}"`, 'commands');
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`credval: ${error.message}\n`);
      if (error.hint === 'commands') io.stderr.write(`\n${USAGE}`);
      else if (error.hint) io.stderr.write(`Run \`credval ${error.hint} --help\` for its usage.\n`);
      return EXIT.usage;
    }
    if (argv[0] === 'serve') {
      // Start-up takes no secret input, so its failure can be shown (a locked data dir, a port in use).
      io.stderr.write(`credval: the server could not start: ${(error as Error)?.message ?? String(error)}\n`);
      return EXIT.internal;
    }
    if (argv[0] === 'secrets') {
      // Its errors are the stores' and the data dir's (a locked data dir, no KMS_KEY_ID); they carry no value.
      io.stderr.write(
        `credval: the secrets could not be moved: ${(error as Error)?.message ?? String(error)}\n`,
      );
      return EXIT.internal;
    }
    // Never print the error itself: it could carry input. The message is enough to report a bug.
    io.stderr.write('credval: internal error; the check did not complete.\n');
    return EXIT.internal;
  }
}

/** `--help` or `-h` among a command's arguments (before a `--`) wins over anything else there. */
function asksForHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

function parse(command: Command, args: string[], options: NonNullable<ParseArgsConfig['options']>) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message, command);
  }
}

async function checkCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('check', args, {
    json: { type: 'boolean', default: false },
    require: { type: 'string', multiple: true, default: [] },
    'egress-allow': { type: 'string', multiple: true, default: [] },
    timeout: { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('check needs exactly one connector name', 'check');
  const requirements = (values.require as string[]).map(parseRequirement);
  const timeoutMs = parseTimeout(values.timeout as string | undefined);
  const [
    { parseEgressAllow },
    { CheckInputError, prepareCheck, runCheck },
    { createGuardedClient },
    { formatReport },
  ] = await Promise.all([
    import('../shared/net/address-policy.ts'),
    import('../shared/connectors/check.ts'),
    import('../shared/net/guarded-client.ts'),
    import('./format-report.ts'),
  ]);
  let egressAllow: string[];
  try {
    egressAllow = [
      ...parseEgressAllow(io.env.EGRESS_ALLOW),
      ...(values['egress-allow'] as string[]).flatMap((v) => parseEgressAllow(v)),
    ];
  } catch (error) {
    throw new UsageError((error as Error).message, 'check');
  }
  const fields = await readFieldsFromStdin(io.stdin);
  let check: PreparedCheck;
  try {
    check = prepareCheck({ connector: positionals[0], fields, requirements });
  } catch (error) {
    if (error instanceof CheckInputError) throw new UsageError(error.message);
    throw error;
  }

  let destination = firstUrlField(check);
  const client = watchRequests(
    createGuardedClient({ egressAllow, ...(timeoutMs ? { timeoutMs } : {}) }),
    (url) => {
      destination = displayUrl(url) ?? destination;
    },
  );
  const progress = startProgress(
    io.stderr,
    () => `Checking ${check.connector.id}${destination ? ` at ${destination}` : ''}`,
  );
  let report: Report;
  try {
    report = await runCheck(check, { client, deadlineMs: timeoutMs ?? CLI_CHECK_DEADLINE_MS });
  } finally {
    progress.stop();
    await client.close();
  }
  io.stdout.write(
    values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, check.connector.vendorFacts),
  );
  return EXIT[report.verdict];
}

async function connectorsCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('connectors', args, { json: { type: 'boolean', default: false } });
  if (positionals.length > 0) throw new UsageError('connectors takes no arguments', 'connectors');
  const { connectorCatalogue } = await import('../shared/connectors/registry.ts');
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

/** The settings from the environment; a bad one is a usage error (exit 64) naming the variable. */
async function environmentOf(io: CliIo): Promise<Environment> {
  const { parseEnvironment } = await import('../shared/app/environment.ts');
  try {
    return parseEnvironment(io.env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

async function serveCommand(args: string[], io: CliIo): Promise<number> {
  if (args.length > 0)
    throw new UsageError('serve takes no arguments; configure it with environment variables', 'serve');
  const env = await environmentOf(io);
  // Loaded only here: the server pulls in the AWS SDK, dynalite and every route.
  const { startLocalServer } = await import('./local-server.ts');
  const server = await startLocalServer(env);
  const lines = [
    `credval is serving ${server.url}`,
    `  data:    ${server.dataDir}${env.STORAGE === 'aws' ? ' (storage: AWS)' : ''}${env.SECRET_STORE === 'envelope' ? ' (secrets: envelope store)' : ''}`,
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

async function secretsCommand(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('secrets', args, {
    to: { type: 'string' },
    'dry-run': { type: 'boolean', default: false },
    'keep-source': { type: 'boolean', default: false },
    concurrency: { type: 'string', default: String(DEFAULT_MIGRATE_CONCURRENCY) },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1 || positionals[0] !== 'migrate') {
    throw new UsageError('the secrets command has one subcommand: migrate', 'secrets');
  }
  const to = values.to as string | undefined;
  if (to !== 'envelope' && to !== 'secretsmanager') {
    throw new UsageError('--to must be envelope or secretsmanager', 'secrets');
  }
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new UsageError('--concurrency must be a whole number from 1 to 64', 'secrets');
  }
  const env = await environmentOf(io);
  const { migrateCommand } = await import('./secrets-command.ts');
  const ok = await migrateCommand(
    env,
    {
      to,
      dryRun: Boolean(values['dry-run']),
      keepSource: Boolean(values['keep-source']),
      concurrency,
      json: Boolean(values.json),
    },
    io,
  );
  return ok ? EXIT.valid : EXIT.invalid;
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
      'check',
    );
  }
  return { resource, access: [...new Set(access)] as Requirement['access'] };
}

function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 100 || Number(text) > 120_000) {
    throw new UsageError('--timeout must be a number of milliseconds between 100 and 120000', 'check');
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
