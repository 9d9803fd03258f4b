/**
 * Runs in Node (vitest's config), as miniflare's outbound service: records every request the
 * worker sends out. `GET http://webhooks.test/__log` returns them; a path with `fail-N` answers
 * 500 to the first N deliveries of that path, so tests can watch retries; `slow-N` answers after N
 * ms; `redirect` answers 302 to the metadata address. `https://dns.test/dns-query` is a
 * DNS-over-HTTPS JSON resolver: names with "rebind" in them resolve to 127.0.0.1, others to a
 * public address.
 */
const received: { url: string; headers: Record<string, string>; body: string; at: number }[] = [];
const failures = new Map<string, number>();

export async function webhookReceiver(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === '/__log') return Response.json(received);
  if (url.host === 'dns.test') return resolve(url);
  received.push({
    url: request.url,
    headers: Object.fromEntries(request.headers),
    body: await request.text(),
    at: Date.now(),
  });
  const failing = url.pathname.match(/fail-(\d+)/);
  if (failing) {
    const seen = (failures.get(url.pathname) ?? 0) + 1;
    failures.set(url.pathname, seen);
    if (seen <= Number(failing[1])) return new Response('not yet', { status: 500 });
  }
  const slow = url.pathname.match(/slow-(\d+)/);
  if (slow) await new Promise((r) => setTimeout(r, Number(slow[1])));
  if (url.pathname.includes('redirect'))
    return new Response(null, { status: 302, headers: { location: 'http://169.254.169.254/' } });
  return new Response('ok');
}

function resolve(url: URL): Response {
  const name = url.searchParams.get('name') ?? '';
  const type = url.searchParams.get('type');
  const address = name.includes('rebind') ? '127.0.0.1' : '93.184.216.34';
  const Answer = type === 'A' ? [{ name, type: 1, TTL: 60, data: address }] : [];
  return Response.json(
    { Status: 0, Answer },
    { headers: { 'content-type': 'application/dns-json' } },
  );
}
