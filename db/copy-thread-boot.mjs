// Node runs a worker's module without the parent's `--import tsx`: this entry registers tsx first,
// so the COPY thread runs from the TypeScript sources. tsx's require hook works on this thread,
// where its import hook would start a loader thread of its own (10 MB more RSS, measured).
// `npm run build` bundles copy-thread.ts instead, and the bundle needs none of this.
import { createRequire } from 'node:module';
import { register } from 'tsx/cjs/api';

register();
createRequire(import.meta.url)('./copy-thread.ts');
