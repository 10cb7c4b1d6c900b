import { describe, expect, it } from 'vitest';
import { redactEmails, redactUrl } from '../../../src/http/redact.js';
import { rateLimitKeyOf } from '../../../src/http/rate-limit.js';

describe('redactUrl', () => {
  it.each([
    ['/healthz', '/healthz'],
    ['/api/reports/supporters?q=Mario%20Rossi&limit=50', '/api/reports/supporters?q=[redacted]&limit=50'],
    ['/thanks?session_id=cs_test_a1b2&lang=it', '/thanks?session_id=[redacted]&lang=it'],
    ['/api/supporters/export?email=a%40b.example', '/api/supporters/export?email=[redacted]'],
    ['/x?contact=ana@localhost', '/x?contact=[redacted]'], // an address without a TLD
    ['/x?Email=ana', '/x?Email=[redacted]'],
    ['/x?%65mail=ana', '/x?%65mail=[redacted]'], // the key percent-encoded
    ['/x?token=abc&from=2026-01-01', '/x?token=[redacted]&from=2026-01-01'],
    ['/x?q=', '/x?q='],
    ['/x?ana@example.com', '/x?[redacted]'],
    ['/supporters/ana%40example.com/export', '/supporters/[redacted]/export'],
    ['/donate/demo?interval=month&currency=eur', '/donate/demo?interval=month&currency=eur'],
  ])('logs %s as %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });

  it('cuts a very long URL', () => {
    const logged = redactUrl(`/x?a=${'b'.repeat(20_000)}`);
    expect(logged.length).toBeLessThanOrEqual(1001);
    expect(logged.endsWith('…')).toBe(true);
  });

  it('takes linear time on the inputs that froze the old pattern (16 kB of @, %40, dots)', () => {
    const hostile = [
      '@'.repeat(16_000),
      '%40'.repeat(5_300),
      `${'a@'.repeat(8_000)}`,
      `/${'a.'.repeat(8_000)}`,
      `?${'a=@&'.repeat(4_000)}`,
    ];
    for (const text of hostile) {
      const started = performance.now();
      redactUrl(`/${text}`);
      redactEmails(text);
      redactEmails(text.replace(/@/g, ' @ '));
      expect(performance.now() - started).toBeLessThan(50);
    }
  });
});

describe('redactEmails', () => {
  it('replaces every word that holds an address, with or without a TLD', () => {
    expect(redactEmails('Invalid email address: ana@example.com')).toBe('Invalid email address: [redacted]');
    expect(redactEmails("No such customer: 'ana@localhost'; try again")).toBe('No such customer: [redacted] try again');
    expect(redactEmails('a%40b.example was refused')).toBe('[redacted] was refused');
    expect(redactEmails('Nothing personal here.')).toBe('Nothing personal here.');
  });
});

describe('rateLimitKeyOf', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    ['64:ff9b::198.51.100.1', '64:ff9b:0:0::/64'],
  ])('keys %s as %s', (address, key) => {
    expect(rateLimitKeyOf(address)).toBe(key);
  });
});
