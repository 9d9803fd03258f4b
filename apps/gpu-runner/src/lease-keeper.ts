import { LeaseLostError, type RunnerApi } from './runner-api.ts';

/**
 * Heartbeats one lease until stopped. Aborts `controller` with 'canceled' when the API says the
 * job was canceled, or with the LeaseLostError when the lease is gone (expired, taken over).
 * Other failures (the API briefly unreachable) are retried at the next beat.
 */
export class LeaseKeeper {
  private timer: ReturnType<typeof setInterval> | null = null;
  private beating = false;

  constructor(
    private readonly api: RunnerApi,
    private readonly jobId: string,
    private readonly leaseId: string,
    private readonly controller: AbortController,
    intervalMs: number,
  ) {
    this.timer = setInterval(() => void this.beat(), intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async beat(): Promise<void> {
    if (this.beating || this.controller.signal.aborted) return;
    this.beating = true;
    try {
      const { canceled } = await this.api.heartbeat(this.jobId, this.leaseId);
      if (canceled) this.controller.abort('canceled');
    } catch (error) {
      if (error instanceof LeaseLostError) this.controller.abort(error);
      else console.warn(`[runner] heartbeat for ${this.jobId} failed: ${(error as Error).message}`);
    } finally {
      this.beating = false;
    }
  }
}
