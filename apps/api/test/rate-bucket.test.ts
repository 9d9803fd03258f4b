import { describe, expect, it } from 'vitest';
import { type Bucket, takeToken } from '../src/durable-objects/rate-bucket.ts';

/** Sends requests at the given times (ms) and counts the allowed ones. */
function allowed(limit: number, times: number[]) {
  let bucket: Bucket | null = null;
  let count = 0;
  for (const t of times) {
    const decision = takeToken(bucket, limit, t);
    bucket = decision.bucket;
    if (decision.allowed) count++;
  }
  return count;
}

describe('the token bucket', () => {
  it('never passes twice the limit across a minute boundary (a fixed window would)', () => {
    // 10 a minute: a burst of 10 just before 60 s and 10 more just after.
    const times = [...Array(10).fill(59_900), ...Array(10).fill(60_100)];
    expect(allowed(10, times)).toBe(10);
  });

  it('allows the limit in a burst, then one request per 60 / limit seconds', () => {
    expect(allowed(60, Array(100).fill(0))).toBe(60);
    // After the burst, 30 s refill 30 tokens at 1 a second.
    expect(allowed(60, [...Array(60).fill(0), ...Array(40).fill(30_000)])).toBe(90);
    // Any 60 s window holds at most limit + what refilled in it.
    const everyTenth = Array.from({ length: 1200 }, (_, i) => i * 100);
    expect(allowed(60, everyTenth)).toBeLessThanOrEqual(60 + 120);
  });

  it('says when to retry', () => {
    let bucket: Bucket | null = null;
    for (let i = 0; i < 6; i++) bucket = takeToken(bucket, 6, 0).bucket;
    const refused = takeToken(bucket, 6, 0);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, resetSeconds: 10 });
    expect(takeToken(refused.bucket, 6, 10_000).allowed).toBe(true);
  });
});
