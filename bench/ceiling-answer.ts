import { securityHeaders } from '../functions/lib/secure-json.ts';

/**
 * What the bare node:http ceiling (`bare-http-server.ts`) answers a cart with.
 *
 * `collector` answers as the collector does: its content type and eleven security headers, and a
 * body of the same length (`{"eventId":"<uuid>"}`, one fixed id). The load generator shares the
 * machine and parses every answer's headers in JavaScript (autocannon uses http-parser-js), so a
 * ceiling with a smaller answer left it more of the two cores to send with: a ceiling that no
 * collector could reach, even one that did nothing but answer. `minimal` answers with a content type
 * and a short body only, as the ceiling did until 2026-12-06; the bench reports against both.
 */
export type CeilingAnswer = 'collector' | 'minimal';

/** The eventId of every `collector` answer: a UUIDv7's length and shape, as the collector's are. */
export const FIXED_EVENT_ID = '019af2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b';

export interface Answer {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: (username: unknown) => string;
}

export function ceilingAnswer(kind: CeilingAnswer): Answer {
  if (kind === 'minimal') {
    return { headers: { 'content-type': 'application/json' }, body: (username) => JSON.stringify({ accepted: true, user: typeof username }) };
  }
  const body = JSON.stringify({ eventId: FIXED_EVENT_ID });
  return { headers: { 'content-type': 'application/json', ...securityHeaders('same-origin') }, body: () => body };
}

export function parseCeilingAnswer(value: string | undefined): CeilingAnswer {
  const kind = value ?? 'collector';
  if (kind !== 'collector' && kind !== 'minimal') throw new Error(`ANSWER must be collector or minimal, not ${kind}`);
  return kind;
}
