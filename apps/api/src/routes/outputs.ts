import { createRoute, z } from '@hono/zod-openapi';
import type { App } from '../app-env.ts';
import { ApiError } from '../errors.ts';
import { findJob } from '../jobs/find-job.ts';
import { isOutputContentType } from '../jobs/output-content-types.ts';
import { outputKey } from '../jobs/output-keys.ts';
import { verifyOutputSignature } from '../jobs/signed-urls.ts';
import { requireScope } from '../middleware/auth/index.ts';
import { FileName, Id } from '../schemas/bounds.ts';
import { errorResponses } from '../schemas/common.ts';

const outputRoute = createRoute({
  method: 'get',
  path: '/v1/outputs/{job_id}/{name}',
  tags: ['Jobs'],
  summary: 'Download an output',
  description:
    'With the owner’s API key, or with no key by the signed link in the job (`expires` and `signature`).',
  request: {
    params: z.object({ job_id: Id, name: FileName }),
    query: z.object({
      expires: z.string().max(20).optional(),
      signature: z.string().max(128).optional(),
    }),
  },
  responses: {
    200: { description: 'The bytes (image/png, video/mp4, image/gif)' },
    ...errorResponses(401, 403, 404),
  },
});

/** Whether this request carries a signed link (then it needs no API key). */
export const isSignedOutputRequest = (url: URL) =>
  url.pathname.startsWith('/v1/outputs/') && url.searchParams.has('signature');

export function registerOutputRoutes(app: App) {
  app.openapi(outputRoute, async (c) => {
    const jobId = c.req.param('job_id') ?? '';
    const name = c.req.param('name') ?? '';
    const url = new URL(c.req.url);
    if (isSignedOutputRequest(url)) {
      const verdict = await verifyOutputSignature(
        c.env.SIGNING_SECRET,
        url.pathname,
        c.req.query('expires'),
        c.req.query('signature'),
      );
      if (verdict === 'expired')
        throw new ApiError(
          'forbidden',
          'This signed link has expired; get the job again for a fresh one.',
        );
      if (verdict === 'invalid') throw new ApiError('forbidden', 'This signed link is not valid.');
    } else requireScope(c.get('apiKey'), 'read');
    const job = (await findJob(c.env, jobId))?.job;
    const signed = isSignedOutputRequest(url);
    if (!job || (!signed && job.keyId !== c.get('apiKey').id))
      throw new ApiError('not_found', 'No such output.');
    const output = job.outputs.find((o) => o.name === name);
    if (!output) throw new ApiError('not_found', 'No such output.');
    const object = await c.env.BLOBS.get(outputKey(jobId, output));
    if (!object) throw new ApiError('not_found', 'No such output.');
    const stored = object.httpMetadata?.contentType ?? '';
    return new Response(object.body, {
      headers: {
        // Only media types; anything else (an older upload) is a download, never rendered.
        'content-type': isOutputContentType(stored) ? stored : 'application/octet-stream',
        ...(isOutputContentType(stored) ? {} : { 'content-disposition': 'attachment' }),
        'x-content-type-options': 'nosniff',
        'content-length': String(object.size),
        'cache-control': 'private, max-age=3600',
        etag: object.httpEtag,
      },
    });
  });
}
