// Runs `credval serve` as a real child process (what `npm start` runs) for end-to-end tests over HTTP.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { servedDocumentConformance } from './openapi-conformance.ts';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(REPO_ROOT, 'bin', 'credval.js');
const START_TIMEOUT_MS = 30_000;
const KILL_AFTER_MS = 5_000;
/** For beforeAll/afterAll hooks that start or stop a server: a start takes ~1 s, far more on a busy machine. */
export const HOOK_TIMEOUT_MS = 60_000;

export interface ServerProcess {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  /** The generated token (from `<dataDir>/api-token.json`); null when LOCAL_API_TOKENS is set. */
  token: string | null;
  /** Everything the process wrote so far (JSON logs and EMF metrics). */
  stdout(): string;
  /** Everything the process wrote so far on stderr (the start-up message, warnings). */
  stderr(): string;
  /** The process id, for diagnostics. */
  pid: number;
  /** Resolves with the exit code (or the signal's name) once the process is gone and its output read. */
  exited: Promise<number | string | null>;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
  stop(): Promise<void>;
}

export interface StartOptions {
  dataDir: string;
  env?: Record<string, string>;
}

/** Starts `node bin/credval.js serve` on a free loopback port and waits for its start-up message. */
export async function startServerProcess(options: StartOptions): Promise<ServerProcess> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    PORT: '0',
    DATA_DIR: options.dataDir,
    EGRESS_ALLOW: '127.0.0.0/8',
    LOG_LEVEL: 'INFO',
    ...options.env,
  };
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
  const stdout = () => Buffer.concat(out).toString('utf8');
  const stderr = () => Buffer.concat(err).toString('utf8');
  // Never outlive the test process, even when a test forgets stop() or the worker dies.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  // 'close', not 'exit': by then stdout and stderr are read to the end, so stdout() and stderr() are complete.
  const exited = new Promise<number | string | null>((resolve) => {
    child.once('close', (code, signal) => {
      process.off('exit', killOnExit);
      resolve(code ?? signal);
    });
  });

  const url = await new Promise<string>((resolve, reject) => {
    const fail = (why: string) => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      reject(new Error(`credval serve ${why}.\n--- stderr ---\n${stderr()}\n--- stdout ---\n${stdout()}`));
    };
    const onData = () => {
      const match = /credval is serving (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr());
      if (match?.[1]) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
        resolve(match[1]);
      }
    };
    const onExit = (code: number | null, signal: string | null) =>
      fail(`exited (${code ?? signal}) before it was serving`);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(`did not start within ${START_TIMEOUT_MS} ms`);
    }, START_TIMEOUT_MS);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
    child.once('error', (error) => fail(`could not be spawned: ${error.message}`));
  });

  let token: string | null = null;
  if (!options.env?.LOCAL_API_TOKENS) {
    const printed = /token:\s+(\S+)\s+\(tenant/.exec(stderr())?.[1];
    try {
      const stored = JSON.parse(await readFile(join(options.dataDir, 'api-token.json'), 'utf8')) as {
        token: string;
      };
      token = stored.token;
    } catch {
      token = printed ?? null;
    }
  }

  return {
    url,
    token,
    stdout,
    stderr,
    pid: child.pid ?? -1,
    exited,
    stop: () => stopChild(child, exited),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<number | string | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    await exited;
    return;
  }
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: answers are asserted field by field in the tests
export interface ApiAnswer<T = any> {
  status: number;
  headers: Headers;
  /** The parsed JSON body; null when the body is empty; the raw text when it is not JSON. */
  json: T;
  /** The raw body. */
  text: string;
}

export interface ApiRequest {
  method?: string;
  /** Serialised as JSON unless it is already a string. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Overrides the bearer token (null sends no Authorization header). */
  token?: string | null;
}

export type Api = (path: string, request?: ApiRequest) => Promise<ApiAnswer>;

/**
 * A tiny fetch helper bound to a server and a bearer token. Every answer is checked against the OpenAPI document
 * the server serves (./openapi-conformance.ts): one that breaks it fails the test that received it.
 */
export function api(url: string, token: string | null): Api {
  return async (path, request = {}) => {
    const method = request.method ?? (request.body === undefined ? 'GET' : 'POST');
    const bearer = request.token === undefined ? token : request.token;
    const headers: Record<string, string> = {
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...request.headers,
    };
    const response = await fetch(`${url}${path}`, {
      method,
      headers,
      ...(request.body !== undefined
        ? { body: typeof request.body === 'string' ? request.body : JSON.stringify(request.body) }
        : {}),
    });
    const text = await response.text();
    let json: unknown = null;
    if (text) {
      try {
        json = JSON.parse(text);
      } catch {
        json = text;
      }
    }
    const answer = { status: response.status, headers: response.headers, json, text };
    const violations = servedDocumentConformance().violations({ method, url: `${url}${path}`, ...answer });
    if (violations.length > 0)
      throw new Error(
        `The answer breaks the OpenAPI document:\n${violations.join('\n')}\n${text.slice(0, 2000)}`,
      );
    return answer;
  };
}
