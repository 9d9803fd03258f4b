/**
 * Runs in Node (vitest's config), as miniflare's outbound service: records every request the
 * worker sends out. `GET http://webhooks.test/__log` returns them; a path with `fail-N` answers
 * 500 to the first N deliveries of that path, so tests can watch retries.
 */
const received: { url: string; headers: Record<string, string>; body: string; at: number }[] = [];
const failures = new Map<string, number>();

export async function webhookReceiver(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname === '/__log') return Response.json(received);
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
  return new Response('ok');
}
