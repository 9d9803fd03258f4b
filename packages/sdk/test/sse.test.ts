import { describe, expect, it } from 'vitest';
import { parseEventStream } from '../src/sse.ts';

function body(chunks: string[]) {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

describe('parseEventStream', () => {
  it('reads events split anywhere across chunks, skipping comments', async () => {
    const events = [];
    for await (const event of parseEventStream(
      body([
        'id: 1\nevent: que',
        'ued\ndata: {"attempt":0}\n\n: keepalive\n\nid: 2\r\nevent: progress\r\ndata: {"step":1,',
        '"total_steps":2}\r\n\r\n',
      ]),
    ))
      events.push(event);
    expect(events).toEqual([
      { id: 1, type: 'queued', data: { attempt: 0 } },
      { id: 2, type: 'progress', data: { step: 1, total_steps: 2 } },
    ]);
  });

  it('drops an event cut off before its blank line', async () => {
    const events = [];
    for await (const event of parseEventStream(
      body(['id: 1\nevent: queued\ndata: {}\n\nid: 2\nevent: prog']),
    ))
      events.push(event.id);
    expect(events).toEqual([1]);
  });
});
