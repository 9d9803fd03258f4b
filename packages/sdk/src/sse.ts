import type { JobEvent } from './types.ts';

/**
 * Parses a text/event-stream body into events (id, event, data; comments skipped), as the
 * WHATWG EventSource algorithm reads lines: `\n`, `\r\n` or `\r`, multi-line data joined.
 */
export async function* parseEventStream(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncGenerator<JobEvent> {
  const reader = body.getReader();
  // Not every fetch stops a body it is reading when the request's signal fires: stop it here.
  const stop = () => void reader.cancel().catch(() => {});
  signal?.addEventListener('abort', stop, { once: true });
  const decoder = new TextDecoder();
  let buffer = '';
  let id: string | null = null;
  let type = 'message';
  let data: string[] = [];
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = done ? '' : (lines.pop() ?? '');
      for (const line of lines) {
        if (line === '') {
          if (data.length > 0 && id !== null)
            yield { id: Number(id), type, data: JSON.parse(data.join('\n')) } as JobEvent;
          type = 'message';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') type = value;
        else if (field === 'data') data.push(value);
      }
      if (done) return;
    }
  } finally {
    signal?.removeEventListener('abort', stop);
    reader.releaseLock();
    await body.cancel().catch(() => {});
  }
}
