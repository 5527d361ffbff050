import { parentPort, workerData } from 'node:worker_threads';
import { type CopyWriterOptions, openCopyWriter } from './copy-writer.ts';

/** What the main thread asks of a COPY thread, and what the thread answers; see threaded-copy-writer.ts. */
export type CopyTask = { readonly statement: string; readonly text: string } | { readonly close: true };
export type CopyRequest = CopyTask & { readonly id: number };
export type CopyReply =
  | { readonly id: number; readonly rows: number }
  | { readonly id: number; readonly error: { readonly message: string; readonly code?: string } };

export interface CopyThreadData {
  readonly url: string;
  readonly options: CopyWriterOptions;
}

// Started as a worker's module only; importing it elsewhere (for its types) starts nothing.
if (parentPort) {
  const port = parentPort;
  const { url, options } = workerData as CopyThreadData;
  const writer = openCopyWriter(url, options);
  port.on('message', async (request: CopyRequest) => {
    try {
      const rows = 'close' in request ? (await writer.close(), 0) : await writer.copy(request.statement, request.text);
      port.postMessage({ id: request.id, rows } satisfies CopyReply);
    } catch (error) {
      // The SQLSTATE travels as `code`: copyCarts falls back on 23505, and classifyDatabaseError sorts by it.
      const { message, code } = error as Error & { code?: string };
      port.postMessage({ id: request.id, error: { message, code } } satisfies CopyReply);
    }
  });
}
