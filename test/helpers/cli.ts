import { execFile } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../bin/cli.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in-process with `stdin` as its input (or a TTY-like empty stdin when null); `stderrIsTTY`
 * makes stderr look like a terminal (80 columns), as for someone running credval by hand.
 */
export async function runCli(
  args: string[],
  stdin: string | null,
  env: NodeJS.ProcessEnv = {},
  options: { stderrIsTTY?: boolean } = {},
): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), options.stderrIsTTY ? { isTTY: true, columns: 80 } : {});
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const input = stdin === null ? Object.assign(Readable.from([]), { isTTY: true }) : Readable.from([stdin]);
  const code = await main(args, { stdin: input, stdout, stderr, env });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

const BIN = fileURLToPath(new URL('../../bin/credval.js', import.meta.url));

/** Runs the real `credval` executable in a child process, as `npx credval` would. */
export function runCliProcess(args: string[], stdin: string, env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { PATH: process.env.PATH, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error && typeof error.code === 'number' ? error.code : (child.exitCode ?? 0);
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(stdin);
  });
}
