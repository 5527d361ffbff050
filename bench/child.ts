import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../redpanda/kafka/jars.ts';
import type { NodeLaunch } from '../scripts/npm-launch.ts';

/** A Node entry (function or bench helper) in its own process: `node --import tsx <entry>`, as in production. */
export interface NodeChild {
  readonly name: string;
  readonly pid: number;
  readonly url: string;
  /** Its stderr and stdout so far (the last 20 kB), for failure messages. */
  output(): string;
  /** Resolves when GET path answers 200; throws if the process exits first or the time runs out. */
  waitFor(probe: string, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
  running(): boolean;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

// The kernel kills the child when this process dies, even by SIGKILL (as redpanda/kafka/java-process.ts does).
const setpriv = process.platform === 'linux' && existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : null;

export function spawnNode(
  name: string,
  entry: string,
  env: Record<string, string>,
  port: number,
  launch: NodeLaunch = { env: {}, nodeFlags: [] },
): NodeChild {
  // BENCH_CPU_PROF=dir: each child writes a V8 CPU profile there on exit (open it in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF)}`] : [];
  const nodeArgs = [...launch.nodeFlags, ...profile, '--import', 'tsx', path.join(repoRoot, entry)];
  const [command, args] = setpriv
    ? [setpriv, ['--pdeathsig', 'KILL', '--', process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'warn', NODE_ENV: 'production', ...launch.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let log = '';
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      live.delete(child);
      resolve();
    });
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const url = `http://127.0.0.1:${port}`;

  return {
    name,
    pid: child.pid ?? -1,
    url,
    output: () => log,
    running: () => !gone(),
    async waitFor(probe, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (gone()) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}):\n${log}`);
        const ok = await fetch(`${url}${probe}`, { signal: AbortSignal.timeout(2000) }).then(
          async (r) => {
            await r.arrayBuffer();
            return r.status === 200;
          },
          () => false,
        );
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`${name} not answering ${probe} after ${timeoutMs} ms:\n${log}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop(graceMs = 10_000) {
      if (gone()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
