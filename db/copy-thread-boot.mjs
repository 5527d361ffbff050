// Node runs a worker's module without the parent's `--import tsx`: this entry registers tsx first,
// so the COPY thread runs from the TypeScript sources. `npm run build` bundles copy-thread.ts instead.
import { register } from 'tsx/esm/api';

register();
await import('./copy-thread.ts');
