/**
 * The one error type the pipeline throws for bad input or bad files.
 * `code` is stable and machine-readable (the API maps it to a status); `message` is for people.
 */
export class SdedgeError extends Error {
  readonly code: SdedgeErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: SdedgeErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'SdedgeError';
    this.code = code;
    this.details = details;
  }
}

export type SdedgeErrorCode =
  | 'invalid_seed'
  | 'invalid_shape'
  | 'invalid_prompt'
  | 'invalid_argument'
  | 'output_exists'
  | 'tokenizer_file_missing'
  | 'tokenizer_file_invalid'
  | 'unknown_scheduler'
  | 'invalid_scheduler_config'
  | 'invalid_steps'
  | 'invalid_timestep'
  | 'shape_mismatch'
  | 'missing_generator'
  | 'model_file_missing'
  | 'model_file_invalid'
  | 'execution_provider_unavailable'
  | 'model_unsupported'
  | 'invalid_size'
  | 'invalid_image'
  | 'invalid_options'
  | 'canceled'
  | 'invalid_schedule'
  | 'invalid_settings'
  /** The CLI's remote mode: the API or the job said no (the API's own code is in the message). */
  | 'remote_error';
