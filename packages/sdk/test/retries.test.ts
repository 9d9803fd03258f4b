import { describe, expect, it } from 'vitest';
import {
  APIConnectionError,
  AuthenticationError,
  InsufficientCreditsError,
  NotFoundError,
  RateLimitError,
  Sdedge,
  ValidationError,
} from '../src/index.ts';

// A scripted fetch: retry timing and network faults are what a mock is for; the real API is
// exercised in tests/sdk-e2e.test.ts.
function scripted(answers: (() => Response | Promise<Response>)[]) {
  const calls: Request[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    calls.push(request.clone());
    await request.arrayBuffer(); // as a real fetch does: ky waits for its body to be read
    const next = answers.shift();
    if (!next) throw new Error('no more answers');
    return await next(); // awaited: workerd reports a returned rejected promise as unhandled
  };
  return { fetch: fetch as typeof globalThis.fetch, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
const error = (status: number, code: string, headers: Record<string, string> = {}) =>
  json(status, { error: { code, message: `${code} happened`, request_id: 'req_1' } }, headers);
const job = { id: 'job_1', status: 'queued', poll_after_seconds: 2, outputs: [] };

describe('retries', () => {
  it('retries a create on 503 and a dropped connection with the same idempotency key', async () => {
    const { fetch, calls } = scripted([
      () => error(503, 'internal_error'),
      () => Promise.reject(new TypeError('fetch failed')),
      () => json(202, job),
    ]);
    const retries: number[] = [];
    const sd = new Sdedge({ apiKey: 'sk_test', fetch, onRetry: (r) => retries.push(r.attempt) });
    await expect(sd.jobs.create('/v1/images/txt2img', { prompt: 'x' })).resolves.toMatchObject({
      id: 'job_1',
    });
    const keys = calls.map((c) => c.headers.get('idempotency-key'));
    expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(keys).size).toBe(1);
    expect(calls).toHaveLength(3);
    expect(retries).toEqual([1, 2]);
  });

  it('honours Retry-After on 429, then gives up after maxRetries with a RateLimitError', async () => {
    const { fetch, calls } = scripted([
      () => error(429, 'rate_limited', { 'retry-after': '0.2' }),
      () => error(429, 'rate_limited', { 'retry-after': '0.2' }),
    ]);
    const delays: number[] = [];
    const sd = new Sdedge({
      apiKey: 'sk',
      fetch,
      maxRetries: 1,
      onRetry: (r) => delays.push(r.delayMs),
    });
    const failure = await sd.jobs.get('job_1').catch((e) => e);
    expect(failure).toBeInstanceOf(RateLimitError);
    expect(failure).toMatchObject({
      status: 429,
      code: 'rate_limited',
      requestId: 'req_1',
      retryAfter: 0.2,
    });
    expect(delays).toEqual([200]);
    expect(calls).toHaveLength(2);
  });

  it('backs off with full jitter, at most 0.5 s then 1 s, when no Retry-After is given', async () => {
    const { fetch } = scripted([
      () => error(502, 'bad_gateway'),
      () => error(500, 'internal_error'),
      () => json(200, job),
    ]);
    const delays: number[] = [];
    const sd = new Sdedge({ apiKey: 'sk', fetch, onRetry: (r) => delays.push(r.delayMs) });
    await sd.jobs.get('job_1');
    expect(delays[0]).toBeLessThanOrEqual(500);
    expect(delays[1]).toBeLessThanOrEqual(1000);
  });

  it('never retries a POST without an idempotency key, nor a 4xx', async () => {
    const { fetch, calls } = scripted([() => error(503, 'internal_error')]);
    const sd = new Sdedge({ apiKey: 'sk', fetch });
    await expect(sd.generations({ prompt: 'x' }, { idempotencyKey: undefined })).rejects.toThrow();
    expect(calls).toHaveLength(3); // generations makes its own key, so it is retried
    const second = scripted([() => error(400, 'invalid_request')]);
    await expect(
      new Sdedge({ apiKey: 'sk', fetch: second.fetch }).jobs.get('x'),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(second.calls).toHaveLength(1);
  });

  it('reports a connection that never works as APIConnectionError', async () => {
    const { fetch } = scripted(
      [1, 2, 3].map(() => () => Promise.reject(new TypeError('ECONNREFUSED'))),
    );
    const failure = await new Sdedge({ apiKey: 'sk', fetch }).models().catch((e) => e);
    expect(failure).toBeInstanceOf(APIConnectionError);
    expect(failure.message).toMatch(/ECONNREFUSED/);
  });
});

describe('errors', () => {
  it('picks the class from the shared code table, then by status', async () => {
    for (const [status, code, Class] of [
      [401, 'unauthorized', AuthenticationError],
      [402, 'insufficient_credits', InsufficientCreditsError],
      [404, 'job_not_found', NotFoundError],
      [404, 'something_new', NotFoundError],
    ] as const) {
      const { fetch } = scripted([() => error(status, code)]);
      const failure = await new Sdedge({ apiKey: 'sk', fetch }).jobs.get('x').catch((e) => e);
      expect(failure).toBeInstanceOf(Class);
      expect(failure).toMatchObject({ status, code, requestId: 'req_1' });
    }
  });

  it('refuses an option it does not know instead of ignoring it', async () => {
    const sd = new Sdedge({ apiKey: 'sk', fetch: scripted([]).fetch });
    await expect(sd.txt2img('x', { loras: [] } as never)).rejects.toThrow(
      /Unknown options for txt2img: loras/,
    );
    // strength means nothing to txt2img or a video: refused there, not sent and dropped.
    await expect(sd.txt2img('x', { strength: 0.5 } as never)).rejects.toThrow(
      /for txt2img: strength/,
    );
    await expect(sd.animate({ prompts: { 0: 'x' } }, { steps: 3 } as never)).rejects.toThrow(
      /for animate: steps/,
    );
    expect(() => new Sdedge({ apiKey: '' })).toThrow(/No API key/);
  });
});
