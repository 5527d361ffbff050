/**
 * Where the shop's files come from. Keys are paths relative to the web root (`index.html`,
 * `shop.js`), plus `vendor/…` keys that VENDOR_FILES maps onto browser builds in node_modules.
 * Each runtime brings its own source (node-assets.ts, deno-assets.ts); tests may bring a map.
 */
export interface AssetSource {
  /** The file's bytes, or null when there is no such file. (ArrayBuffer-backed, as Response bodies must be.) */
  read(path: string): Promise<Uint8Array<ArrayBuffer> | null>;
}

/**
 * The browser ESM builds the import map points at, by key -> path below node_modules/.
 * htm/preact imports the bare `preact` and `htm`, which the import map sends to these same files,
 * so the page runs a single copy of Preact.
 */
export const VENDOR_FILES: Readonly<Record<string, string>> = {
  'vendor/preact/preact.module.js': 'preact/dist/preact.module.js',
  'vendor/preact/hooks.module.js': 'preact/hooks/dist/hooks.module.js',
  // The two Preact builds name these maps, so devtools can show readable sources.
  'vendor/preact/preact.module.js.map': 'preact/dist/preact.module.js.map',
  'vendor/preact/hooks.module.js.map': 'preact/hooks/dist/hooks.module.js.map',
  'vendor/htm/htm.module.js': 'htm/dist/htm.module.js',
  'vendor/htm/preact.module.js': 'htm/preact/index.module.js',
  // Chart.js's ESM build for the dashboard: its entry, the chunk it imports relatively, and its one
  // dependency (bare `@kurkle/color`, which the dashboard's import map resolves).
  'vendor/chart.js/chart.js': 'chart.js/dist/chart.js',
  'vendor/chart.js/chunks/index.js': 'chart.js/dist/chunks/index.js',
  'vendor/kurkle-color/color.esm.js': '@kurkle/color/dist/color.esm.js',
};

export interface AssetLocation {
  readonly root: 'web' | 'node_modules';
  /** Relative to the root, already checked to stay inside it. */
  readonly file: string;
}

/** Plain relative segments only: no `..`, no dot-files, no absolute paths, no backslashes or NULs. */
export function isSafeRelativePath(path: string): boolean {
  if (path === '' || path.startsWith('/') || /[\\\0]/.test(path)) return false;
  return path.split('/').every((segment) => segment !== '' && !segment.startsWith('.'));
}

/** Which root a key lives under; null for unsafe paths and for `vendor/…` keys that are not in VENDOR_FILES. */
export function locateAsset(path: string): AssetLocation | null {
  if (!isSafeRelativePath(path)) return null;
  if (path.startsWith('vendor/')) {
    return Object.hasOwn(VENDOR_FILES, path) ? { root: 'node_modules', file: VENDOR_FILES[path] } : null;
  }
  return { root: 'web', file: path };
}
