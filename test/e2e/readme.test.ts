// The README's HTTP API examples, run as written: every ```sh block of README.md that calls curl is run, in
// order, by one bash (with `set -u`, so a variable the README forgets to set fails the run), against a real
// `credval serve` and vendor simulators. Each curl command's trailing comment starts with the status the
// README promises; this test holds it to that. The only edits are the listed substitutions of addresses,
// paths and placeholder secrets for the simulators' (each must still occur in the README).
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOOK_TIMEOUT_MS, type ServerProcess, startServerProcess } from '../helpers/local-server.ts';
import { type DolibarrSimulator, startDolibarrSimulator } from '../simulators/dolibarr.ts';
import { DOLIBARR_KEYS, dolibarrRecordedConfig, odooRecordedConfig } from '../simulators/fixtures.ts';
import { type OdooSimulator, startOdooSimulator } from '../simulators/odoo.ts';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));
const ODOO_KEY = 'readme-odoo-key-5e4d3c2b1a09';

/** One shell command of the README (continuation lines and multi-line quotes joined). */
interface ShellCommand {
  text: string;
  /** For a command that calls curl: the status its trailing comment promises. */
  status: number | null;
}

/** The ```sh blocks of a Markdown text that call curl, in order. */
function curlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)]
    .map((match) => match[1] ?? '')
    .filter((block) => /\bcurl\s/.test(block));
}

/** Splits a shell script into commands: a line continues while a single quote is open or it ends in `\`. */
function shellCommands(script: string): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let current = '';
  for (const line of script.split('\n')) {
    current = current ? `${current}\n${line}` : line;
    const quotes = (current.match(/'/g) ?? []).length;
    if (quotes % 2 === 1 || current.endsWith('\\')) continue;
    if (current.trim() && !current.trim().startsWith('#')) {
      // The comment after the last quote: `# 201 ...`.
      const tail = current.slice(current.lastIndexOf("'") + 1);
      const promised = /\s#\s*(\d{3})\b/.exec(tail);
      commands.push({
        text: current,
        status: /\bcurl\s/.test(current) ? (promised ? Number(promised[1]) : null) : null,
      });
    }
    current = '';
  }
  return commands;
}

describe('shellCommands', () => {
  it('joins continued lines and multi-line quotes, and reads the promised status after the last quote', () => {
    const commands = shellCommands(
      [
        'A=1',
        '# a comment',
        'curl -d \'{"a":',
        '  "# 404 not this"}\' x   # 201 created',
        'curl a \\',
        '  b            # 204',
        'curl c',
      ].join('\n'),
    );
    expect(commands.map((c) => c.status)).toEqual([null, 201, 204, null]);
    expect(commands[1]?.text).toContain('\n');
  });
});

describe('the README examples', () => {
  let dolibarr: DolibarrSimulator;
  let odoo: OdooSimulator;
  let server: ServerProcess;
  let dataDir: string;

  beforeAll(async () => {
    [dolibarr, odoo, dataDir] = await Promise.all([
      startDolibarrSimulator(dolibarrRecordedConfig({ failureDelayMs: 20 })),
      startOdooSimulator(odooRecordedConfig('19.0')),
      mkdtemp(join(tmpdir(), 'credval-e2e-readme-')),
    ]);
    odoo.addApiKey('acme', 'reader@example.com', ODOO_KEY);
    // No LOCAL_API_TOKENS: the token is generated into DATA_DIR/api-token.json, where the README reads it.
    server = await startServerProcess({ dataDir });
  }, HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await server?.stop();
    await Promise.all([dolibarr?.close(), odoo?.close()]);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, HOOK_TIMEOUT_MS);

  it('run as written, in order, and each answers the status the README says', async () => {
    const markdown = await readFile(README, 'utf8');
    const blocks = curlBlocks(markdown);
    expect(blocks.length).toBeGreaterThan(0);
    let script = blocks.join('\n');

    const substitutions: Array<[string, string]> = [
      ['http://127.0.0.1:3000', server.url],
      ['./.credval/api-token.json', join(dataDir, 'api-token.json')],
      ['https://acme.odoo.com', odoo.url],
      ['"bot@acme.com"', '"reader@example.com"'],
      ['<api key>', ODOO_KEY],
      ['https://erp.example.com', dolibarr.url],
      ['"<key>"', `"${DOLIBARR_KEYS.admin}"`],
      ['<new key>', DOLIBARR_KEYS.readOnly],
    ];
    for (const [from, to] of substitutions) {
      expect({ from, inReadme: script.includes(from) }).toEqual({ from, inReadme: true });
      script = script.replaceAll(from, to);
    }

    const commands = shellCommands(script);
    const curls = commands.filter((c) => /\bcurl\s/.test(c.text));
    expect(curls.filter((c) => c.status === null).map((c) => c.text)).toEqual([]);
    const variables = [...new Set(commands.flatMap((c) => /^([A-Z][A-Z_]*)=/.exec(c.text)?.[1] ?? []))];
    expect(variables).toEqual(expect.arrayContaining(['API', 'TOKEN', 'ID', 'ETAG']));

    // Every curl reports its status on stderr. The README's own options are left as they are; the progress
    // meter, which curl shows only when its output is not a terminal (as here), is turned off.
    const prelude = [
      'set -u -o pipefail',
      `curl() { command curl --no-progress-meter --write-out '%{stderr}@@status %{http_code}\\n' "$@"; }`,
    ].join('\n');
    const epilogue = variables.map((name) => `printf '@@var ${name}=%s\\n' "\${${name}-}" >&2`).join('\n');
    const run = await bash(`${prelude}\n${script}\n${epilogue}\n`);

    expect({ code: run.code, stderr: run.stderr.split('\n').filter((l) => !l.startsWith('@@')) }).toEqual({
      code: 0,
      stderr: [''],
    });
    const statuses = [...run.stderr.matchAll(/^@@status (\d{3})$/gm)].map((m) => Number(m[1]));
    expect(statuses.map((status, i) => ({ command: firstLine(curls[i]?.text), status }))).toEqual(
      curls.map((c) => ({ command: firstLine(c.text), status: c.status })),
    );
    // The values the examples set along the way are real: a token, a credential id, its ETag.
    const values = Object.fromEntries(
      [...run.stderr.matchAll(/^@@var ([A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]),
    );
    expect(values.TOKEN).toBe(server.token);
    expect(values.ID).toMatch(/^[\w-]{8,}$/);
    expect(values.ETAG).toMatch(/^"\d+"$/);
    expect(run.stdout).toContain('{"status":"ok"}');
  }, 60_000);
});

const firstLine = (text: string | undefined) => (text ?? '').split('\n')[0]?.trim();

function bash(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], {
      // `node` (for the README's JSON helper) is the one running these tests.
      env: { PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '' },
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
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
