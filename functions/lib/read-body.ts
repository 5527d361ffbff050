/**
 * Reads at most `maxBytes` of the body, whatever Content-Length claims; null when there is more.
 * bodyLimit trusts a Content-Length header, and a Request's stream need not agree with it.
 */
export async function readCapped(request: Request, maxBytes: number): Promise<Uint8Array | null> {
  if (!request.body) return new Uint8Array();
  // HTTP framing bounds a body by its declared length, so a declared length within the limit can be
  // read whole: on @hono/node-server that skips building a web stream, the collector's costliest step.
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isInteger(declared) && declared >= 0 && declared <= maxBytes) {
    const bytes = new Uint8Array(await request.arrayBuffer());
    return bytes.byteLength <= maxBytes ? bytes : null;
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

