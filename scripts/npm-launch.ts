import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../redpanda/kafka/jars.ts';

/** How an npm script starts Node: the variables it sets before `node`, and the flags before `--import`. */
export interface NodeLaunch {
  readonly env: Readonly<Record<string, string>>;
  readonly nodeFlags: readonly string[];
}

/**
 * Reads `MALLOC_ARENA_MAX=2 node --max-old-space-size=128 --import tsx …` from package.json, so the
 * bench and the fault tests run a function exactly as `npm run <script>` does.
 */
export function launchOf(script: string): NodeLaunch {
  const scripts = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  const words = scripts[script]?.split(/\s+/) ?? [];
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < words.length && /^[A-Z_][A-Z0-9_]*=/.test(words[i]!); i++) {
    const [name, ...value] = words[i]!.split('=');
    env[name!] = value.join('=');
  }
  if (words[i] !== 'node') return { env, nodeFlags: [] };
  const end = words.indexOf('--import', i);
  return { env, nodeFlags: words.slice(i + 1, end === -1 ? undefined : end) };
}
