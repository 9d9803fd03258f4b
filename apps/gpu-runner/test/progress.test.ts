import { decodeImage } from '@sdedge/pipeline';
import { describe, expect, it } from 'vitest';
import { MAX_PREVIEW_BYTES, previewDataUrl } from '../src/preview.ts';
import { ProgressReporter } from '../src/progress-reporter.ts';
import { LeaseLostError, type ProgressEvent } from '../src/runner-api.ts';

const step = (n: number, preview?: string): ProgressEvent => ({
  type: 'progress',
  step: n,
  total_steps: 10,
  ...(preview ? { preview } : {}),
});

describe('ProgressReporter', () => {
  it('batches events in order, one request at a time, keeping only the newest preview', async () => {
    const batches: ProgressEvent[][] = [];
    const reporter = new ProgressReporter({
      send: async (events) => {
        batches.push(events);
        return { canceled: false };
      },
      onStop: () => {
        throw new Error('not stopped');
      },
      intervalMs: 20,
    });
    reporter.report(step(1, 'data:image/jpeg;base64,AA=='));
    reporter.report(step(2, 'data:image/jpeg;base64,BB=='));
    reporter.report(step(3));
    await new Promise((r) => setTimeout(r, 60));
    reporter.report(step(4));
    await reporter.flush();
    expect(batches.map((b) => b.map((e) => e.step))).toEqual([[1, 2, 3], [4]]);
    expect(batches[0]?.map((e) => e.preview)).toEqual([
      undefined,
      'data:image/jpeg;base64,BB==',
      undefined,
    ]);
  });

  it('stops on a cancel or a lost lease, and sends nothing after', async () => {
    for (const answer of ['canceled', 'lost'] as const) {
      let sent = 0;
      const stops: unknown[] = [];
      const reporter = new ProgressReporter({
        send: async () => {
          sent++;
          if (answer === 'lost') throw new LeaseLostError('job_1', 'lease_lost', 'gone');
          return { canceled: true };
        },
        onStop: (reason) => stops.push(reason),
      });
      reporter.report(step(1));
      await reporter.flush();
      reporter.report(step(2));
      await reporter.flush();
      expect(sent).toBe(1);
      expect(stops).toHaveLength(1);
      expect(answer === 'canceled' ? stops[0] : stops[0] instanceof LeaseLostError).toBe(
        answer === 'canceled' ? 'canceled' : true,
      );
    }
  });

  it('drops a batch the API could not take, and goes on', async () => {
    let calls = 0;
    const reporter = new ProgressReporter({
      send: async () => {
        calls++;
        if (calls === 1) throw new Error('503');
        return { canceled: false };
      },
      onStop: () => {
        throw new Error('not stopped');
      },
    });
    reporter.report(step(1));
    await reporter.flush();
    reporter.report(step(2));
    await reporter.flush();
    expect(calls).toBe(2);
  });
});

describe('previewDataUrl', () => {
  it('fits even a noisy 1024x1024 image into 16 KB of JPEG', () => {
    let state = 1;
    const data = new Uint8Array(1024 * 1024 * 3).map(() => {
      state = (state * 1103515245 + 12345) >>> 0;
      return state >>> 24;
    });
    const url = previewDataUrl({ width: 1024, height: 1024, data });
    const bytes = Buffer.from(url.replace('data:image/jpeg;base64,', ''), 'base64');
    expect(bytes.length).toBeLessThanOrEqual(MAX_PREVIEW_BYTES);
    const decoded = decodeImage(new Uint8Array(bytes));
    expect(Math.max(decoded.width, decoded.height)).toBeLessThanOrEqual(256);
  });

  it('keeps a small latent preview at its size', () => {
    const url = previewDataUrl({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 3).fill(200) });
    const decoded = decodeImage(new Uint8Array(Buffer.from(url.split(',')[1] ?? '', 'base64')));
    expect([decoded.width, decoded.height]).toEqual([8, 8]);
    expect(Math.abs((decoded.data[0] ?? 0) - 200)).toBeLessThanOrEqual(2);
  });
});
