import { SdedgeError, type SdedgeErrorCode } from '@sdedge/pipeline';

/** What the runner tells the API when a job fails: a code the caller sees, and whether to retry. */
export interface Failure {
  code: string;
  message: string;
  /** True when another attempt (maybe on another runner) could succeed. */
  retryable: boolean;
}

/**
 * The one table from the pipeline's error codes to job failures. Bad input fails for good (the
 * same settings fail again anywhere); a model file that is missing or broken on this runner may
 * be whole on another, so it goes back to the queue.
 */
export const PIPELINE_FAILURES: Record<SdedgeErrorCode, { code: string; retryable: boolean }> = {
  invalid_seed: { code: 'invalid_input', retryable: false },
  invalid_shape: { code: 'invalid_input', retryable: false },
  invalid_prompt: { code: 'invalid_input', retryable: false },
  invalid_argument: { code: 'invalid_input', retryable: false },
  output_exists: { code: 'runner_error', retryable: false },
  // This runner's GPU stack failed; another runner may have a working one.
  execution_provider_unavailable: { code: 'runner_error', retryable: true },
  invalid_steps: { code: 'invalid_input', retryable: false },
  invalid_timestep: { code: 'invalid_input', retryable: false },
  invalid_size: { code: 'invalid_input', retryable: false },
  invalid_image: { code: 'invalid_image', retryable: false },
  invalid_options: { code: 'invalid_input', retryable: false },
  unknown_scheduler: { code: 'invalid_input', retryable: false },
  invalid_schedule: { code: 'invalid_settings', retryable: false },
  invalid_settings: { code: 'invalid_settings', retryable: false },
  shape_mismatch: { code: 'model_error', retryable: false },
  missing_generator: { code: 'runner_error', retryable: true },
  invalid_scheduler_config: { code: 'model_error', retryable: false },
  tokenizer_file_missing: { code: 'model_unavailable', retryable: true },
  tokenizer_file_invalid: { code: 'model_unavailable', retryable: true },
  model_file_missing: { code: 'model_unavailable', retryable: true },
  model_file_invalid: { code: 'model_unavailable', retryable: true },
  model_unsupported: { code: 'model_unsupported', retryable: false },
  canceled: { code: 'canceled', retryable: false },
  remote_error: { code: 'runner_error', retryable: true },
};

/** ONNX Runtime and V8 say "out of memory" in several ways; each is worth a retry elsewhere. */
const OUT_OF_MEMORY =
  /out of memory|failed to allocate|bad_alloc|CUDA_ERROR_OUT_OF_MEMORY|CUBLAS_STATUS_ALLOC_FAILED|Array buffer allocation failed/i;

export function failureOf(error: unknown): Failure {
  if (error instanceof SdedgeError) {
    const entry = PIPELINE_FAILURES[error.code] ?? { code: 'runner_error', retryable: true };
    return { ...entry, message: `${error.code}: ${error.message}` };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (OUT_OF_MEMORY.test(message)) return { code: 'out_of_memory', message, retryable: true };
  return { code: 'runner_error', message, retryable: true };
}
