import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';

const IMPORT_MAP = /<script\b[^>]*\btype\s*=\s*["']?importmap["']?[^>]*>([\s\S]*?)<\/script\s*>/i;

/** The exact text of the page's inline import map, as the browser hashes it; null if the page has none. */
export function importMapText(html: string): string | null {
  // The HTML parser turns CRLF into LF before the script text exists, so hash what it sees.
  const match = IMPORT_MAP.exec(html.replace(/\r\n?/g, '\n'));
  return match ? match[1] : null;
}

/** A CSP hash source such as `'sha256-…'` for an inline script's text. */
export async function sha256Source(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return `'sha256-${btoa(String.fromCharCode(...digest))}'`;
}

/**
 * hono's secure headers with a strict CSP: same-origin everything, and the only inline script
 * allowed is the import map, by its hash. No inline styles: the page's look lives in shop.css.
 */
export function securityHeaders(importMapHash: string | null): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: importMapHash === null ? ["'self'"] : ["'self'", importMapHash],
      styleSrc: ["'self'"],
      imgSrc: ["'self'"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  });
}
