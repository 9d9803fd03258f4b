import { LeaseLostError, type ProgressEvent } from './runner-api.ts';

export interface ProgressReporterOptions {
  /** Sends a batch; resolves with whether the job was canceled meanwhile. */
  send: (events: ProgressEvent[]) => Promise<{ canceled: boolean }>;
  /** Called once when a send says the job was canceled ('canceled'), or with a LeaseLostError. */
  onStop: (reason: unknown) => void;
  /** At most one batch per this many milliseconds (default 250: four a second). */
  intervalMs?: number;
}

/**
 * Collects progress events from the (synchronous) step callbacks and sends them in batches, a
 * few a second, in order, one request at a time. Of several previews in one batch only the last
 * is kept (older ones are stale by then).
 */
export class ProgressReporter {
  private pending: ProgressEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private sending: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly intervalMs: number;

  constructor(private readonly options: ProgressReporterOptions) {
    this.intervalMs = options.intervalMs ?? 250;
  }

  report(event: ProgressEvent): void {
    if (this.stopped) return;
    this.pending.push(event);
    this.timer ??= setTimeout(() => this.flushNow(), this.intervalMs);
  }

  /** Sends what is pending and waits for every send so far. */
  async flush(): Promise<void> {
    this.flushNow();
    await this.sending;
  }

  /** Drops what is pending and sends nothing more. */
  stop(): void {
    this.stopped = true;
    this.pending = [];
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private flushNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0 || this.stopped) return;
    const batch = keepLastPreview(this.pending.splice(0, 100));
    if (this.pending.length > 0) this.timer = setTimeout(() => this.flushNow(), 0);
    this.sending = this.sending.then(async () => {
      if (this.stopped) return;
      try {
        const { canceled } = await this.options.send(batch);
        if (canceled) this.halt('canceled');
      } catch (error) {
        // Progress is best effort: only a lost lease stops the job; other failures drop a batch.
        if (error instanceof LeaseLostError) this.halt(error);
        else console.warn(`[runner] progress not sent: ${(error as Error).message}`);
      }
    });
  }

  private halt(reason: unknown) {
    if (this.stopped) return;
    this.stop();
    this.options.onStop(reason);
  }
}

function keepLastPreview(events: ProgressEvent[]): ProgressEvent[] {
  const last = events.findLastIndex((e) => e.preview !== undefined);
  return events.map((e, i) => {
    if (i === last || e.preview === undefined) return e;
    const { preview: _dropped, ...rest } = e;
    return rest;
  });
}
