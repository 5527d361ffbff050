import { describe, expect, it } from 'vitest';
import { addressKey, clientKeyOf } from './client-key.ts';

describe('client key for the rate limit', () => {
  it('uses the socket address unless the proxy is trusted', () => {
    expect(clientKeyOf('10.1.2.3', '203.0.113.9', false)).toBe('10.1.2.3');
    expect(clientKeyOf('10.1.2.3', undefined, true)).toBe('10.1.2.3');
    expect(clientKeyOf(undefined, undefined, false)).toBe('unknown');
  });

  it('behind a trusted proxy takes the last X-Forwarded-For entry, which a client cannot forge', () => {
    expect(clientKeyOf('10.0.0.1', '203.0.113.9', true)).toBe('203.0.113.9');
    // The client sent "X-Forwarded-For: 1.1.1.1"; the proxy appended the address it saw.
    expect(clientKeyOf('10.0.0.1', '1.1.1.1, 203.0.113.9', true)).toBe('203.0.113.9');
    expect(clientKeyOf('10.0.0.1', ' 1.1.1.1 ,203.0.113.9 , ', true)).toBe('203.0.113.9');
  });

  it('falls back to the socket when X-Forwarded-For is not an address', () => {
    expect(clientKeyOf('10.0.0.1', 'not an address', true)).toBe('10.0.0.1');
    expect(clientKeyOf('10.0.0.1', '', true)).toBe('10.0.0.1');
    expect(clientKeyOf('10.0.0.1', '<script>', true)).toBe('10.0.0.1');
  });

  it('counts an IPv6 host by its /64, and IPv4-mapped addresses as IPv4', () => {
    expect(addressKey('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:ffff::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0DB8:0001:0002::')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('[2001:db8:1:2::9]')).toBe('2001:db8:1:2::/64');
    expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
  });
});
