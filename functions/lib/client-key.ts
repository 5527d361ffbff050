import type { Context } from 'hono';

/** Names the client a request comes from, for per-client rate limits. The address is runtime-specific, so entries provide it. */
export type ClientKey = (c: Context) => string;

/**
 * The key to count a client under: its address, with an IPv6 address narrowed to its /64 (one
 * host usually owns a whole /64, so counting single addresses would let it rotate past the limit).
 *
 * `forwardedFor` (the X-Forwarded-For header) counts only when `trustProxy` is set, and then only
 * its last entry: the address the one trusted proxy in front of us saw. Entries to its left come
 * from the client and can be forged.
 */
export function clientKeyOf(socketAddress: string | undefined, forwardedFor: string | undefined, trustProxy: boolean): string {
  if (trustProxy && forwardedFor) {
    const last = forwardedFor.split(',').map((part) => part.trim()).filter(Boolean).at(-1);
    if (last && looksLikeAddress(last)) return addressKey(last);
  }
  return socketAddress ? addressKey(socketAddress) : 'unknown';
}

function looksLikeAddress(text: string): boolean {
  return /^[0-9a-fA-F:.[\]%]{2,64}$/.test(text) && /[.:]/.test(text);
}

/** `1.2.3.4` as is; `::ffff:1.2.3.4` as `1.2.3.4`; `2001:db8:1:2:3:4:5:6` as `2001:db8:1:2::/64`. */
export function addressKey(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '').split('%')[0]!.toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(bare);
  if (mapped) return mapped[1]!;
  if (!bare.includes(':')) return bare;
  const halves = bare.split('::');
  if (halves.length > 2) return bare;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const groups = halves.length === 2 ? [...head, ...Array<string>(Math.max(0, 8 - head.length - tail.length)).fill('0'), ...tail] : head;
  const prefix = groups.slice(0, 4).map((group) => Number.parseInt(group, 16));
  if (prefix.length < 4 || prefix.some((n) => !Number.isInteger(n) || n < 0 || n > 0xffff)) return bare;
  return `${prefix.map((n) => n.toString(16)).join(':')}::/64`;
}

/** The address a request comes from, as the runtime knows it (undefined when it cannot tell). Entries provide it. */
export type ClientAddress = (c: Context) => string | undefined;

/** The socket's address, or X-Forwarded-For's last entry when `trustProxy` (the same rule as `clientKeyOf`), unnarrowed. */
export function clientAddressOf(socketAddress: string | undefined, forwardedFor: string | undefined, trustProxy: boolean): string | undefined {
  if (trustProxy && forwardedFor) {
    const last = forwardedFor.split(',').map((part) => part.trim()).filter(Boolean).at(-1);
    if (last && looksLikeAddress(last)) return last;
  }
  return socketAddress;
}
