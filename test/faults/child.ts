import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { repoRoot } from '../../redpanda/kafka/jars.ts';
import { spawnProcess } from '../spawn-process.ts';
import { type NodeLaunch } from '../../scripts/npm-launch.ts';

/** A function's Node entry running in its own process, as in production, so it can be SIGKILLed. */
export interface FunctionProcess {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** The process's last output lines, for failure messages. */
  output(): string;
  /** Resolves when GET path answers 200. */
  waitFor(path: string, timeoutMs?: number): Promise<void>;
  /** Sends the signal (SIGKILL by default) and resolves with the exit code once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

/** `launch`: the variables and Node flags of an npm script (launchOf('consume')), to run the entry as it does. */
export function spawnFunction(
  name: string,
  entry: string,
  env: Record<string, string>,
  port: number,
  launch: NodeLaunch = { env: {}, nodeFlags: [] },
): FunctionProcess {
  const spawned = spawnProcess(name, process.execPath, [...launch.nodeFlags, '--import', 'tsx', path.join(repoRoot, entry)], {
    ...(process.env as Record<string, string>),
    LOG_LEVEL: 'warn',
    ...launch.env,
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    name,
    url,
    child: spawned.child,
    output: spawned.output,
    waitFor: (probe, timeoutMs) => spawned.waitForOk(`${url}${probe}`, timeoutMs),
    kill: async (signal = 'SIGKILL') => (await spawned.stop(signal)).code,
  };
}
