import { SCHEDULER_NAMES } from '@sdedge/pipeline';
import { GENERATION_BOUNDS, GENERATION_DEFAULTS } from '@sdedge/pipeline/defaults';
import { describe, expect, it } from 'vitest';
import { run } from './helpers.ts';

describe('the API catalog', () => {
  it('takes its defaults and limits from the one table the pipeline and the CLI use', async () => {
    // By URL: the worker's sources are type-checked with the Workers types, not these tests'.
    const appModule = new URL('../apps/api/src/app.ts', import.meta.url).href;
    const { createApp } = (await import(appModule)) as {
      createApp: () => { request: (path: string) => Promise<Response> };
    };
    const doc = (await (await createApp().request('/openapi.json')).json()) as {
      components: {
        schemas: Record<string, { properties: Record<string, Record<string, unknown>> }>;
      };
    };
    const txt2img = doc.components.schemas.Txt2ImgRequest?.properties ?? {};
    expect(txt2img.steps).toMatchObject({
      default: GENERATION_DEFAULTS.steps,
      minimum: GENERATION_BOUNDS.steps.min,
      maximum: GENERATION_BOUNDS.steps.max,
    });
    expect(txt2img.guidance_scale).toMatchObject({
      default: GENERATION_DEFAULTS.guidanceScale,
      maximum: GENERATION_BOUNDS.guidanceScale.max,
    });
    expect(txt2img.sampler?.default).toBe(GENERATION_DEFAULTS.sampler);
    // The pipeline's own list, so the API never accepts a sampler a runner cannot run.
    expect(txt2img.sampler?.enum).toEqual(SCHEDULER_NAMES);
    expect(txt2img.n).toMatchObject({ default: 1, maximum: GENERATION_BOUNDS.batchSize.max });
    const help = run('npx', ['--no-install', 'sdedge', 'txt2img', '--help']).stdout;
    expect(help).toMatch(new RegExp(`--steps N .*\\(default: ${GENERATION_DEFAULTS.steps}\\)`));
    expect(help).toMatch(
      new RegExp(`--sampler NAME .*\\(default: ${GENERATION_DEFAULTS.sampler}\\)`),
    );
    expect(help).toMatch(
      new RegExp(`--cfg S .*\\(default: ${GENERATION_DEFAULTS.guidanceScale}\\)`),
    );
  });
});
