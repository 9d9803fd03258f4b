import { ERROR_CODES, STATUS_ERRORS } from './error-codes.ts';

/** Everything the SDK throws is an SdedgeError. */
export class SdedgeError extends Error {
  override name = 'SdedgeError';
}

export interface APIErrorBody {
  code?: string;
  message?: string;
  request_id?: string;
  param?: string;
  issues?: { param: string; message: string }[];
  [extra: string]: unknown;
}

/** An HTTP error answer from the API: its status, stable `code`, message and request id. */
export class APIError extends SdedgeError {
  override name = 'APIError';
  readonly status: number;
  readonly code: string;
  readonly requestId: string | null;
  /** The request field at fault, and every field problem of a 400. */
  readonly param: string | null;
  readonly issues: { param: string; message: string }[];
  readonly headers: Headers;
  readonly body: APIErrorBody;

  constructor(status: number, body: APIErrorBody, headers: Headers) {
    super(
      `${status} ${body.code ?? 'error'}: ${body.message ?? 'no message'}${body.request_id ? ` (request ${body.request_id})` : ''}`,
    );
    this.status = status;
    this.code = body.code ?? `http_${status}`;
    this.requestId = body.request_id ?? headers.get('x-request-id');
    this.param = body.param ?? null;
    this.issues = body.issues ?? [];
    this.headers = headers;
    this.body = body;
  }

  /** The class for this answer, from the shared code table (then by status). */
  static generate(status: number, body: APIErrorBody, headers: Headers): APIError {
    const byCode = body.code
      ? (ERROR_CODES as Record<string, { error: string }>)[body.code]?.error
      : undefined;
    const name = byCode ?? STATUS_ERRORS[status] ?? 'APIError';
    const ErrorClass = CLASSES[name] ?? APIError;
    return new ErrorClass(status, body, headers);
  }
}

export class ValidationError extends APIError {
  override name = 'ValidationError';
}
export class AuthenticationError extends APIError {
  override name = 'AuthenticationError';
}
export class InsufficientCreditsError extends APIError {
  override name = 'InsufficientCreditsError';
}
export class PermissionDeniedError extends APIError {
  override name = 'PermissionDeniedError';
}
export class NotFoundError extends APIError {
  override name = 'NotFoundError';
}
export class ConflictError extends APIError {
  override name = 'ConflictError';
}
export class RateLimitError extends APIError {
  override name = 'RateLimitError';
  /** Seconds until a retry may succeed (the Retry-After header), or null. */
  readonly retryAfter: number | null;
  constructor(status: number, body: APIErrorBody, headers: Headers) {
    super(status, body, headers);
    this.retryAfter = retryAfterSeconds(headers);
  }
}

const CLASSES: Record<
  string,
  new (
    status: number,
    body: APIErrorBody,
    headers: Headers,
  ) => APIError
> = {
  APIError,
  ValidationError,
  AuthenticationError,
  InsufficientCreditsError,
  PermissionDeniedError,
  NotFoundError,
  ConflictError,
  RateLimitError,
};

/** The API could not be reached (DNS, refused, reset), after the retries. */
export class APIConnectionError extends SdedgeError {
  override name = 'APIConnectionError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A request, or a job, took longer than its timeout. */
export class APITimeoutError extends APIConnectionError {
  override name = 'APITimeoutError';
}

/** The caller's AbortSignal fired (a job being waited for is canceled on the server too). */
export class APIUserAbortError extends SdedgeError {
  override name = 'APIUserAbortError';
}

/** A job ended `failed`: `code` and `message` are the job's error; `job` is the job. */
export class JobFailedError extends SdedgeError {
  override name = 'JobFailedError';
  readonly code: string;
  constructor(readonly job: { id: string; error: { code: string; message: string } | null }) {
    super(`Job ${job.id} failed: ${job.error?.code ?? 'unknown'}: ${job.error?.message ?? ''}`);
    this.code = job.error?.code ?? 'unknown';
  }
}

/** A job ended `canceled` (by this caller or another). */
export class JobCanceledError extends SdedgeError {
  override name = 'JobCanceledError';
  constructor(readonly job: { id: string }) {
    super(`Job ${job.id} was canceled.`);
  }
}

/** A webhook whose signature, timestamp or body does not check out. */
export class WebhookVerificationError extends SdedgeError {
  override name = 'WebhookVerificationError';
}

/** Retry-After (or retry-after-ms) in seconds; null when absent or unreadable. */
export function retryAfterSeconds(headers: Headers): number | null {
  const ms = Number(headers.get('retry-after-ms'));
  if (headers.get('retry-after-ms') && Number.isFinite(ms)) return ms / 1000;
  const value = headers.get('retry-after');
  if (!value) return null;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, (date - Date.now()) / 1000);
}
