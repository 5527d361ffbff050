/**
 * Reads at most `maxBytes` of the body; null when it is larger. A declared Content-Length settles
 * the size before anything is read (HTTP framing bounds the body by it), and a body without one is
 * streamed and cut off at the limit. The declared-length path never touches `request.body`: on
 * @hono/node-server, `body` (and `signal`) build a real Request with a web stream and an
 * AbortController, which was a fifth of the collector's CPU per cart.
 */
export async function readCapped(request: Request, maxBytes: number): Promise<Uint8Array | null> {
  const declared = request.headers.get('content-length');
  if (declared !== null && !request.headers.has('transfer-encoding')) {
    const length = Number(declared);
    if (Number.isInteger(length) && length >= 0) {
      if (length > maxBytes) return null;
      const bytes = new Uint8Array(await request.arrayBuffer());
      return bytes.byteLength <= maxBytes ? bytes : null;
    }
  }
  if (!request.body) return new Uint8Array();
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
