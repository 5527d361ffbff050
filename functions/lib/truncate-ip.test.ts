import { describe, expect, it } from 'vitest';
import { clientAddressOf } from './client-key.ts';
import { parsePrometheusText, sumOf } from './prometheus-text.ts';
import { truncateIp } from './truncate-ip.ts';

describe('truncateIp', () => {
  it('keeps an IPv4 address to its /24 and an IPv6 address to its /48', () => {
    expect(truncateIp('203.0.113.77')).toBe('203.0.113.0');
    expect(truncateIp('::ffff:203.0.113.77')).toBe('203.0.113.0');
    expect(truncateIp('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1::');
    expect(truncateIp('2001:0DB8:0001:0002::5')).toBe('2001:db8:1::');
    expect(truncateIp('[2001:db8::1]')).toBe('2001:db8::');
    expect(truncateIp('fe80::1%eth0')).toBe('fe80::');
    expect(truncateIp('64:ff9b::192.0.2.33')).toBe('64:ff9b::');
    expect(truncateIp('::1')).toBe('::');
  });

  it('says null for what is not an address', () => {
    for (const text of [undefined, null, '', 'unknown', '1.2.3.256', '1.2.3', '1:2:3:4:5:6:7:8:9', '1::2::3', 'gggg::1']) {
      expect(truncateIp(text), String(text)).toBeNull();
    }
  });

  it('takes the address from X-Forwarded-For only behind a trusted proxy', () => {
    expect(clientAddressOf('10.0.0.1', '198.51.100.9', false)).toBe('10.0.0.1');
    expect(clientAddressOf('10.0.0.1', '6.6.6.6, 198.51.100.9', true)).toBe('198.51.100.9');
    expect(clientAddressOf(undefined, undefined, true)).toBeUndefined();
  });
});

describe('parsePrometheusText', () => {
  it('reads samples with labels and sums them by name', () => {
    const samples = parsePrometheusText(
      [
        '# HELP clickstream_rejected_total x',
        '# TYPE clickstream_rejected_total counter',
        'clickstream_rejected_total{reason="invalid"} 3',
        'clickstream_rejected_total{reason="a \\"quoted\\" one"} 2',
        'clickstream_consumer_lag{partition="0"} 5',
        'clickstream_consumer_lag{partition="1"} 7',
        'clickstream_received_total 10',
        'garbage line',
      ].join('\n'),
    );
    expect(sumOf(samples, 'clickstream_rejected_total')).toBe(5);
    expect(sumOf(samples, 'clickstream_consumer_lag')).toBe(12);
    expect(sumOf(samples, 'clickstream_received_total')).toBe(10);
    expect(sumOf(samples, 'missing')).toBe(0);
    expect(samples[1]!.labels).toEqual({ reason: 'a "quoted" one' });
  });
});
