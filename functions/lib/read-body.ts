const utf8 = new TextDecoder();

/**
 * The body as text, read up to `maxBytes`; null when it is larger. A declared Content-Length settles
 * the size before anything is read (HTTP framing bounds the body by it), and a body without one is
 * streamed and cut off at the limit. Bytes that are not UTF-8 become U+FFFD, as `Request.text()`
 * makes them: see `hasReplacementCharacter`.
 *
 * The declared-length path takes `request.text()` and never touches `request.body`. On
 * @hono/node-server, `body` (and `signal`) build a real Request with a web stream and an
 * AbortController, which was a fifth of the collector's CPU per cart, and `arrayBuffer()` copies
 * the body into a fresh ArrayBuffer where `text()` decodes the bytes it has.
 */
export async function readCappedText(request: Request, maxBytes: number): Promise<string | null> {
  const declared = request.headers.get('content-length');
  if (declared !== null && !request.headers.has('transfer-encoding')) {
    const length = Number(declared);
    if (Number.isInteger(length) && length >= 0) {
      if (length > maxBytes) return null;
      const text = await request.text();
      // A runtime that did not hold the body to its declared length: no more than maxBytes UTF-16 units.
      return text.length <= maxBytes ? text : null;
    }
  }
  if (!request.body) return '';
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
  return utf8.decode(bytes);
}

/**
 * Whether a body read as text holds U+FFFD: bytes that were not UTF-8, or the replacement character
 * sent as it is. The two cannot be told apart once decoded, and both are refused; JSON can still
 * carry the character escaped, as `\ufffd`.
 */
export const hasReplacementCharacter = (text: string): boolean => text.includes('\uFFFD');

export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
