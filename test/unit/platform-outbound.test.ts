import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { addressRefusal, CallbackUrlRefused, checkCallbackUrl } from '#platform/outbound.ts';

describe('checkCallbackUrl', () => {
  const refused: [string, RegExp][] = [
    ['http://127.0.0.1/hook', /loopback/],
    ['http://127.9.9.9/hook', /loopback/],
    ['http://2130706433/hook', /loopback/], // 127.0.0.1 written as one number
    ['http://[::1]:8080/hook', /loopback/],
    ['http://localhost:8080/hook', /loopback/],
    ['http://169.254.169.254/latest/meta-data/', /link-local/],
    ['http://[fe80::1]/hook', /link-local/],
    ['http://10.1.2.3/hook', /private/],
    ['http://172.16.0.1/hook', /private/],
    ['http://172.31.255.255/hook', /private/],
    ['http://192.168.1.10/hook', /private/],
    ['http://[fc00::1]/hook', /unique local/],
    ['http://[fd00:ec2::254]/hook', /unique local/],
    ['http://100.64.0.1/hook', /carrier-grade NAT/],
    ['http://100.127.255.254/hook', /carrier-grade NAT/],
    ['http://0.0.0.0/hook', /unspecified/],
    ['http://[::]/hook', /unspecified/],
    ['http://224.0.0.1/hook', /multicast/],
    ['http://[ff02::1]/hook', /multicast/],
    ['http://255.255.255.255/hook', /broadcast/],
    ['http://[::ffff:127.0.0.1]/hook', /IPv4-mapped loopback/],
    ['http://[::ffff:169.254.169.254]/hook', /IPv4-mapped link-local/],
    ['http://[64:ff9b::a00:1]/hook', /NAT64 private/],
    ['http://[2002:a00:1::]/hook', /6to4 private/],
  ];

  for (const [url, reason] of refused) {
    it(`refuses ${url}`, async () => {
      await assert.rejects(checkCallbackUrl(url, { allowPrivate: false }), (error: unknown) => {
        assert.ok(error instanceof CallbackUrlRefused);
        assert.equal(error.statusCode, 400);
        assert.equal(error.transient, false);
        assert.match(error.reason, reason);
        return true;
      });
    });
  }

  it('allows every one of them with allowPrivate', async () => {
    for (const [url] of refused) {
      const target = await checkCallbackUrl(url, { allowPrivate: true });
      assert.ok(target.address, url);
    }
  });

  it('allows public addresses just outside the refused ranges', async () => {
    for (const url of [
      'https://93.184.215.14/hook',
      'http://172.32.0.1/hook',
      'http://100.128.0.1/hook',
      'http://169.253.255.255/hook',
      'https://[2606:4700:4700::1111]/hook',
      'http://[::ffff:8.8.8.8]/hook',
    ]) {
      const target = await checkCallbackUrl(url, { allowPrivate: false });
      assert.equal(addressRefusal(target.address), undefined, url);
    }
  });

  it('refuses schemes other than http and https, and non-URLs', async () => {
    for (const url of ['ftp://example.com/x', 'file:///etc/passwd', 'gopher://example.com/', 'not a url']) {
      await assert.rejects(checkCallbackUrl(url, { allowPrivate: true }), CallbackUrlRefused, url);
    }
  });

  it('refuses a name with one private address among public ones', async () => {
    const lookup = async () => [
      { address: '93.184.215.14', family: 4 },
      { address: '10.0.0.5', family: 4 },
    ];

    await assert.rejects(
      checkCallbackUrl('https://hooks.example.test/x', { allowPrivate: false, lookup }),
      /resolves to 10\.0\.0\.5, a private address/,
    );
  });

  it('returns the resolved address to connect to, keeping the name', async () => {
    const lookup = async () => [{ address: '2606:4700:4700::1111', family: 6 }];

    const target = await checkCallbackUrl('https://hooks.example.test:8443/x?y=1', {
      allowPrivate: false,
      lookup,
    });

    assert.deepEqual(
      { hostname: target.hostname, address: target.address, family: target.family, host: target.url.host },
      {
        hostname: 'hooks.example.test',
        address: '2606:4700:4700::1111',
        family: 6,
        host: 'hooks.example.test:8443',
      },
    );
  });

  it('prefers an IPv4 address when the name has both', async () => {
    const lookup = async () => [
      { address: '2606:4700:4700::1111', family: 6 },
      { address: '1.1.1.1', family: 4 },
    ];

    const target = await checkCallbackUrl('https://hooks.example.test/', { allowPrivate: false, lookup });

    assert.equal(target.address, '1.1.1.1');
    assert.equal(target.family, 4);
  });

  it('marks a failed lookup as transient', async () => {
    const lookup = async () => {
      throw Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' });
    };

    await assert.rejects(
      checkCallbackUrl('https://hooks.example.test/', { allowPrivate: false, lookup }),
      (error) => {
        assert.ok(error instanceof CallbackUrlRefused);
        assert.equal(error.transient, true);
        return true;
      },
    );
  });
});
