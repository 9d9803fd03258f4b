/**
 * Which webhook URLs the API will POST to. A webhook is a request the API makes on a caller's
 * behalf, so a URL naming this machine, its network or a cloud metadata service (SSRF) is refused.
 * The WHATWG URL parser already turns every numeric spelling of an IPv4 address (2130706433,
 * 0x7f.1, 017700000001) into dotted form, so the checks below see one form.
 */

export interface WebhookUrlPolicy {
  /** Local development: 127.0.0.0/8, ::1 and localhost are allowed (never in a deployment). */
  allowLoopback: boolean;
  /** DNS-over-HTTPS JSON endpoint used at delivery to refuse names resolving to private
   * addresses, or '' (names are then checked by their spelling only). */
  dnsResolver?: string;
}

/** The deployment's policy (wrangler.toml vars WEBHOOK_ALLOW_LOOPBACK, WEBHOOK_DNS_RESOLVER). */
export function webhookUrlPolicy(env: {
  WEBHOOK_ALLOW_LOOPBACK?: string;
  WEBHOOK_DNS_RESOLVER?: string;
}): WebhookUrlPolicy {
  return {
    allowLoopback: env.WEBHOOK_ALLOW_LOOPBACK === 'true',
    dnsResolver: env.WEBHOOK_DNS_RESOLVER ?? '',
  };
}

/** Why this URL may not be a webhook, or null when it may. */
export function unsafeWebhookReason(raw: string, policy: WebhookUrlPolicy): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be http or https';
  if (url.username || url.password) return 'must not carry a user name or password';
  const host = url.hostname.replace(/\.$/, '').toLowerCase();
  if (host.startsWith('[')) return unsafeAddressReason(host.slice(1, -1), policy);
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return unsafeAddressReason(host, policy);
  return unsafeNameReason(host, policy);
}

/** Names that always mean "this machine" or "the cloud's metadata service". */
const LOCAL_NAMES = ['localhost', 'metadata', 'metadata.google.internal', 'instance-data'];
const LOCAL_SUFFIXES = ['.localhost', '.internal', '.local', '.home.arpa', '.lan'];

function unsafeNameReason(host: string, policy: WebhookUrlPolicy): string | null {
  if (!host.includes('.') && host !== 'localhost') return 'must be a public host name';
  const loopbackName = host === 'localhost' || host.endsWith('.localhost');
  if (loopbackName) return policy.allowLoopback ? null : 'names this machine (loopback)';
  if (LOCAL_NAMES.includes(host) || LOCAL_SUFFIXES.some((s) => host.endsWith(s)))
    return 'names a private or metadata host';
  return null;
}

/** Checks an address (IPv4 dotted, or IPv6 without brackets), e.g. one a DNS answer gave. */
export function unsafeAddressReason(address: string, policy: WebhookUrlPolicy): string | null {
  const v4 = address.includes(':') ? embeddedIpv4(address) : parseIpv4(address);
  if (v4 !== null) return unsafeIpv4Reason(v4, policy);
  const v6 = parseIpv6(address);
  if (!v6) return 'is not an IP address';
  if (v6.every((g, i) => (i < 7 ? g === 0 : g === 1)))
    return policy.allowLoopback ? null : 'is a loopback address';
  if (v6.every((g) => g === 0)) return 'is the unspecified address';
  const first = v6[0] as number;
  if ((first & 0xfe00) === 0xfc00) return 'is a private (unique local) address';
  if ((first & 0xffc0) === 0xfe80) return 'is a link-local address';
  if ((first & 0xff00) === 0xff00) return 'is a multicast address';
  return null;
}

/** [first address as a 32-bit number, prefix length, what it is] */
const PRIVATE_IPV4: [string, number, string][] = [
  ['0.0.0.0', 8, 'is a "this network" address'],
  ['10.0.0.0', 8, 'is a private address'],
  ['100.64.0.0', 10, 'is a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'is a loopback address'],
  ['169.254.0.0', 16, 'is a link-local or metadata address'],
  ['172.16.0.0', 12, 'is a private address'],
  ['192.0.0.0', 24, 'is an IETF protocol address'],
  ['192.168.0.0', 16, 'is a private address'],
  ['198.18.0.0', 15, 'is a benchmarking address'],
  ['224.0.0.0', 4, 'is a multicast address'],
  ['240.0.0.0', 4, 'is a reserved or broadcast address'],
];

function unsafeIpv4Reason(address: number, policy: WebhookUrlPolicy): string | null {
  for (const [base, bits, reason] of PRIVATE_IPV4) {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if ((address & mask) >>> 0 === parseIpv4(base)) {
      if (base === '127.0.0.0' && policy.allowLoopback) return null;
      return reason;
    }
  }
  return null;
}

function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0) >>> 0;
}

/** The eight 16-bit groups of an IPv6 address, or null. */
function parseIpv6(text: string): number[] | null {
  let body = text.split('%')[0] as string; // a zone id (fe80::1%eth0) names a local interface
  const dotted = body.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const v4 = parseIpv4(dotted[1] as string);
    if (v4 === null) return null;
    body = `${body.slice(0, -(dotted[1] as string).length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (all.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return null;
  return all.map((g) => Number.parseInt(g, 16));
}

/** The IPv4 address inside an IPv4-mapped, -compatible or NAT64 IPv6 address, else null. */
function embeddedIpv4(text: string): number | null {
  const g = parseIpv6(text);
  if (!g) return null;
  const low = (((g[6] as number) << 16) | (g[7] as number)) >>> 0;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && g[5] === 0xffff) return low; // ::ffff:a.b.c.d
  if (zeros(0, 6) && low > 1) return low; // ::a.b.c.d (deprecated "compatible" form)
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return low; // 64:ff9b::/96 (NAT64)
  return null;
}
