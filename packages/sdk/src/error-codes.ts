/**
 * The one table of the API's error codes: each code's HTTP status and the SDK error class it
 * becomes. The API renders its errors from it (`apps/api/src/errors.ts`), the SDK throws from it.
 */
export const ERROR_CODES = {
  invalid_request: { status: 400, error: 'ValidationError' },
  invalid_json: { status: 400, error: 'ValidationError' },
  invalid_image: { status: 400, error: 'ValidationError' },
  invalid_multipart: { status: 400, error: 'ValidationError' },
  invalid_settings: { status: 400, error: 'ValidationError' },
  unsafe_webhook_url: { status: 400, error: 'ValidationError' },
  unauthorized: { status: 401, error: 'AuthenticationError' },
  insufficient_credits: { status: 402, error: 'InsufficientCreditsError' },
  forbidden: { status: 403, error: 'PermissionDeniedError' },
  not_found: { status: 404, error: 'NotFoundError' },
  job_not_found: { status: 404, error: 'NotFoundError' },
  job_finished: { status: 409, error: 'ConflictError' },
  job_canceled: { status: 409, error: 'ConflictError' },
  job_failed: { status: 422, error: 'ConflictError' },
  lease_lost: { status: 409, error: 'ConflictError' },
  grant_id_reused: { status: 409, error: 'ConflictError' },
  payload_too_large: { status: 413, error: 'ValidationError' },
  unsupported_media_type: { status: 415, error: 'ValidationError' },
  idempotency_key_reused: { status: 422, error: 'ConflictError' },
  rate_limited: { status: 429, error: 'RateLimitError' },
  internal_error: { status: 500, error: 'APIError' },
  timeout: { status: 504, error: 'APIError' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Each code's HTTP status, as the API answers it. */
export const ERROR_STATUS = Object.fromEntries(
  Object.entries(ERROR_CODES).map(([code, entry]) => [code, entry.status]),
) as { [C in ErrorCode]: (typeof ERROR_CODES)[C]['status'] };

/** The class for a status when the code is not in the table (a proxy's 502, say). */
export const STATUS_ERRORS: Record<number, string> = {
  400: 'ValidationError',
  401: 'AuthenticationError',
  402: 'InsufficientCreditsError',
  403: 'PermissionDeniedError',
  404: 'NotFoundError',
  409: 'ConflictError',
  413: 'ValidationError',
  415: 'ValidationError',
  422: 'ConflictError',
  429: 'RateLimitError',
};
