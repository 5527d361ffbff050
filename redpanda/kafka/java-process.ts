import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type JavaSpec = {
  /** Directory of jars (from ensureKafkaJars). */
  libs: string;
  mainClass: string;
  args: string[];
  jvmArgs?: string[];
  /** stdout and stderr are appended here; never the console. */
  logFile: string;
};

export type JavaChild = {
  readonly pid: number;
  /** Resolves with the exit code, or null when a signal ended the process. */
  readonly exited: Promise<number | null>;
  running(): boolean;
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL; resolves once the process is gone. */
  kill(): Promise<void>;
};

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

// setpriv --pdeathsig makes the kernel kill the JVM even when this process dies by SIGKILL,
// where no 'exit' handler runs. It is bound to the spawning thread: call from a main thread
// (vitest pool 'forks', not 'threads').
const setpriv = process.platform === 'linux' && existsSync('/usr/bin/setpriv') ? '/usr/bin/setpriv' : null;

export function spawnJava(spec: JavaSpec): JavaChild {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const child of live) child.kill('SIGKILL');
    });
  }
  const javaArgs = [...(spec.jvmArgs ?? []), '-cp', path.join(spec.libs, '*'), spec.mainClass, ...spec.args];
  const [command, args] = setpriv
    ? [setpriv, ['--pdeathsig', 'KILL', '--', 'java', ...javaArgs]]
    : ['java', javaArgs];
  const out = openSync(spec.logFile, 'a');
  let child: ChildProcess;
  try {
    // In a process group of its own, so that a terminal's Ctrl-C reaches only the parent, which stops
    // the JVM after its own clients (a consumer leaving its group needs a broker that is still up).
    // Only with setpriv, whose death signal still ends the JVM if the parent is SIGKILLed.
    child = spawn(command, args, { stdio: ['ignore', out, out], detached: setpriv !== null });
  } finally {
    closeSync(out);
  }
  live.add(child);
  let gone = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      gone = true;
      live.delete(child);
      resolve(code);
    });
    child.once('error', (err) => {
      gone = true;
      live.delete(child);
      appendFileSync(spec.logFile, `spawn ${command} failed: ${err.message}\n`);
      resolve(null);
    });
  });

  const waitGone = async (graceMs: number): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), graceMs);
    });
    const result = await Promise.race([exited.then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  };

  return {
    pid: child.pid ?? -1,
    exited,
    running: () => !gone,
    signal: (sig) => {
      if (!gone) child.kill(sig);
    },
    async stop(graceMs = 15_000) {
      if (gone) return;
      child.kill('SIGTERM');
      if (await waitGone(graceMs)) return;
      child.kill('SIGKILL');
      await exited;
    },
    async kill() {
      if (gone) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Runs a Java main to completion (e.g. a storage format tool), output appended to logFile. */
export async function runJava(spec: JavaSpec): Promise<void> {
  const child = spawnJava(spec);
  const code = await child.exited;
  if (code !== 0) {
    throw new Error(`${spec.mainClass} exited with ${code}\n${logTail(spec.logFile)}`);
  }
}

export function logTail(file: string, lines = 40): string {
  try {
    const text = readFileSync(file, 'utf8').trimEnd().split('\n');
    return `--- last ${Math.min(lines, text.length)} lines of ${file} ---\n${text.slice(-lines).join('\n')}`;
  } catch {
    return `(no log at ${file})`;
  }
}
