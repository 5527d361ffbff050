/**
 * Test helper: runs a function entry as a child process (Deno, or Node on a bundle), waits for its
 * HTTP readiness, and stops it with a signal, timing the exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The Deno binary the `deno` npm package installed. */
export const DENO = path.join(REPO_ROOT, 'node_modules', '.bin', 'deno');

/** What a child inherits: enough to find its tools and caches, nothing of the test's own configuration. */
export function baseEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'TMPDIR', 'DENO_DIR', 'XDG_CACHE_HOME'];
  return Object.fromEntries(keep.flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])));
}

export interface SpawnedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** The last lines it wrote, for failure messages. */
  output(): string;
  /** Polls `url` until it answers 200; rejects with the output when the process exits or time runs out. */
  waitForOk(url: string, timeoutMs?: number): Promise<void>;
  /** Sends `signal` and resolves with the exit code and how long the exit took; SIGKILL after `killAfterMs`. */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<{ code: number | null; signal: string | null; ms: number }>;
}

export function spawnProcess(name: string, command: string, args: string[], env: Record<string, string>): SpawnedProcess {
  const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 40));
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let exitedAlready = false;
  void exited.then(() => (exitedAlready = true));
  const output = () => `--- ${name} output ---\n${lines.join('\n')}`;

  return {
    name,
    child,
    output,
    async waitForOk(url, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let last = 'no answer';
      for (;;) {
        if (exitedAlready) throw new Error(`${name} exited before ${url} answered 200\n${output()}`);
        try {
          const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
          last = `${res.status} ${await res.text()}`;
          if (res.status === 200) return;
        } catch (error) {
          last = (error as Error).message;
        }
        if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})\n${output()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    async stop(signal = 'SIGTERM', killAfterMs = 15_000) {
      const t0 = Date.now();
      if (!exitedAlready) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      const result = await exited;
      clearTimeout(timer);
      return { ...result, ms: Date.now() - t0 };
    },
  };
}
