import { SCHEDULER_NAMES } from '@sdedge/pipeline';
import { describe, expect, it } from 'vitest';
import { SAMPLERS } from '../apps/api/src/catalog.ts';

// The worker does not bundle the pipeline, so it lists the sampler names itself; they must be
// the pipeline's, or the API would accept jobs a runner cannot run (or refuse ones it can).
describe('the API catalog', () => {
  it('accepts exactly the samplers the pipeline has', () => {
    expect([...SAMPLERS].sort()).toEqual([...SCHEDULER_NAMES].sort());
  });
});
