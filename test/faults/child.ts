import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { repoRoot } from '../../redpanda/kafka/jars.ts';

/** A function's Node entry running in its own process, as in production, so it can be SIGKILLed. */
export interface FunctionProcess {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** The process's stderr and stdout so far, for failure messages. */
  output(): string;
  /** Resolves when GET path answers 200. */
  waitFor(path: string, timeoutMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export function spawnFunction(name: string, entry: string, env: Record<string, string>, port: number): FunctionProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, entry)], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const url = `http://127.0.0.1:${port}`;
  const exited = once(child, 'exit').then(([code]) => code as number | null);

  return {
    name,
    url,
    child,
    output: () => log,
    async waitFor(probe, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${log}`);
        const ok = await fetch(`${url}${probe}`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`${name} not answering ${probe} after ${timeoutMs} ms:\n${log}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async kill(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
