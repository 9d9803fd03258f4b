import type { z } from '@hono/zod-openapi';
import { ApiError } from './errors.ts';

/** zod issues as the API's 400: every field at fault, the first one as `param`. */
export function validationError(error: z.ZodError, where = ''): ApiError {
  const issues = error.issues.map((issue) => ({
    param: [where, ...issue.path.map(String)].filter(Boolean).join('.') || '(body)',
    message: issue.message,
  }));
  const first = issues[0];
  return new ApiError('invalid_request', issues.map((i) => `${i.param}: ${i.message}`).join('; '), {
    param: first?.param,
    issues,
  });
}
