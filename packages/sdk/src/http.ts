import ky, { type KyInstance, TimeoutError } from 'ky';
import {
  APIConnectionError,
  APIError,
  type APIErrorBody,
  APITimeoutError,
  APIUserAbortError,
  retryAfterSeconds,
} from './errors.ts';
import type { Logger } from './logger.ts';

export interface RetryInfo {
  /** 1 for the first retry. */
  attempt: number;
  delayMs: number;
  method: string;
  path: string;
  error: Error;
}

export interface HttpOptions {
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
  /** Per request, in ms (default 60 s). */
  timeout: number;
  maxRetries: number;
  onRetry?: (info: RetryInfo) => void;
  logger: Logger;
}

export interface RequestOptions {
  json?: unknown;
  searchParams?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Sent as Idempotency-Key; a POST is retried only when it has one (or is `idempotent`). */
  idempotencyKey?: string;
  idempotent?: boolean;
  /** Per-request timeout in ms, or false for none (event streams). */
  timeout?: number | false;
}

const RETRY_STATUS = new Set([408, 429, 500, 502, 503, 504]);
const MAX_RETRY_AFTER_S = 60;

/**
 * HTTP through ky, with the SDK's own retry policy on top (ky's own retries are off): 408, 429,
 * 5xx and connection errors, exponential backoff with full jitter (0.5 s doubling to 8 s) or the
 * server's Retry-After (up to 60 s). A POST is retried only with an idempotency key, the same on
 * every try, so a retry can never make a second job.
 */
export class HttpClient {
  private readonly ky: KyInstance;

  constructor(readonly options: HttpOptions) {
    this.ky = ky.create({
      prefixUrl: options.baseUrl.replace(/\/+$/, ''),
      headers: { authorization: `Bearer ${options.apiKey}`, accept: 'application/json' },
      retry: 0,
      throwHttpErrors: false,
      timeout: options.timeout,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  async json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    return (await response.json()) as T;
  }

  /** The raw Response of a 2xx answer (after retries); errors are thrown as APIError. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const retryable =
      method !== 'POST' || options.idempotencyKey !== undefined || options.idempotent === true;
    const headers: Record<string, string> = { ...options.headers };
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    const searchParams = Object.fromEntries(
      Object.entries(options.searchParams ?? {}).filter(
        (e): e is [string, string | number] => e[1] !== undefined,
      ),
    );
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        this.options.logger.debug(`${method} /${path}${attempt ? ` (retry ${attempt})` : ''}`);
        response = await this.ky(path.replace(/^\//, ''), {
          method,
          headers,
          searchParams,
          ...(options.json !== undefined ? { json: options.json } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
        });
      } catch (cause) {
        if (options.signal?.aborted)
          throw new APIUserAbortError('The request was aborted.', { cause });
        const error =
          cause instanceof TimeoutError
            ? new APITimeoutError(`${method} ${path} timed out.`, { cause })
            : new APIConnectionError(
                `${method} ${path} could not reach the API: ${(cause as Error).message}`,
                { cause },
              );
        if (!retryable || attempt >= this.options.maxRetries) throw error;
        await this.pause(attempt, backoffMs(attempt), method, path, error, options.signal);
        continue;
      }
      if (response.ok) return response;
      const error = APIError.generate(response.status, await errorBody(response), response.headers);
      if (!retryable || !RETRY_STATUS.has(response.status) || attempt >= this.options.maxRetries)
        throw error;
      const hinted = retryAfterSeconds(response.headers);
      const delay =
        hinted !== null && hinted <= MAX_RETRY_AFTER_S ? hinted * 1000 : backoffMs(attempt);
      await this.pause(attempt, delay, method, path, error, options.signal);
    }
  }

  private async pause(
    attempt: number,
    delayMs: number,
    method: string,
    path: string,
    error: Error,
    signal?: AbortSignal,
  ) {
    this.options.logger.debug(
      `retrying ${method} ${path} in ${Math.round(delayMs)} ms: ${error.message}`,
    );
    this.options.onRetry?.({ attempt: attempt + 1, delayMs, method, path, error });
    await sleep(delayMs, signal);
  }
}

/** Full jitter: a uniform delay up to 0.5 s x 2^attempt, at most 8 s. */
export function backoffMs(attempt: number): number {
  return Math.random() * Math.min(8000, 500 * 2 ** attempt);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new APIUserAbortError('The request was aborted.'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new APIUserAbortError('The request was aborted.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function errorBody(response: Response): Promise<APIErrorBody> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = JSON.parse(text) as { error?: APIErrorBody };
    if (parsed.error && typeof parsed.error === 'object') return parsed.error;
  } catch {}
  return { message: text.slice(0, 500) || response.statusText };
}
