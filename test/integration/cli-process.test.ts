// The credval command as a person meets it: help on every command, output into a pipe that closes early,
// the progress line on a terminal, and the compiled build that `npx credval` runs.
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledCliIsFresh, DIST_DIR } from '../../bin/build-cli.mjs';
import { runCli, runCliProcess } from '../helpers/cli.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';

const BIN = fileURLToPath(new URL('../../bin/credval.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FROM_SOURCES_NOTE = 'running from the TypeScript sources';
const CANARY = 'cli-progress-canary-9e8d7c6b5a';

describe('--help and -h', () => {
  it.each([
    ['check', /^Usage: credval check <connector> \[--json\]/],
    ['connectors', /^Usage: credval connectors \[--json\]/],
    ['serve', /^Usage: credval serve/],
  ])('credval %s --help and -h print that command usage and exit 0', async (command, usage) => {
    for (const flag of ['--help', '-h']) {
      // Other arguments around it, even bad ones, do not matter: help wins (and stdin is never read).
      const run = await runCli([command, '--json', flag, 'extra'], null);
      expect({ flag, code: run.code, stderr: run.stderr }).toEqual({ flag, code: 0, stderr: '' });
      expect(run.stdout).toMatch(usage);
      expect(run.stdout).toContain('-h, --help');
    }
  });

  it('credval --help, -h and help list the commands; help <command> shows its usage', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const run = await runCli(args, null);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Usage: credval <command>/);
      for (const command of ['check <connector>', 'connectors', 'serve'])
        expect(run.stdout).toContain(command);
    }
    const run = await runCli(['help', 'check'], null);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: credval check/);
  });

  it('a bare credval prints the command list on stderr and exits 64', async () => {
    const run = await runCli([], null);
    expect(run.code).toBe(64);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^Usage: credval <command>/);
  });

  it('a bad option names the command whose help to read', async () => {
    const run = await runCli(['connectors', '--bogus'], null);
    expect(run.code).toBe(64);
    expect(run.stderr).toContain("Unknown option '--bogus'");
    expect(run.stderr).toContain('Run `credval connectors --help` for its usage.');
  });

  it('--help after -- is an argument, not a request for help', async () => {
    const run = await runCli(['check', '--', '--help'], '{}');
    expect(run.code).toBe(64);
    expect(run.stderr).toMatch(/unknown connector "--help"/);
  });

  it('the real executable answers check --help with exit 0 from the compiled build', async () => {
    const run = await runCliProcess(['check', '--help'], '');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: credval check/);
    expect(run.stderr).toBe('');
  });
});

/** Runs the executable with its stdout already closed by the reader, as `credval ... | head -0` does. */
function runWithClosedStdout(args: string[], stdin: string, env: NodeJS.ProcessEnv = {}) {
  return new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // Closed before credval has even started, so every write it makes meets a pipe without a reader.
    child.stdout.destroy();
    const err: Buffer[] = [];
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.end(stdin);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr: Buffer.concat(err).toString('utf8') }));
  });
}

describe('output into a pipe whose reader has gone', () => {
  it.each([[['connectors']], [['connectors', '--json']], [['--help']]])(
    'credval %j ends quietly with exit 0',
    async (args) => {
      const run = await runWithClosedStdout(args, '');
      expect(run).toEqual({ code: 0, stderr: '' });
    },
  );

  it('credval check keeps its verdict exit code and prints no stack', async () => {
    // A blocked destination: inconclusive (2) without any connection.
    const stdin = JSON.stringify({ baseUrl: 'http://127.0.0.1:9', apiKey: CANARY });
    const run = await runWithClosedStdout(['check', 'dolibarr', '--json'], stdin);
    expect(run).toEqual({ code: 2, stderr: '' });
  });
});

describe('the progress line while a check waits for the vendor', () => {
  let dolibarr: DolibarrSimulator;
  beforeAll(async () => {
    // A refused key is answered after this delay (Dolibarr's own deliberate delay is ~1 s).
    dolibarr = await startDolibarrSimulator({ users: [], failureDelayMs: 700 });
  });
  afterAll(() => dolibarr.close());

  const slowCheck = () => JSON.stringify({ baseUrl: `${dolibarr.url}/`, apiKey: CANARY });

  it('on a terminal, shows the vendor, the call and the seconds, then clears itself', async () => {
    const run = await runCli(
      ['check', 'dolibarr'],
      slowCheck(),
      { EGRESS_ALLOW: '127.0.0.0/8' },
      {
        stderrIsTTY: true,
      },
    );
    expect(run.code).toBe(1);
    const draws = run.stderr.split('\r\u001b[2K').filter(Boolean);
    expect(draws.length).toBeGreaterThan(0);
    for (const line of draws) {
      expect(line).toMatch(
        /^Checking dolibarr at http:\/\/127\.0\.0\.1:\d+\/api\/index\.php\/status \d+\.\d s$/,
      );
    }
    // The last thing written is the clearing sequence: the report starts on a clean line.
    expect(run.stderr.endsWith('\r\u001b[2K')).toBe(true);
    expect(run.stdout).toMatch(/^INVALID \(invalid_credentials\)/);
    expect(run.stdout + run.stderr).not.toContain(CANARY);
  });

  it('writes nothing on stderr when stderr is not a terminal', async () => {
    const run = await runCli(['check', 'dolibarr'], slowCheck(), { EGRESS_ALLOW: '127.0.0.0/8' });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe('');
  });
});

describe('the compiled command (dist/cli/)', () => {
  it('is what bin/credval.js runs after the build: no note about running from the sources', async () => {
    expect(compiledCliIsFresh()).toBe(true);
    const run = await runCliProcess(['connectors'], '');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('dolibarr');
    expect(run.stderr).not.toContain(FROM_SOURCES_NOTE);
  });

  describe('freshness', () => {
    let root: string;
    const dist = () => join(root, 'dist', 'cli');
    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'credval-dist-'));
      await cp(DIST_DIR, dist(), { recursive: true });
      await cp(join(ROOT, 'bin'), join(root, 'bin'), { recursive: true });
      await cp(join(ROOT, 'shared'), join(root, 'shared'), { recursive: true });
      for (const file of ['package.json', 'tsconfig.json']) await cp(join(ROOT, file), join(root, file));
      await symlink(join(ROOT, 'node_modules'), join(root, 'node_modules'));
      // Copies get new modification times: date every source back before the build.
      const manifest = JSON.parse(await readFile(join(dist(), 'manifest.json'), 'utf8')) as {
        builtAt: number;
        sources: string[];
      };
      const before = new Date(manifest.builtAt - 60_000);
      for (const source of manifest.sources) await utimes(join(root, source), before, before);
    });
    afterAll(() => rm(root, { recursive: true, force: true }));

    it('is fresh when no source changed since the build', () => {
      expect(compiledCliIsFresh({ distDir: dist(), root })).toBe(true);
    });

    it('is stale once a source the build read is newer than the build', async () => {
      const source = join(root, 'shared', 'connectors', 'registry.ts');
      const later = new Date(Date.now() + 1000);
      await utimes(source, later, later);
      expect(compiledCliIsFresh({ distDir: dist(), root })).toBe(false);

      // The executable then runs the sources (an edit is never ignored) and says why it starts slowly.
      const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [join(root, 'bin', 'credval.js'), 'connectors'], {
          env: { PATH: process.env.PATH },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk;
        });
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk;
        });
        child.once('close', (code) => resolve({ code, stdout, stderr }));
      });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('dolibarr');
      expect(run.stderr).toContain(FROM_SOURCES_NOTE);

      const before = new Date(0);
      await utimes(source, before, before);
      expect(compiledCliIsFresh({ distDir: dist(), root })).toBe(true);
    });

    it('is stale when a source is gone or the manifest is missing or broken', async () => {
      await rm(join(root, 'bin', 'progress.ts'));
      expect(compiledCliIsFresh({ distDir: dist(), root })).toBe(false);
      expect(compiledCliIsFresh({ distDir: join(root, 'nowhere'), root })).toBe(false);
      await writeFile(join(dist(), 'manifest.json'), '{"builtAt":"soon"}');
      expect(compiledCliIsFresh({ distDir: dist(), root })).toBe(false);
    });
  });
});
