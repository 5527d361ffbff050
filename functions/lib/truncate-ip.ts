/**
 * A client address cut to its network, so that an event keeps a coarse origin (for abuse and
 * geography) but never names a household: IPv4 to its /24 (`203.0.113.77` -> `203.0.113.0`),
 * IPv6 to its /48 (`2001:db8:1:2::5` -> `2001:db8:1::`), IPv4-mapped IPv6 as IPv4.
 * Returns null for anything that is not an address.
 */
export function truncateIp(address: string | undefined | null): string | null {
  if (!address) return null;
  const bare = address.trim().replace(/^\[|\]$/g, '').split('%')[0]!.toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(bare);
  const v4 = mapped ? mapped[1]! : bare;
  if (/^\d{1,3}(?:\.\d{1,3}){3}$/.test(v4)) {
    const octets = v4.split('.').map(Number);
    if (octets.some((n) => n > 255)) return null;
    return `${octets[0]}.${octets[1]}.${octets[2]}.0`;
  }
  const groups = ipv6Groups(bare);
  if (groups === null) return null;
  const prefix = groups.slice(0, 3);
  // Canonical text: leading zeros dropped, trailing zero groups of the /48 folded into '::'.
  while (prefix.length > 0 && prefix.at(-1) === 0) prefix.pop();
  return `${prefix.map((n) => n.toString(16)).join(':')}::`;
}

/** The eight 16-bit groups of an IPv6 address (an embedded IPv4 tail included), or null. */
function ipv6Groups(text: string): number[] | null {
  if (!/^[0-9a-f:.]+$/.test(text) || !text.includes(':')) return null;
  let body = text;
  const v4 = /:(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(body);
  if (v4) {
    const octets = v4.slice(1).map(Number);
    if (octets.some((n) => n > 255)) return null;
    const hex = (a: number, b: number) => ((a << 8) | b).toString(16);
    body = `${body.slice(0, v4.index)}:${hex(octets[0]!, octets[1]!)}:${hex(octets[2]!, octets[3]!)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string) => (part === '' ? [] : part.split(':'));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  const explicit = [...head, ...rest];
  if (explicit.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return null;
  if (halves.length === 1 ? explicit.length !== 8 : explicit.length > 7) return null;
  const zeros = halves.length === 2 ? Array<string>(8 - explicit.length).fill('0') : [];
  return [...head, ...zeros, ...rest].map((g) => Number.parseInt(g, 16));
}
