/**
 * `npm run build`: one self-contained ESM bundle per function, for Node 20+:
 *
 *   dist/collector.mjs  `node dist/collector.mjs` serves; `export default { fetch }` for fetch-style hosts
 *   dist/consumer.mjs   `node dist/consumer.mjs` consumes
 *   dist/shop.mjs       `node dist/shop.mjs` serves (the page and its files are embedded); `export default { fetch }`
 *   dist/stats.mjs      `node dist/stats.mjs` serves the dashboard's data (/api/stats/*) from Postgres
 *   dist/copy-thread.mjs  the consumer's COPY thread (db/copy-thread.ts), which consumer.mjs starts from beside itself
 *
 * Everything is bundled except librdkafka's binding (@confluentinc/kafka-javascript), a native
 * addon: it is loaded from node_modules only when KAFKA_CLIENT selects it (the default on Node),
 * so with KAFKA_CLIENT=platformatic a bundle runs with no node_modules at all.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { VENDOR_FILES } from '../functions/shop/assets.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface FunctionBundle {
  readonly name: string;
  /** The entry `node dist/<name>.mjs` runs. */
  readonly main: string;
  /** A module whose default export is `{ fetch }`, re-exported by the bundle; absent for the consumer. */
  readonly handler?: string;
}

export const FUNCTIONS: readonly FunctionBundle[] = [
  { name: 'collector', main: 'functions/collector/node.ts', handler: 'functions/collector/handler.ts' },
  { name: 'consumer', main: 'functions/consumer/node.ts' },
  { name: 'shop', main: 'functions/shop/node.ts', handler: 'functions/shop/handler.ts' },
  { name: 'stats', main: 'functions/stats/node.ts' },
];

/** The bundle's entry: re-exports the handler, and runs the Node entry only when the bundle is the main module. */
function entrySource(fn: FunctionBundle): string {
  const main = JSON.stringify(`./${fn.main}`);
  if (!fn.handler) return `import ${main};\n`;
  return [
    `import { realpathSync } from 'node:fs';`,
    `import { fileURLToPath } from 'node:url';`,
    `export { default } from ${JSON.stringify(`./${fn.handler}`)};`,
    `const script = process.argv[1];`,
    `if (script !== undefined && realpathSync(script) === realpathSync(fileURLToPath(import.meta.url))) await import(${main});`,
    '',
  ].join('\n');
}

/**
 * librdkafka's binding, required lazily from node_modules: an ESM `import` of an external module
 * would be hoisted to the bundle's top and load the addon even when KAFKA_CLIENT=platformatic.
 */
const lazyNativeAddon: esbuild.Plugin = {
  name: 'lazy-native-addon',
  setup(build) {
    build.onResolve({ filter: /^@confluentinc\/kafka-javascript$/ }, (args) => ({ path: args.path, namespace: 'lazy-native-addon' }));
    build.onLoad({ filter: /.*/, namespace: 'lazy-native-addon' }, (args) => ({
      contents: `import { createRequire } from 'node:module';\nexport default createRequire(import.meta.url)(${JSON.stringify(args.path)});\n`,
      loader: 'js',
    }));
  },
};

const COPY_THREAD_FILE = 'copy-thread.mjs';

/** In a bundle, the COPY thread's module is copy-thread.mjs beside the bundle, not the sources' tsx boot file. */
const bundledCopyThread: esbuild.Plugin = {
  name: 'bundled-copy-thread',
  setup(build) {
    build.onResolve({ filter: /\/copy-thread-url\.ts$/ }, (args) => ({ path: args.path, namespace: 'bundled-copy-thread' }));
    build.onLoad({ filter: /.*/, namespace: 'bundled-copy-thread' }, () => ({
      contents: `export const copyThreadUrl = new URL(${JSON.stringify(`./${COPY_THREAD_FILE}`)}, import.meta.url);\n`,
      loader: 'js',
    }));
  },
};

/** Every file the shop serves: web/ (tests aside) and the vendored browser builds, keyed as the asset roots see them. */
async function shopFiles(): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of await readdir(path.join(REPO_ROOT, 'web'), { recursive: true })) {
    const file = path.join(REPO_ROOT, 'web', name);
    if (/\.test\.[cm]?[jt]s$/.test(name) || !(await stat(file)).isFile()) continue;
    files.set(`web/${name.split(path.sep).join('/')}`, await readFile(file));
  }
  for (const target of Object.values(VENDOR_FILES)) {
    files.set(`node_modules/${target}`, await readFile(path.join(REPO_ROOT, 'node_modules', target)));
  }
  return files;
}

/** In the shop bundle, node-assets.ts (which reads web/ and node_modules/ from disk) becomes a map embedded in the bundle. */
const embeddedShopAssets: esbuild.Plugin = {
  name: 'embedded-shop-assets',
  setup(build) {
    build.onResolve({ filter: /\/node-assets\.ts$/ }, (args) =>
      args.importer.includes(`${path.sep}functions${path.sep}shop${path.sep}`)
        ? { path: path.join(args.resolveDir, args.path), namespace: 'embedded-shop-assets' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'embedded-shop-assets' }, async () => {
      const entries = [...(await shopFiles())].map(([key, bytes]) => `  ${JSON.stringify(key)}: ${JSON.stringify(bytes.toString('base64'))},`);
      return {
        resolveDir: path.join(REPO_ROOT, 'functions', 'shop'),
        loader: 'ts',
        contents: [
          `import type { AssetSource } from './assets.ts';`,
          `import { locateAsset } from './assets.ts';`,
          `const FILES: Record<string, string> = {`,
          ...entries,
          `};`,
          `export function createNodeAssets(): AssetSource {`,
          `  return {`,
          `    async read(path) {`,
          `      const location = locateAsset(path);`,
          `      const base64 = location && FILES[\`\${location.root}/\${location.file}\`];`,
          `      return base64 ? new Uint8Array(Buffer.from(base64, 'base64')) : null;`,
          `    },`,
          `  };`,
          `}`,
        ].join('\n'),
      };
    });
  },
};

const BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The pure-JS client's WebAssembly helpers read a .wasm file next to their module; this build inlines it.
  alias: { '@platformatic/wasm-utils': '@platformatic/wasm-utils/bundled' },
  // CommonJS dependencies (pino, debug) call require() for Node built-ins, which ESM output lacks.
  banner: { js: `import { createRequire as __bundleCreateRequire } from 'node:module';\nconst require = __bundleCreateRequire(import.meta.url);` },
  plugins: [lazyNativeAddon, embeddedShopAssets, bundledCopyThread],
  legalComments: 'none',
  logLevel: 'warning',
} satisfies esbuild.BuildOptions;

export async function buildFunctions(outdir = path.join(REPO_ROOT, 'dist')): Promise<{ name: string; file: string; bytes: number }[]> {
  await rm(outdir, { recursive: true, force: true });
  const copyThread = path.join(outdir, COPY_THREAD_FILE);
  const [built] = await Promise.all([
    Promise.all(
      FUNCTIONS.map(async (fn) => {
        const file = path.join(outdir, `${fn.name}.mjs`);
        await esbuild.build({
          ...BUNDLE_OPTIONS,
          stdin: { contents: entrySource(fn), resolveDir: REPO_ROOT, sourcefile: `${fn.name}.entry.ts`, loader: 'ts' },
          outfile: file,
        });
        return { name: fn.name, file, bytes: (await stat(file)).size };
      }),
    ),
    esbuild.build({ ...BUNDLE_OPTIONS, entryPoints: [path.join(REPO_ROOT, 'db', 'copy-thread.ts')], outfile: copyThread }),
  ]);
  return [...built, { name: 'copy-thread', file: copyThread, bytes: (await stat(copyThread)).size }];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const t0 = Date.now();
  const built = await buildFunctions();
  for (const { file, bytes } of built) console.log(`  ${path.relative(REPO_ROOT, file)}  ${(bytes / 1024).toFixed(0)} KiB`);
  console.log(`built ${built.length} bundles in ${Date.now() - t0} ms`);
}
