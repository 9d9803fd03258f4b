import { modelById } from '../catalog.ts';
import { ApiError } from '../errors.ts';
import type { JobKind } from './job-record.ts';

/** Checks what a schema cannot see alone: the model exists, does this kind, and fits the size. */
export function resolveModelSize(
  kind: JobKind,
  request: { model: string; width?: number; height?: number },
): { width: number; height: number } {
  const model = modelById(request.model);
  if (!model)
    throw new ApiError(
      'invalid_request',
      `Unknown model "${request.model}"; GET /v1/models lists them.`,
      {
        param: 'model',
      },
    );
  if (!(model.kinds as readonly string[]).includes(kind))
    throw new ApiError('invalid_request', `Model ${model.id} does not do ${kind}.`, {
      param: 'model',
    });
  const width = request.width ?? model.default_size;
  const height = request.height ?? model.default_size;
  for (const [param, value] of [
    ['width', width],
    ['height', height],
  ] as const)
    if (value > model.max_size)
      throw new ApiError(
        'invalid_request',
        `${param} ${value} is over ${model.id}'s limit of ${model.max_size}.`,
        {
          param,
        },
      );
  return { width, height };
}
