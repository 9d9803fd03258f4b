import {
  APIConnectionError,
  APITimeoutError,
  APIUserAbortError,
  JobCanceledError,
  JobFailedError,
} from './errors.ts';
import { backoffMs, type HttpClient, sleep } from './http.ts';
import type { Logger } from './logger.ts';
import { parseEventStream } from './sse.ts';
import { type Job, type JobEvent, type JobStatus, TERMINAL_EVENTS } from './types.ts';

export interface Progress {
  step: number;
  totalSteps: number;
  /** Videos: the frame being diffused (0-based) and the frame count. */
  frame?: number;
  frames?: number;
  /** A small preview image as a data: URL (usable as an <img> src), when the runner sent one. */
  preview?: string;
}

/** Milliseconds: all in all, or per phase (waiting in the queue, then running). */
export type Timeout = number | { total?: number; queue?: number; run?: number };

export interface WaitOptions {
  onProgress?: (progress: Progress) => void;
  /** Aborting stops waiting and cancels the job on the server. */
  signal?: AbortSignal;
  /** Past it the job is canceled on the server and APITimeoutError thrown. */
  timeout?: Timeout;
  /** false: poll instead of streaming (streaming falls back to polling by itself when it must). */
  stream?: boolean;
}

/** How many times in a row a dropped stream is reopened before giving up on streaming. */
const MAX_RECONNECTS = 5;

class StreamUnavailable extends Error {}

/** `sd.jobs`: create, get, list, cancel, stream and wait for jobs. */
export class Jobs {
  constructor(
    private readonly http: HttpClient,
    private readonly logger: Logger,
  ) {}

  /** Queues a job at `path` (`/v1/images/txt2img`, ...); retried safely under one idempotency key. */
  create(
    path: string,
    body: unknown,
    options: { idempotencyKey?: string; signal?: AbortSignal } = {},
  ): Promise<Job> {
    return this.http.json<Job>('POST', path, {
      json: body,
      idempotencyKey: options.idempotencyKey ?? crypto.randomUUID(),
      signal: options.signal,
    });
  }

  get(id: string, options: { signal?: AbortSignal } = {}): Promise<Job> {
    return this.http.json<Job>('GET', `/v1/jobs/${encodeURIComponent(id)}`, options);
  }

  /** Every job of this key, newest first, page after page (`limit` per page). */
  async *list(
    options: { status?: JobStatus; limit?: number; signal?: AbortSignal } = {},
  ): AsyncGenerator<Job> {
    let cursor: string | undefined;
    do {
      const page = await this.http.json<{
        data: Job[];
        has_more: boolean;
        next_cursor: string | null;
      }>('GET', '/v1/jobs', {
        searchParams: { status: options.status, limit: options.limit, cursor },
        signal: options.signal,
      });
      yield* page.data;
      cursor = page.has_more && page.next_cursor ? page.next_cursor : undefined;
    } while (cursor);
  }

  /** Cancels a job (a queued one is refunded in full, a running one pays for the share done). */
  cancel(id: string, options: { signal?: AbortSignal } = {}): Promise<Job> {
    return this.http.json<Job>('POST', `/v1/jobs/${encodeURIComponent(id)}/cancel`, {
      json: {},
      idempotent: true,
      signal: options.signal,
    });
  }

  /**
   * The job's events, from the start (or after event `after`) to its final event. A dropped
   * stream is reopened with Last-Event-ID, so nothing is lost or repeated.
   */
  async *stream(
    id: string,
    options: { signal?: AbortSignal; after?: number } = {},
  ): AsyncGenerator<JobEvent> {
    let last = options.after ?? 0;
    let failures = 0;
    for (;;) {
      let response: Response;
      try {
        response = await this.http.send('GET', `/v1/jobs/${encodeURIComponent(id)}/events`, {
          headers: {
            accept: 'text/event-stream',
            ...(last > 0 ? { 'last-event-id': String(last) } : {}),
          },
          timeout: false,
          signal: options.signal,
        });
      } catch (error) {
        if (!(error instanceof APIConnectionError) || ++failures > MAX_RECONNECTS) throw error;
        await sleep(backoffMs(failures), options.signal);
        continue;
      }
      if (
        !/^text\/event-stream/i.test(response.headers.get('content-type') ?? '') ||
        !response.body
      ) {
        await response.body?.cancel();
        throw new StreamUnavailable(
          `GET /v1/jobs/${id}/events did not answer with an event stream`,
        );
      }
      try {
        for await (const event of parseEventStream(response.body, options.signal)) {
          last = event.id;
          failures = 0;
          yield event;
          if (TERMINAL_EVENTS.has(event.type)) return;
        }
      } catch (error) {
        if (options.signal?.aborted)
          throw new APIUserAbortError('The stream was aborted.', { cause: error });
        this.logger.debug(`event stream of ${id} dropped: ${(error as Error).message}`);
      }
      if (++failures > MAX_RECONNECTS)
        throw new APIConnectionError(`The event stream of job ${id} kept dropping.`);
      this.logger.debug(`reconnecting to the events of ${id} after event ${last}`);
      await sleep(backoffMs(failures - 1), options.signal);
    }
  }

  /**
   * Waits for the job to end and returns it (succeeded), streaming its progress; throws
   * JobFailedError or JobCanceledError for the other endings. Abort or timeout cancels the job.
   */
  async wait(id: string, options: WaitOptions = {}): Promise<Job> {
    const deadline = new Deadline(options.timeout, options.signal);
    try {
      let ended = false;
      if (options.stream ?? true) {
        try {
          for await (const event of this.stream(id, { signal: deadline.signal })) {
            if (event.type === 'started') deadline.started();
            if (event.type === 'progress') options.onProgress?.(toProgress(event.data));
            if (TERMINAL_EVENTS.has(event.type)) ended = true;
          }
        } catch (error) {
          if (
            !(error instanceof StreamUnavailable || error instanceof APIConnectionError) ||
            deadline.signal.aborted
          )
            throw error;
          this.logger.debug(`streaming ${id} is unavailable, polling: ${(error as Error).message}`);
        }
      }
      const job = ended
        ? await this.get(id, { signal: deadline.signal })
        : await this.poll(id, deadline, options);
      if (job.status === 'failed') throw new JobFailedError(job);
      if (job.status === 'canceled') throw new JobCanceledError(job);
      return job;
    } catch (error) {
      const reason = deadline.reason();
      if (!reason) throw error;
      await this.cancel(id).catch((e) =>
        this.logger.warn(`could not cancel job ${id}: ${(e as Error).message}`),
      ); // best effort
      throw reason === 'timeout'
        ? new APITimeoutError(`Job ${id} did not end within its timeout; it was canceled.`, {
            cause: error,
          })
        : new APIUserAbortError(`Waiting for job ${id} was aborted; it was canceled.`, {
            cause: error,
          });
    } finally {
      deadline.clear();
    }
  }

  /** Polls until the job ends, at the pace the API asks for (poll_after_seconds). */
  private async poll(id: string, deadline: Deadline, options: WaitOptions): Promise<Job> {
    let lastStep = -1;
    for (;;) {
      const job = await this.get(id, { signal: deadline.signal });
      if (job.status !== 'queued') deadline.started();
      if (job.progress && job.progress.step !== lastStep) {
        lastStep = job.progress.step;
        options.onProgress?.(toProgress(job.progress));
      }
      if (job.poll_after_seconds === null) return job;
      await sleep(job.poll_after_seconds * 1000, deadline.signal);
    }
  }
}

function toProgress(data: {
  step: number;
  total_steps: number;
  frame?: number;
  frames?: number;
  preview?: string;
}): Progress {
  const progress: Progress = { step: data.step, totalSteps: data.total_steps };
  if (data.frame !== undefined) progress.frame = data.frame;
  if (data.frames !== undefined) progress.frames = data.frames;
  if (data.preview !== undefined) progress.preview = data.preview;
  return progress;
}

/** The total, queue and run deadlines and the caller's signal, as one AbortSignal. */
class Deadline {
  private readonly controller = new AbortController();
  private readonly timers: ReturnType<typeof setTimeout>[] = [];
  private runTimer: ReturnType<typeof setTimeout> | null = null;
  private queueTimer: ReturnType<typeof setTimeout> | null = null;
  private isStarted = false;
  private readonly onAbort = () => this.controller.abort('aborted');

  constructor(
    private readonly timeout: Timeout | undefined,
    private readonly outer?: AbortSignal,
  ) {
    if (outer?.aborted) this.controller.abort('aborted');
    outer?.addEventListener('abort', this.onAbort, { once: true });
    const t = typeof timeout === 'number' ? { total: timeout } : (timeout ?? {});
    if (t.total !== undefined) this.timers.push(this.after(t.total));
    if (t.queue !== undefined) this.queueTimer = this.after(t.queue);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The job left the queue: the queue deadline stops, the run deadline starts. */
  started() {
    if (this.isStarted) return;
    this.isStarted = true;
    if (this.queueTimer) clearTimeout(this.queueTimer);
    const run = typeof this.timeout === 'object' ? this.timeout.run : undefined;
    if (run !== undefined) this.runTimer = this.after(run);
  }

  reason(): 'timeout' | 'aborted' | null {
    return this.controller.signal.aborted
      ? (this.controller.signal.reason as 'timeout' | 'aborted')
      : null;
  }

  clear() {
    for (const timer of [...this.timers, this.runTimer, this.queueTimer])
      if (timer) clearTimeout(timer);
    this.outer?.removeEventListener('abort', this.onAbort);
  }

  private after(ms: number) {
    return setTimeout(() => this.controller.abort('timeout'), ms);
  }
}
