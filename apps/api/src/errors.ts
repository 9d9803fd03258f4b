import { ERROR_STATUS as SHARED_ERROR_STATUS } from '@sdedge/sdk/error-codes';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Stable, machine-readable error codes, each with its HTTP status: the table the SDK shares. */
export const ERROR_STATUS = SHARED_ERROR_STATUS satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorDetails {
  /** The request field at fault, as a dotted path (`width`, `init_image`). */
  param?: string;
  /** Every field problem of a 400, when there are several. */
  issues?: { param: string; message: string }[];
  [extra: string]: unknown;
}

/** The one error type of the API; `onError` renders it as `{ error: { code, message, ... } }`. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetails = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = ERROR_STATUS[code];
  }
}

/** ApiErrors cross the Durable Object RPC boundary as plain data and are rebuilt here. */
export interface ApiErrorData {
  apiError: { code: ErrorCode; message: string; details?: ErrorDetails };
}

export function isApiErrorData(value: unknown): value is ApiErrorData {
  return typeof value === 'object' && value !== null && 'apiError' in value;
}

export function rethrowApiError<T>(value: T | ApiErrorData): T {
  if (isApiErrorData(value)) {
    const { code, message, details } = value.apiError;
    throw new ApiError(code, message, details);
  }
  return value;
}

export function apiErrorData(
  code: ErrorCode,
  message: string,
  details?: ErrorDetails,
): ApiErrorData {
  return { apiError: { code, message, details } };
}
