// Helpers run in child processes, so that their CPU (dynalite, vendor simulators, the local server) is not
// counted as credval's in this process, and so that two cores are used the way a deployment would use them.
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface Child<T> {
  /** What the child reported when it was ready. */
  ready: T;
  process: ChildProcess;
  /** Sends `request` and resolves with the child's next message. */
  ask<R>(request: unknown): Promise<R>;
  /** SIGTERM, SIGKILL after 5 s; resolves once the child is gone. */
  stop(): Promise<void>;
}

const CHILDREN_DIR = new URL('../children/', import.meta.url);

/**
 * Starts `bench/children/<name>.ts` with tsx and waits for its first IPC message (`{ ready }` or `{ error }`).
 * The child's stdout is discarded (the local server writes its EMF metrics there); stderr is kept for errors.
 */
export async function startChild<T>(
  name: string,
  options: { env?: Record<string, string>; init?: unknown; timeoutMs?: number } = {},
): Promise<Child<T>> {
  const child = fork(fileURLToPath(new URL(`${name}.ts`, CHILDREN_DIR)), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const stderr: Buffer[] = [];
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      process.off('exit', killOnExit);
      resolve();
    });
  });
  const next = <R>(): Promise<R> =>
    new Promise<R>((resolve, reject) => {
      const timer = setTimeout(
        () => fail(new Error(`bench child ${name} did not answer in time`)),
        options.timeoutMs ?? 120_000,
      );
      const onMessage = (message: { error?: string } & R) => {
        cleanup();
        if (message && typeof message === 'object' && 'error' in message && message.error)
          reject(new Error(`bench child ${name}: ${message.error}`));
        else resolve(message);
      };
      const onExit = (code: number | null) =>
        fail(new Error(`bench child ${name} exited (${code}):\n${Buffer.concat(stderr).toString('utf8')}`));
      const fail = (error: Error) => {
        cleanup();
        reject(error);
      };
      const cleanup = () => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });

  const first = next<{ ready: T }>();
  if (options.init !== undefined) child.send(options.init as never);
  let ready: T;
  try {
    ready = (await first).ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    ready,
    process: child,
    ask: <R>(request: unknown) => {
      const answer = next<R>();
      child.send(request as never);
      return answer;
    },
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** In a child: reports readiness (or the start-up error) to the parent. */
export function reportReady(ready: unknown): void {
  process.send?.({ ready });
}

/** In a child: answers `{ cpu: true }` with the CPU time (user + system, ms) this process used so far. */
export function serveCpuUsage(): void {
  process.on('message', (message: { cpu?: boolean }) => {
    if (!message?.cpu) return;
    const used = process.cpuUsage();
    process.send?.({ cpuMs: (used.user + used.system) / 1000 });
  });
}

/** The CPU time (ms) a child has used so far (it must call serveCpuUsage). */
export async function childCpuMs(child: Child<unknown>): Promise<number> {
  return (await child.ask<{ cpuMs: number }>({ cpu: true })).cpuMs;
}

export function reportError(error: unknown): void {
  process.send?.({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
