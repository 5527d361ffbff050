import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError } from '../shared/errors.ts';
import { classifyDatabaseError } from './errors.ts';
import { openThreadedCopyWriter } from './threaded-copy-writer.ts';

/**
 * A stand-in thread module speaking the COPY thread's protocol without Postgres: it stores "rows"
 * as the count of lines, refuses text starting "refuse" with a SQLSTATE, exits at "die", answers
 * "which" with its thread id, and fails to close when its URL says so.
 * The real thread, against Postgres, is tested through copyCarts in copy-carts.test.ts.
 */
const standIn = new URL(
  `data:text/javascript,${encodeURIComponent(`
    import { parentPort, threadId, workerData } from 'node:worker_threads';
    parentPort.on('message', ({ id, text, close }) => {
      if (close && workerData.url === 'postgres://fails-to-close') return parentPort.postMessage({ id, error: { message: 'pool end failed' } });
      if (close) return parentPort.postMessage({ id, rows: 0 });
      if (text.startsWith('die')) process.exit(3);
      if (text.startsWith('which')) return parentPort.postMessage({ id, rows: threadId });
      if (text.startsWith('refuse')) return parentPort.postMessage({ id, error: { message: 'duplicate key', code: '23505' } });
      parentPort.postMessage({ id, rows: text.split('\\n').length - 1 });
    });
  `)}`,
);

describe('openThreadedCopyWriter', () => {
  it("answers each copy with its own thread's reply, the SQLSTATE kept on a refusal", async () => {
    const writer = openThreadedCopyWriter('postgres://unused', {}, standIn);
    try {
      const answers = await Promise.all([writer.copy('copy t', 'a\nb\n'), writer.copy('copy t', 'c\n'), writer.copy('copy t', 'd\ne\nf\n')]);
      expect(answers).toEqual([2, 1, 3]);
      const refused = await writer.copy('copy t', 'refuse\n').catch((e: unknown) => e);
      expect(refused).toMatchObject({ message: 'duplicate key', code: '23505' });
    } finally {
      await writer.close();
    }
  });

  it('fails the copies of a thread that dies as an outage, and copies again on a new thread', async () => {
    const writer = openThreadedCopyWriter('postgres://unused', {}, standIn);
    try {
      const pending = writer.copy('copy t', 'a\n');
      const dying = writer.copy('copy t', 'die\n').catch((e: unknown) => e);
      expect(await pending).toBe(1);
      const error = await dying;
      expect(error).toMatchObject({ message: 'COPY thread terminated (exit code 3)' });
      expect(classifyDatabaseError(error)).toBeInstanceOf(DatabaseUnavailableError);
      expect(await writer.copy('copy t', 'b\nc\n')).toBe(2);
    } finally {
      await writer.close();
    }
  });

  it('reports a close that fails, ends that thread anyway, and copies again on a new one', async () => {
    const writer = openThreadedCopyWriter('postgres://fails-to-close', {}, standIn);
    const first = await writer.copy('copy t', 'which\n');
    await expect(writer.close()).rejects.toThrow('pool end failed');
    const second = await writer.copy('copy t', 'which\n');
    expect(second).not.toBe(first);
    await writer.close().catch(() => {});
  });

  it('does not keep the process alive once its copies are answered', async () => {
    const script = [
      `import { openThreadedCopyWriter } from './db/threaded-copy-writer.ts';`,
      `const writer = openThreadedCopyWriter('postgres://unused', {}, new URL(${JSON.stringify(standIn.href)}));`,
      `console.log(await writer.copy('copy t', 'a\\n'));`,
    ].join('\n');
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 20_000 });
    expect(stdout.trim()).toBe('1');
  });
});
