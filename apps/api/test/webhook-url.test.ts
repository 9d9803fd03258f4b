import { describe, expect, it } from 'vitest';
import { unsafeAddressReason, unsafeWebhookReason } from '../src/jobs/webhook-url.ts';

const deployed = { allowLoopback: false };
const dev = { allowLoopback: true };

describe('unsafeWebhookReason', () => {
  // The probe's SSRF forms: each must be refused in a deployment.
  it.each([
    'http://127.0.0.1/hook',
    'http://127.1/hook',
    'http://2130706433/hook', // 127.0.0.1 as one number
    'http://0x7f000001/hook',
    'http://017700000001/hook', // octal
    'http://0x7f.0.0.1/hook',
    'http://localhost:8787/hook',
    'http://LOCALHOST./hook',
    'http://api.localhost/hook',
    'http://[::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[::ffff:7f00:1]/hook',
    'http://[0:0:0:0:0:ffff:a9fe:a9fe]/hook', // 169.254.169.254, IPv4-mapped
    'http://[64:ff9b::a9fe:a9fe]/hook', // the same through NAT64
    'http://[::]/hook',
    'http://0.0.0.0/hook',
    'http://0/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://metadata/hook',
    'http://10.0.0.5/hook',
    'http://172.16.3.4/hook',
    'http://172.31.255.255/hook',
    'http://192.168.1.1/hook',
    'http://100.64.0.1/hook',
    'http://[fc00::1]/hook',
    'http://[fd12:3456::1]/hook',
    'http://[fe80::1]/hook',
    'http://224.0.0.1/hook',
    'http://255.255.255.255/hook',
    'http://printer.local/hook',
    'http://intranet/hook',
    'https://user:pass@example.com/hook',
    'https://example.com@127.0.0.1/hook',
    'ftp://example.com/hook',
    'file:///etc/passwd',
    'not a url',
  ])('refuses %s', (url) => {
    expect(unsafeWebhookReason(url, deployed)).toEqual(expect.any(String));
  });

  it.each([
    'https://example.com/hooks/sdedge',
    'https://hooks.example.co.uk:8443/a?b=c',
    'http://93.184.216.34/hook',
    'http://172.32.0.1/hook', // just past 172.16.0.0/12
    'http://[2606:4700::1111]/hook',
    'https://webhooks.test/hook',
  ])('accepts %s', (url) => {
    expect(unsafeWebhookReason(url, deployed)).toBeNull();
  });

  it('allows loopback, and only loopback, in development', () => {
    for (const url of ['http://127.0.0.1:9000/h', 'http://localhost/h', 'http://[::1]/h'])
      expect(unsafeWebhookReason(url, dev), url).toBeNull();
    for (const url of ['http://10.0.0.1/h', 'http://169.254.169.254/', 'http://[fe80::1]/'])
      expect(unsafeWebhookReason(url, dev), url).toEqual(expect.any(String));
  });

  it('checks DNS answers the same way', () => {
    expect(unsafeAddressReason('10.1.2.3', deployed)).toMatch(/private/);
    expect(unsafeAddressReason('::ffff:169.254.169.254', deployed)).toMatch(/link-local/);
    expect(unsafeAddressReason('2606:4700::1111', deployed)).toBeNull();
    expect(unsafeAddressReason('8.8.8.8', deployed)).toBeNull();
  });
});
