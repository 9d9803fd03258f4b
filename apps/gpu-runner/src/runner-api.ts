import type { components, paths } from '@sdedge/sdk';

/**
 * The API's runner protocol (`/runner/v1/*`) over fetch: lease (long poll), heartbeat, events,
 * inputs, uploads, complete and fail. A 409 (`lease_lost`, `job_finished`) becomes
 * LeaseLostError: the job is no longer ours and nothing more may be sent for it.
 */

// The runner protocol's shapes, from the API's OpenAPI document (the SDK's generated types),
// so the runner and the routes cannot drift apart.
type JsonBody<P extends keyof paths> = paths[P] extends {
  post: { requestBody: { content: { 'application/json': infer B } } };
}
  ? B
  : never;

export type Lease = components['schemas']['Lease'];
export type LeasedJob = Lease['job'];
export type JobKind = LeasedJob['kind'];
/** A step's progress; `preview` is a small JPEG as a data: URL. */
export type ProgressEvent = JsonBody<'/runner/v1/jobs/{id}/events'>['events'][number];
export type OutputRecord = JsonBody<'/runner/v1/jobs/{id}/complete'>['outputs'][number];

export class LeaseLostError extends Error {
  constructor(
    readonly jobId: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'LeaseLostError';
  }
}

export class RunnerApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'RunnerApiError';
  }
}

export interface RunnerApiOptions {
  apiUrl: string;
  token: string;
  fetch?: typeof fetch;
}

/** Transient failures (network, 429, 5xx) are retried this many times with backoff. */
const RETRIES = 4;

export class RunnerApi {
  private readonly fetch: typeof fetch;

  constructor(private readonly options: RunnerApiOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async lease(
    request: {
      runner_id: string;
      models: string[];
      capacity: number;
      wait_seconds: number;
      lease_seconds: number;
    },
    signal?: AbortSignal,
  ): Promise<Lease[]> {
    const body = await this.json<{ leases: Lease[] }>('POST', '/runner/v1/lease', request, {
      signal,
      retries: 0,
    });
    return body.leases;
  }

  heartbeat(jobId: string, leaseId: string) {
    return this.json<{ canceled: boolean; lease_deadline: string | null }>(
      'POST',
      `/runner/v1/jobs/${jobId}/heartbeat`,
      { lease_id: leaseId },
      { jobId },
    );
  }

  events(jobId: string, leaseId: string, events: ProgressEvent[]) {
    return this.json<{ canceled: boolean }>(
      'POST',
      `/runner/v1/jobs/${jobId}/events`,
      { lease_id: leaseId, events },
      { jobId },
    );
  }

  async input(jobId: string, url: string): Promise<Uint8Array> {
    const response = await this.send(url, { method: 'GET' }, jobId);
    return new Uint8Array(await response.arrayBuffer());
  }

  async upload(
    jobId: string,
    leaseId: string,
    name: string,
    bytes: Uint8Array,
    contentType: string,
  ): Promise<void> {
    await this.send(
      `${this.options.apiUrl}/runner/v1/jobs/${jobId}/outputs/${encodeURIComponent(name)}?lease_id=${encodeURIComponent(leaseId)}`,
      { method: 'PUT', headers: { 'content-type': contentType }, body: bytes },
      jobId,
    );
  }

  complete(jobId: string, leaseId: string, runnerSeconds: number, outputs: OutputRecord[]) {
    return this.json(
      'POST',
      `/runner/v1/jobs/${jobId}/complete`,
      {
        lease_id: leaseId,
        runner_seconds: runnerSeconds,
        outputs,
      },
      { jobId },
    );
  }

  release(jobId: string, leaseId: string) {
    return this.json('POST', `/runner/v1/jobs/${jobId}/release`, { lease_id: leaseId }, { jobId });
  }

  fail(
    jobId: string,
    leaseId: string,
    failure: { code: string; message: string; retryable: boolean; runner_seconds?: number },
  ) {
    return this.json(
      'POST',
      `/runner/v1/jobs/${jobId}/fail`,
      {
        lease_id: leaseId,
        ...failure,
        message: failure.message.slice(0, 2000),
      },
      { jobId },
    );
  }

  private async json<T>(
    method: string,
    path: string,
    body: unknown,
    options: { jobId?: string; signal?: AbortSignal; retries?: number } = {},
  ): Promise<T> {
    const response = await this.send(
      `${this.options.apiUrl}${path}`,
      {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: options.signal,
      },
      options.jobId,
      options.retries,
    );
    return (await response.json()) as T;
  }

  private async send(
    url: string,
    init: RequestInit,
    jobId?: string,
    retries = RETRIES,
  ): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.options.token}`);
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await this.fetch(url, { ...init, headers });
      } catch (error) {
        if (init.signal?.aborted || attempt >= retries) throw error;
        await backoff(attempt);
        continue;
      }
      if (response.ok) return response;
      const { code, message } = await errorOf(response);
      if (response.status === 409 && jobId) throw new LeaseLostError(jobId, code, message);
      if ((response.status === 429 || response.status >= 500) && attempt < retries) {
        await backoff(attempt, response.headers.get('retry-after'));
        continue;
      }
      throw new RunnerApiError(response.status, code, `${init.method} ${url}: ${message}`);
    }
  }
}

async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  const text = await response.text();
  try {
    const { error } = JSON.parse(text) as { error: { code: string; message: string } };
    return { code: error.code, message: error.message };
  } catch {
    return { code: `http_${response.status}`, message: text.slice(0, 500) };
  }
}

/** Exponential backoff with full jitter, 0.25 s to 4 s, or the server's Retry-After. */
function backoff(attempt: number, retryAfter?: string | null): Promise<void> {
  const hinted = Number(retryAfter);
  const ms =
    Number.isFinite(hinted) && hinted > 0
      ? Math.min(hinted, 30) * 1000
      : Math.random() * Math.min(4000, 250 * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, ms));
}
