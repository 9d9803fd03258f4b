import { describe, expect, it } from 'vitest';
import { Sdedge, ValidationError } from '../src/index.ts';

// What the client sends for each option (the real API's reading of it is in tests/sdk-e2e.test.ts).
function refusingFetch() {
  const bodies: unknown[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    bodies.push(await new Request(input, init).json());
    return new Response(
      JSON.stringify({ error: { code: 'invalid_request', message: 'no', request_id: 'req_1' } }),
      { status: 400, headers: { 'content-type': 'application/json' } },
    );
  };
  return { fetch: fetch as typeof globalThis.fetch, bodies };
}

describe('request bodies', () => {
  it('sends the JavaScript options under the API field names', async () => {
    const { fetch, bodies } = refusingFetch();
    const sd = new Sdedge({ apiKey: 'sk_test', fetch, maxRetries: 0 });
    await expect(
      sd.txt2img('a lighthouse', {
        negativePrompt: 'fog',
        guidanceScale: 5,
        queueTimeoutSeconds: 120,
        webhook: { url: 'https://example.com/hook' },
      }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      sd.animate({ prompts: { 0: 'a boat' } }, { queueTimeoutSeconds: 600 }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(bodies).toEqual([
      {
        prompt: 'a lighthouse',
        negative_prompt: 'fog',
        guidance_scale: 5,
        queue_timeout_seconds: 120,
        webhook: { url: 'https://example.com/hook' },
      },
      { settings: { prompts: { 0: 'a boat' } }, queue_timeout_seconds: 600 },
    ]);
  });
});
