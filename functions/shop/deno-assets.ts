import { type AssetSource, locateAsset } from './assets.ts';

// Just the slice of Deno's API used here, so that tsc (which has no Deno types) can check this file.
declare const Deno: {
  readFile(path: URL): Promise<Uint8Array<ArrayBuffer>>;
  errors: { NotFound: new () => Error; IsADirectory: new () => Error };
};

const REPO_ROOT = new URL('../../', import.meta.url);
const ROOTS = {
  web: new URL('web/', REPO_ROOT),
  node_modules: new URL('node_modules/', REPO_ROOT),
} as const;

/** Reads the shop's files from the repository's web/ and node_modules/ with Deno.readFile. */
export function createDenoAssets(): AssetSource {
  return {
    async read(path) {
      const location = locateAsset(path);
      if (location === null) return null;
      const root = ROOTS[location.root];
      const url = new URL(location.file, root);
      if (!url.href.startsWith(root.href)) return null;
      try {
        return await Deno.readFile(url);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.IsADirectory) return null;
        throw error;
      }
    },
  };
}
