import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';

// AppCDS for a JVM main on a fixed classpath: mapping the broker's classes from an archive roughly halves its
// start here, where reading ~90 jars is slow. A JVM run with the dump flags writes the archive as it exits
// cleanly (which takes seconds, so only prepare-broker-cli.ts does it, never a test teardown); every later JVM maps it.
// A stale or mismatched archive (other JDK, other jars) is ignored by the JVM (-Xshare:auto), never fatal.

export function classArchivePath(home: string, name: string): string {
  return path.join(home, `${name}.jsa`);
}

/** JVM flags that use the archive when it exists. */
export function useClassArchive(home: string, name: string): string[] {
  const archive = classArchivePath(home, name);
  return existsSync(archive) ? [`-XX:SharedArchiveFile=${archive}`, '-Xshare:auto'] : [];
}

export type ClassArchiveDump = {
  jvmArgs: string[];
  /** Call once the JVM has exited, with its exit code (null when a signal killed it). */
  afterExit(code: number | null): Promise<void>;
};

let attempt = 0;

export function dumpClassArchive(home: string, name: string): ClassArchiveDump {
  const archive = classArchivePath(home, name);
  const pending = `${archive}.tmp-${process.pid}-${attempt++}`;
  return {
    jvmArgs: [`-XX:ArchiveClassesAtExit=${pending}`],
    async afterExit(code) {
      // A SIGKILLed JVM may have left a half-written archive.
      if (code !== null && existsSync(pending)) await rename(pending, archive);
      else await rm(pending, { force: true });
    },
  };
}
