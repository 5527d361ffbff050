import { readFile } from 'node:fs/promises';
import { type AssetSource, locateAsset } from './assets.ts';

const REPO_ROOT = new URL('../../', import.meta.url);
const ROOTS = {
  web: new URL('web/', REPO_ROOT),
  node_modules: new URL('node_modules/', REPO_ROOT),
} as const;

/** Reads the shop's files from the repository's web/ and node_modules/ on disk. */
export function createNodeAssets(): AssetSource {
  return {
    async read(path) {
      const location = locateAsset(path);
      if (location === null) return null;
      const root = ROOTS[location.root];
      const url = new URL(location.file, root);
      if (!url.href.startsWith(root.href)) return null;
      try {
        return new Uint8Array(await readFile(url));
      } catch (error) {
        if (isMissingFile(error)) return null;
        throw error;
      }
    },
  };
}

function isMissingFile(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR';
}
