import type { MiddlewareHandler } from 'hono';

export interface RequestIdOptions {
  /** Header read from the caller (kept if well-formed) and written on the response. */
  header?: string;
}

/**
 * Gives every request an id (the caller's `X-Request-Id` if it is short and plain, else a new
 * `req_...`), exposed as `c.get('requestId')`, echoed in the response header and in every error.
 *
 * @example app.use(requestId())
 */
export function requestId(options: RequestIdOptions = {}): MiddlewareHandler<{
  Variables: { requestId: string };
}> {
  const header = options.header ?? 'X-Request-Id';
  return async (c, next) => {
    const given = c.req.header(header);
    const id =
      given && /^[\w.-]{1,128}$/.test(given)
        ? given
        : `req_${crypto.randomUUID().replaceAll('-', '')}`;
    c.set('requestId', id);
    c.header(header, id);
    await next();
  };
}
