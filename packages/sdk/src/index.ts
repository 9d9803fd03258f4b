export {
  type ImageOptions,
  type ImagesResult,
  type Img2ImgOptions,
  type JobCallOptions,
  Sdedge,
  type SdedgeOptions,
  type VideoResult,
} from './client.ts';
export { ERROR_CODES, type ErrorCode } from './error-codes.ts';
export {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  ConflictError,
  InsufficientCreditsError,
  JobCanceledError,
  JobFailedError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  SdedgeError,
  ValidationError,
  WebhookVerificationError,
} from './errors.ts';
/** The whole generated contract (public and runner routes), for code that speaks the protocol. */
export type { components, paths } from './generated/api.ts';
export type { RetryInfo } from './http.ts';
export type { ImageInput } from './image-input.ts';
export type { Jobs, Progress, Timeout, WaitOptions } from './jobs.ts';
export type { LogLevel } from './logger.ts';
export { OutputFile } from './output-file.ts';
export type {
  DeforumSettings,
  Job,
  JobEvent,
  JobKind,
  JobOutput,
  JobStatus,
  ModelList,
  Token,
  Usage,
  Webhook,
} from './types.ts';
export { type VerifyOptions, verifyWebhook, type WebhookEvent } from './webhooks.ts';
