/** Server-Sent Events framing for job events. */
export interface StoredEvent {
  seq: number;
  type: string;
  data: unknown;
}

const encoder = new TextEncoder();

export function formatEvent(event: StoredEvent): Uint8Array {
  return encoder.encode(
    `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`,
  );
}

/** A comment line: keeps proxies from closing an idle stream. */
export const KEEPALIVE = encoder.encode(': keepalive\n\n');

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
};
