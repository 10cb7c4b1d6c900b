import type { LookupAddress, LookupOptions } from 'node:dns';
import http from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  checkTarget,
  guardedLookup,
  isPublicAddress,
  parseTargetUrl,
  UnsafeTargetError,
  type LookupAll,
  type TargetPolicy,
} from '../../../src/outbound-webhooks/safe-target.js';

const PRODUCTION: TargetPolicy = { allowPrivate: false, requireHttps: true };
const DEVELOPMENT: TargetPolicy = { allowPrivate: false, requireHttps: false };
const ALLOW_PRIVATE: TargetPolicy = { allowPrivate: true, requireHttps: true };

// Each range's first and last address, and the neighbours just outside it: this checks ipaddr.js's tables
// rather than trusting them.
const PUBLIC_ADDRESSES = [
  '8.8.8.8',
  '1.1.1.1',
  '1.0.0.0', // after 0.0.0.0/8
  '9.255.255.255', // around 10/8
  '11.0.0.0',
  '100.63.255.255', // around 100.64/10
  '100.128.0.0',
  '126.255.255.255', // around 127/8
  '128.0.0.0',
  '169.253.255.255', // around 169.254/16
  '169.255.0.0',
  '172.15.255.255', // around 172.16/12
  '172.32.0.0',
  '192.0.1.0', // between 192.0.0/24 and 192.0.2/24
  '192.0.3.0',
  '192.88.98.255', // around 192.88.99/24
  '192.88.100.0',
  '192.167.255.255', // around 192.168/16
  '192.169.0.0',
  '198.17.255.255', // around 198.18/15
  '198.20.0.0',
  '198.51.99.255', // around 198.51.100/24
  '198.51.101.0',
  '203.0.112.255', // around 203.0.113/24
  '203.0.114.0',
  '223.255.255.255', // before 224/4
  '2001:4860:4860::8888',
  '2606:4700:4700::1111',
  '2001:db7:ffff:ffff::1', // around 2001:db8::/32
  '2001:db9::1',
  '::ffff:8.8.8.8', // IPv4-mapped, judged as its IPv4
  '::ffff:808:808',
  '64:ff9b::8.8.8.8', // NAT64 well-known prefix, judged by the embedded IPv4
  '64:ff9b::808:808',
];

const NON_PUBLIC_ADDRESSES = [
  '0.0.0.0',
  '0.255.255.255',
  '10.0.0.0',
  '10.255.255.255',
  '100.64.0.0',
  '100.127.255.255',
  '127.0.0.1',
  '127.255.255.255',
  '169.254.0.0',
  '169.254.169.254', // cloud metadata
  '169.254.255.255',
  '172.16.0.0',
  '172.31.255.255',
  '192.0.0.0',
  '192.0.0.255',
  '192.0.2.0',
  '192.0.2.255',
  '192.88.99.0',
  '192.88.99.255',
  '192.168.0.0',
  '192.168.255.255',
  '198.18.0.0',
  '198.19.255.255',
  '198.51.100.0',
  '198.51.100.255',
  '203.0.113.0',
  '203.0.113.255',
  '224.0.0.0',
  '239.255.255.255',
  '240.0.0.0',
  '255.255.255.254',
  '255.255.255.255',
  '::',
  '::1',
  'fc00::',
  'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  'fe80::1',
  'febf:ffff::1',
  'ff00::',
  'ff02::1',
  'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  '2001:db8::',
  '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff',
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '::ffff:10.0.0.5',
  '::ffff:169.254.169.254',
  '64:ff9b::127.0.0.1',
  '64:ff9b::a00:5',
  '64:ff9b::169.254.169.254',
  '64:ff9b:1::8.8.8.8', // local-use NAT64: refused whole
  '2002:808:808::1', // 6to4: refused whole, even with a public IPv4 inside
  '2002:a00:5::1',
  '2001::1', // Teredo: refused whole
  '::127.0.0.1', // IPv4-compatible (deprecated): ipaddr.js alone would misread these as IPv4-mapped
  '::8.8.8.8',
  '::7f00:1',
  '::ffff:0:8.8.8.8', // IPv4-translated (RFC 6145)
  '100::1', // discard
  '3fff::1', // documentation (RFC 9637)
  'fec0::1', // deprecated site-local
  '4000::1', // outside 2000::/3, which ipaddr.js calls unicast
  'fe80::1%eth0',
  '2001:4860:4860::8888%eth0', // a zone id: nothing public needs one
];

const UNPARSEABLE = [
  '',
  'localhost',
  'example.com',
  '[::1]',
  '127.1',
  '2130706433',
  '0x7f.0.0.1',
  '0177.0.0.1',
  '1.2.3.4.5',
  ' 8.8.8.8',
  '::g',
];

describe('isPublicAddress', () => {
  it.each(PUBLIC_ADDRESSES)('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });

  it.each(NON_PUBLIC_ADDRESSES)('%s is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(UNPARSEABLE)('%j is not an address, so not public', (text) => {
    expect(isPublicAddress(text)).toBe(false);
  });
});

describe('parseTargetUrl', () => {
  function refusal(raw: string, policy: TargetPolicy = PRODUCTION): UnsafeTargetError {
    try {
      parseTargetUrl(raw, policy);
    } catch (error) {
      if (error instanceof UnsafeTargetError) return error;
      throw error;
    }
    throw new Error(`${raw} was accepted`);
  }

  it('accepts an https URL in production and returns it parsed', () => {
    const url = parseTargetUrl('https://hooks.example.com/favour?source=1', PRODUCTION);
    expect(url.href).toBe('https://hooks.example.com/favour?source=1');
  });

  it.each([
    ['ftp://example.com/hook', 'ftp://example.com/hook: only http and https URLs are allowed, not ftp:'],
    ['javascript:alert(1)', 'javascript:alert(1): only http and https URLs are allowed, not javascript:'],
    ['file:///etc/passwd', 'file:/etc/passwd: only http and https URLs are allowed, not file:'],
  ])('refuses %s', (raw, message) => {
    expect(refusal(raw).message).toBe(message);
  });

  it('refuses URLs without a host (the URL parser rejects them for http and https)', () => {
    expect(refusal('https://').message).toBe('"https://": not a valid URL');
    expect(refusal('http://:8080/hook').message).toBe('"http://:8080/hook": not a valid URL');
    expect(refusal('/hook').message).toBe('"/hook": not a valid URL');
  });

  it('refuses credentials without repeating them', () => {
    const error = refusal('https://favour:s3cret@hooks.example.com/hook');
    expect(error.message).toBe('https://hooks.example.com/hook: the URL must not contain a user name or password');
    expect(refusal('https://favour@hooks.example.com/hook').message).toMatch(/must not contain a user name or password/);
    expect(refusal('https://favour:s3cret@[nope/hook').message).not.toContain('s3cret');
  });

  it('leaves query strings and fragments, which may hold tokens, out of messages', () => {
    expect(refusal('ftp://example.com/hook?token=abc#def').message).toBe(
      'ftp://example.com/hook: only http and https URLs are allowed, not ftp:',
    );
  });

  it('refuses http when https is required, unless private targets are allowed', () => {
    expect(refusal('http://hooks.example.com/hook').message).toBe(
      'http://hooks.example.com/hook: only https URLs are allowed in production (set WEBHOOKS_ALLOW_PRIVATE=true to allow it)',
    );
    expect(parseTargetUrl('http://hooks.example.com/hook', ALLOW_PRIVATE).protocol).toBe('http:');
    expect(parseTargetUrl('http://hooks.example.com/hook', DEVELOPMENT).protocol).toBe('http:');
  });

  it('takes 2,000 characters and refuses more, with a short message', () => {
    const base = 'https://hooks.example.com/';
    expect(parseTargetUrl(base + 'a'.repeat(2_000 - base.length), PRODUCTION).href).toHaveLength(2_000);
    const error = refusal(base + 'a'.repeat(2_001 - base.length));
    expect(error.message).toMatch(/the URL is longer than 2,000 characters$/);
    expect(error.message.length).toBeLessThanOrEqual(300);
  });

  it('keeps messages under 300 characters however long the path', () => {
    const error = refusal(`ftp://example.com/${'p'.repeat(1_900)}`);
    expect(error.message.length).toBeLessThanOrEqual(300);
    expect(error.message).toMatch(/…: only http and https URLs are allowed, not ftp:$/);
  });

  it('is an Error named UnsafeTargetError with code EUNSAFETARGET', () => {
    const error = refusal('ftp://example.com/');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('UnsafeTargetError');
    expect(error.code).toBe('EUNSAFETARGET');
  });
});

describe('checkTarget', () => {
  // A lookupAll answering from a table, recording what it was asked.
  function fakeLookup(answers: Record<string, string[]>): LookupAll & { asked: string[] } {
    const asked: string[] = [];
    const lookupAll = async (hostname: string) => {
      asked.push(hostname);
      const addresses = answers[hostname];
      if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
      return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    };
    return Object.assign(lookupAll, { asked });
  }

  it('accepts a name whose addresses are all public', async () => {
    const lookup = fakeLookup({ 'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'] });
    const url = await checkTarget('https://hooks.example.com/favour', PRODUCTION, lookup);
    expect(url.hostname).toBe('hooks.example.com');
    expect(lookup.asked).toEqual(['hooks.example.com']);
  });

  it('refuses a name resolving to one public and one private address', async () => {
    const lookup = fakeLookup({ 'hooks.example.com': ['93.184.215.14', '10.0.0.5'] });
    await expect(checkTarget('https://hooks.example.com/favour', PRODUCTION, lookup)).rejects.toThrow(
      'https://hooks.example.com/favour: hooks.example.com resolves to 10.0.0.5, which is a private address (set WEBHOOKS_ALLOW_PRIVATE=true to allow it)',
    );
    await expect(checkTarget('https://hooks.example.com/favour', ALLOW_PRIVATE, lookup)).resolves.toBeInstanceOf(URL);
  });

  it('says plainly when a name does not resolve, even with private targets allowed', async () => {
    const lookup = fakeLookup({ 'empty.example.com': [] });
    for (const policy of [PRODUCTION, ALLOW_PRIVATE]) {
      await expect(checkTarget('https://nowhere.invalid/hook', policy, lookup)).rejects.toThrow(
        'https://nowhere.invalid/hook: nowhere.invalid does not resolve (ENOTFOUND)',
      );
    }
    await expect(checkTarget('https://empty.example.com/hook', PRODUCTION, lookup)).rejects.toThrow(
      'https://empty.example.com/hook: empty.example.com does not resolve (no addresses)',
    );
  });

  it('refuses a private IP literal with the reason and the way out', async () => {
    await expect(checkTarget('http://10.0.0.5/hook', DEVELOPMENT, fakeLookup({}))).rejects.toThrow(
      new UnsafeTargetError('http://10.0.0.5/hook: 10.0.0.5 is a private address (set WEBHOOKS_ALLOW_PRIVATE=true to allow it)'),
    );
  });

  // The URL parser normalises decimal, hex and octal IPv4 and trailing dots; IPv6 keeps its brackets.
  it.each([
    ['http://2130706433/', '127.0.0.1 is a loopback address'],
    ['http://0x7f.1/', '127.0.0.1 is a loopback address'],
    ['http://0177.0.0.1/', '127.0.0.1 is a loopback address'],
    ['http://127.0.0.1./', '127.0.0.1 is a loopback address'],
    ['http://0/', '0.0.0.0 is the unspecified address'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address'],
    ['http://[::1]:8080/', '::1 is a loopback address'],
    ['http://[::]/', ':: is the unspecified address'],
    ['http://[fe80::1]/', 'fe80::1 is a link-local address'],
    ['http://[fd00::1]/', 'fd00::1 is a private (unique local) address'],
    ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1 is a loopback address'],
    ['http://[::127.0.0.1]/', '::7f00:1 is a reserved address'],
    ['http://[64:ff9b::10.0.0.5]/', '64:ff9b::a00:5 is a private address'],
    ['http://[2002:a00:5::1]/', '2002:a00:5::1 is a 6to4 address'],
  ])('refuses the IP literal in %s without a lookup', async (raw, reason) => {
    const lookup = fakeLookup({});
    await expect(checkTarget(raw, DEVELOPMENT, lookup)).rejects.toThrow(reason);
    expect(lookup.asked).toEqual([]);
  });

  it('accepts public IP literals without a lookup, and private ones when allowed', async () => {
    const lookup = fakeLookup({});
    expect((await checkTarget('https://8.8.8.8/hook', PRODUCTION, lookup)).hostname).toBe('8.8.8.8');
    expect((await checkTarget('https://[2001:4860:4860::8888]/hook', PRODUCTION, lookup)).hostname).toBe('[2001:4860:4860::8888]');
    expect((await checkTarget('http://127.0.0.1:3000/hook', ALLOW_PRIVATE, lookup)).port).toBe('3000');
    expect(lookup.asked).toEqual([]);
  });

  it('resolves localhost like any other name', async () => {
    const lookup = fakeLookup({ localhost: ['127.0.0.1', '::1'] });
    await expect(checkTarget('http://localhost:3000/hook', DEVELOPMENT, lookup)).rejects.toThrow(
      'http://localhost:3000/hook: localhost resolves to 127.0.0.1, which is a loopback address',
    );
    expect(lookup.asked).toEqual(['localhost']);
  });

  it('looks a trailing-dot name up as written, as the request will', async () => {
    const lookup = fakeLookup({ 'hooks.example.com.': ['93.184.215.14'] });
    expect((await checkTarget('https://hooks.example.com./hook', PRODUCTION, lookup)).hostname).toBe('hooks.example.com.');
    expect(lookup.asked).toEqual(['hooks.example.com.']);
  });

  it('checks form before resolving', async () => {
    const lookup = fakeLookup({});
    await expect(checkTarget('ftp://example.com/', PRODUCTION, lookup)).rejects.toThrow(/not ftp:/);
    expect(lookup.asked).toEqual([]);
  });

  it('resolves with the system resolver by default', async () => {
    await expect(checkTarget('http://localhost/hook', DEVELOPMENT)).rejects.toThrow(
      /localhost resolves to \S+, which is a loopback address/,
    );
    expect((await checkTarget('http://localhost/hook', ALLOW_PRIVATE)).hostname).toBe('localhost');
  });
});

describe('guardedLookup', () => {
  // Calls a lookup the way net does: hostname, an options object, a callback.
  function callLookup(lookup: LookupFunction, hostname: string, options: LookupOptions) {
    return new Promise<{ address: string | LookupAddress[]; family: number | undefined }>((resolve, reject) => {
      lookup(hostname, options, (error, address, family) => (error ? reject(error) : resolve({ address, family })));
    });
  }

  const LOOPBACK = /^(?:127\.\d+\.\d+\.\d+|::1)$/;

  it.each([false, true])('fails with EUNSAFETARGET for localhost (all: %s)', async (all) => {
    const lookup = guardedLookup(DEVELOPMENT);
    const failure = callLookup(lookup, 'localhost', { all });
    await expect(failure).rejects.toMatchObject({ code: 'EUNSAFETARGET', name: 'UnsafeTargetError' });
    await expect(failure).rejects.toThrow(/^localhost resolves to \S+, which is a loopback address \(set WEBHOOKS_ALLOW_PRIVATE=true/);
  });

  it('fails for a private address and passes a public one (both answered without DNS)', async () => {
    const lookup = guardedLookup(PRODUCTION);
    await expect(callLookup(lookup, '10.0.0.5', { all: false })).rejects.toThrow('10.0.0.5 is a private address');
    expect(await callLookup(lookup, '8.8.8.8', { all: false })).toEqual({ address: '8.8.8.8', family: 4 });
    expect(await callLookup(lookup, '8.8.8.8', { all: true })).toEqual({ address: [{ address: '8.8.8.8', family: 4 }], family: undefined });
  });

  it('is plain dns.lookup with private targets allowed', async () => {
    const lookup = guardedLookup(ALLOW_PRIVATE);
    const one = await callLookup(lookup, 'localhost', { all: false });
    expect(one.address).toMatch(LOOPBACK);
    const every = await callLookup(lookup, 'localhost', { all: true });
    expect(Array.isArray(every.address)).toBe(true);
    for (const entry of every.address as LookupAddress[]) expect(entry.address).toMatch(LOOPBACK);
  });

  it('stops a real request to localhost at connect time, and lets it through when allowed', async () => {
    const server = http.createServer((_request, response) => response.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const url = `http://localhost:${port}/hook`;
      await expect(get(url, guardedLookup(DEVELOPMENT))).rejects.toMatchObject({ code: 'EUNSAFETARGET' });
      expect(await get(url, guardedLookup({ allowPrivate: true, requireHttps: false }))).toBe(200);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

function get(url: string, lookup: LookupFunction): Promise<number> {
  return new Promise((resolve, reject) => {
    // No agent: a pooled keep-alive socket would skip the lookup and keep the server open.
    const request = http.request(url, { lookup, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end();
  });
}
