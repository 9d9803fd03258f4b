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

export interface EventStreamSource {
  /** Stored events after `after`, oldest first. */
  backlog: StoredEvent[];
  after: number;
  /** The job had ended already: send the backlog and close. */
  ended: boolean;
  /** Live events; the listener hears whether the job has ended. Returns an unsubscribe. */
  subscribe: (listener: (event: StoredEvent, ended: boolean) => void) => () => void;
}

/**
 * A text/event-stream Response: the backlog, then live events, each at most once and in order
 * (an event at or below the last id sent is dropped), closed after the job's final event.
 */
export function openEventStream(source: EventStreamSource): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  let last = source.after;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepalive);
    unsubscribe();
    writer.close().catch(() => {});
  };
  const write = (event: StoredEvent) => {
    if (closed || event.seq <= last) return;
    last = event.seq;
    writer.write(formatEvent(event)).catch(close);
  };
  const unsubscribe = source.subscribe((event, ended) => {
    write(event);
    if (ended) close();
  });
  const keepalive = setInterval(() => writer.write(KEEPALIVE).catch(close), 15000);
  for (const event of source.backlog) write(event);
  if (source.ended) close();
  return new Response(readable, { headers: SSE_HEADERS });
}
